package exec

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// sessionIndex is the bookkeeping of SESSION windows per key that both
// the SESSION window operator and an aggregation computing sessions
// itself (SessionMerge) keep in a state table: each key's open sessions,
// by key and by end (for expiry), and what makes a row late.
//
// To know what expired, a marker keeps each key's latest expired session.
// A marker goes once the watermark is gap + AllowLateness past the
// session and the key has no open session (rows that old start expired
// sessions of their own, unless an open session took them in); its end
// then raises the horizon, at or below which every row is late. So state
// stays bounded by the open sessions and the keys seen lately, at the
// price of calling late a row more than gap + lateness behind the
// watermark whose key's sessions all expired.
//
// Keys within the table, tags first:
//
//	's' key start        end (big-endian)      open sessions by key
//	'e' end key start    -                     open sessions by end, for expiry
//	'c' key              start, end, expiry    the key's latest expired session
//	'x' expiry key       -                     markers by when they may go
//	0xff 'h' 'z'         horizon
type sessionIndex struct {
	id            uint32
	state         *StateHandle
	gap, lateness int64
	horizon       counter
	// swept is how far advance has expired sessions and markers since
	// the last reset: every end (less the lateness) and every marker
	// expiry at or below it is gone, so the scans start above it instead
	// of crossing the deletions below.
	swept      int64
	sweptValid bool
	// keys caches keys' open sessions and markers, read through and
	// written through; bounded by sessionCacheKeys.
	keys map[string]*keySessions
	// absent tells keys certainly not in the table, so a new key (most
	// keys, once) is known to have no sessions and no marker without a
	// read.
	absent absentFilter
}

// keySessions is a key's entry in the index's cache: its open sessions
// in order, and its marker.
type keySessions struct {
	open   []windowing.Span
	marker sessionMarker
	// unnoted says the key was absent from the table and is not yet in
	// the absent filter.
	unnoted bool
}

// sessionCacheKeys bounds the keys the index caches: past it, the cache
// starts over (state has everything; the cache only saves reads).
const sessionCacheKeys = 1 << 16

const (
	tagSessions = 's'
	tagEnds     = 'e'
	tagClosed   = 'c'
	tagExpiry   = 'x'
)

var horizonKey = []byte{0xff, 'h', 'z'}

func (x *sessionIndex) load() error {
	x.horizon.key = horizonKey
	return x.horizon.load(x.state.Store, x.id, windowing.NoWatermark)
}

// reset forgets what is read from state, after a failed epoch.
func (x *sessionIndex) reset() {
	x.horizon.loaded, x.sweptValid, x.keys, x.absent = false, false, nil, absentFilter{}
}

// entry returns the key's open sessions and marker, from the cache or
// state.
func (x *sessionIndex) entry(pk []byte) (*keySessions, error) {
	if e := x.keys[string(pk)]; e != nil {
		return e, nil
	}
	if err := x.absent.ready(x.scanKeys); err != nil {
		return nil, err
	}
	if !x.absent.mayHold(pk) {
		return x.cache(pk, &keySessions{unnoted: true}), nil
	}
	e := &keySessions{}
	v, err := x.state.Store.Get(x.id, tagged(tagClosed, pk))
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	case len(v) != 24:
		return nil, types.Errorf(types.CodeDataCorrupted, "session marker is corrupt")
	default:
		u := func(i int) int64 { return int64(binary.BigEndian.Uint64(v[8*i:])) }
		e.marker = sessionMarker{span: windowing.Span{Start: u(0), End: u(1)}, expiry: u(2), ok: true}
	}
	prefix := tagged(tagSessions, pk)
	err = x.state.Store.Scan(x.id, prefix, func(k, v []byte) error {
		start, err := decodeTS(k[len(prefix):])
		if err != nil {
			return err
		}
		e.open = append(e.open, windowing.Span{Start: start, End: int64(binary.BigEndian.Uint64(v))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x.cache(pk, e), nil
}

func (x *sessionIndex) cache(pk []byte, e *keySessions) *keySessions {
	if x.keys == nil || len(x.keys) >= sessionCacheKeys {
		x.keys = map[string]*keySessions{}
	}
	x.keys[string(pk)] = e
	return e
}

// scanKeys passes the key of each open session and marker in the table
// (a key once per session).
func (x *sessionIndex) scanKeys(fn func(k, v []byte) error) error {
	return x.state.Store.Scan(x.id, nil, func(k, v []byte) error {
		switch {
		case k[0] == tagSessions && len(k) >= 10:
			return fn(k[1:len(k)-9], v)
		case k[0] == tagClosed:
			return fn(k[1:], v)
		}
		return nil
	})
}

// from is where a scan of tag's entries by time starts: above what
// advance has swept.
func (x *sessionIndex) from(tag byte, lateness int64) []byte {
	lo := x.swept - lateness
	if !x.sweptValid || lo > x.swept || lo == math.MaxInt64 {
		return []byte{tag}
	}
	return tsKey([]byte{tag}, lo+1)
}

func tsKey(buf []byte, ts int64) []byte { return encoding.AppendInt(buf, ts) }

func decodeTS(k []byte) (int64, error) {
	kind, i, _, _, _, err := encoding.Decode(k)
	if err != nil || kind != encoding.KindInt {
		return 0, types.Errorf(types.CodeDataCorrupted, "session window state key is corrupt")
	}
	return i, nil
}

func tagged(tag byte, parts ...[]byte) []byte {
	k := []byte{tag}
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// sessionMarker is a key's latest expired session and when its marker
// may go.
type sessionMarker struct {
	span   windowing.Span
	expiry int64
	ok     bool // false: the key has none
}

// marker reads the key's latest expired session.
func (x *sessionIndex) marker(pk []byte) (sessionMarker, error) {
	e, err := x.entry(pk)
	if err != nil {
		return sessionMarker{}, err
	}
	return e.marker, nil
}

// setMarker writes a key's marker and its expiry entry.
func (x *sessionIndex) setMarker(pk []byte, m sessionMarker) error {
	v := binary.BigEndian.AppendUint64(nil, uint64(m.span.Start))
	v = binary.BigEndian.AppendUint64(v, uint64(m.span.End))
	v = binary.BigEndian.AppendUint64(v, uint64(m.expiry))
	if err := x.state.Store.Set(x.id, tagged(tagClosed, pk), v); err != nil {
		return err
	}
	if e := x.keys[string(pk)]; e != nil {
		e.marker = m
	}
	return x.state.Store.Set(x.id, tagged(tagExpiry, tsKey(nil, m.expiry), pk), nil)
}

// late reports whether a row of the key with marker m at time ts is
// late: at or before the key's latest expired session's end, or at or
// below the horizon.
func (x *sessionIndex) late(m sessionMarker, ts int64) bool {
	return m.ok && ts <= m.span.End || ts <= x.horizon.v
}

// lateWindow is the window a late row at ts reports: the expired session
// it touches, or the session it alone would form.
func (x *sessionIndex) lateWindow(m sessionMarker, ts int64) windowing.Span {
	if m.ok && m.span.Touches(ts, x.gap) {
		return m.span
	}
	return windowing.Span{Start: ts, End: ts + x.gap}
}

// touching appends to buf the key's open sessions that rows with times
// in [lo, hi] can join or bridge, in order.
func (x *sessionIndex) touching(buf []windowing.Span, pk []byte, lo, hi int64) ([]windowing.Span, error) {
	e, err := x.entry(pk)
	if err != nil {
		return nil, err
	}
	for _, s := range e.open {
		if s.Start > hi+x.gap {
			break
		}
		if s.End >= lo {
			buf = append(buf, s)
		}
	}
	return buf, nil
}

// replace makes now the key's open sessions where old were (both sorted):
// sessions in both stay as they are.
func (x *sessionIndex) replace(pk []byte, old, now []windowing.Span) error {
	e := x.keys[string(pk)]
	if e != nil {
		e.open = replaceSpans(e.open, old, now)
	}
	if len(now) > 0 && (e == nil || e.unnoted) {
		if err := x.absent.note(pk, x.scanKeys); err != nil {
			return err
		}
		if e != nil {
			e.unnoted = false
		}
	}
	st := x.state.Store
	i, j := 0, 0
	for i < len(old) || j < len(now) {
		switch {
		case i < len(old) && j < len(now) && old[i] == now[j]:
			i++
			j++
		case j == len(now) || i < len(old) && old[i].Start <= now[j].Start:
			s := old[i]
			i++
			if err := st.Delete(x.id, tagged(tagSessions, pk, tsKey(nil, s.Start))); err != nil {
				return err
			}
			if err := st.Delete(x.id, tagged(tagEnds, tsKey(nil, s.End), pk, tsKey(nil, s.Start))); err != nil {
				return err
			}
		default:
			s := now[j]
			j++
			if err := st.Set(x.id, tagged(tagSessions, pk, tsKey(nil, s.Start)), binary.BigEndian.AppendUint64(nil, uint64(s.End))); err != nil {
				return err
			}
			if err := st.Set(x.id, tagged(tagEnds, tsKey(nil, s.End), pk, tsKey(nil, s.Start)), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// replaceSpans returns open without old and with now, in order.
func replaceSpans(open, old, now []windowing.Span) []windowing.Span {
	out := make([]windowing.Span, 0, len(open)-len(old)+len(now))
	for _, s := range open {
		if !slices.Contains(old, s) {
			out = append(out, s)
		}
	}
	out = append(out, now...)
	slices.SortFunc(out, func(a, b windowing.Span) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// advance expires the sessions whose end plus the allowed lateness the
// watermark wm has reached (calling drop for each before it leaves the
// index), recording markers, and removes the markers no on-time row can
// touch any more, raising the horizon.
func (x *sessionIndex) advance(wm int64, drop func(pk []byte, s windowing.Span) error) error {
	pol := windowing.Policy{AllowLateness: x.lateness}
	type expiring struct {
		pk   []byte
		span windowing.Span
		key  []byte
	}
	var todo []expiring
	err := x.state.Store.ScanRange(x.id, x.from(tagEnds, x.lateness), []byte{tagEnds + 1}, func(k, _ []byte) error {
		end, err := decodeTS(k[1:])
		if err != nil {
			return err
		}
		if !pol.Expired(end, wm) {
			return errStopScan
		}
		pk := append([]byte(nil), k[10:len(k)-9]...)
		start, err := decodeTS(k[len(k)-9:])
		if err != nil {
			return err
		}
		todo = append(todo, expiring{pk: pk, span: windowing.Span{Start: start, End: end}, key: append([]byte(nil), k...)})
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	for _, e := range todo {
		if drop != nil {
			if err := drop(e.pk, e.span); err != nil {
				return err
			}
		}
		if err := x.expire(e.pk, e.span, e.key); err != nil {
			return err
		}
	}
	// Markers whose expiry the watermark reached go, unless the key has an
	// open session an old row could still join; their ends raise the
	// horizon.
	type due struct{ key, pk []byte }
	var dues []due
	err = x.state.Store.ScanRange(x.id, x.from(tagExpiry, 0), []byte{tagExpiry + 1}, func(k, _ []byte) error {
		at, err := decodeTS(k[1:])
		if err != nil {
			return err
		}
		if at > wm {
			return errStopScan
		}
		dues = append(dues, due{key: append([]byte(nil), k...), pk: append([]byte(nil), k[10:]...)})
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	for _, d := range dues {
		if err := x.state.Store.Delete(x.id, d.key); err != nil {
			return err
		}
		m, err := x.marker(d.pk)
		if err != nil || !m.ok {
			return err
		}
		open, err := x.firstOpen(d.pk)
		if err != nil {
			return err
		}
		if open != nil {
			// Look again once that session could have expired.
			m.expiry = open.End + x.gap + x.lateness
			if err := x.setMarker(d.pk, m); err != nil {
				return err
			}
			continue
		}
		if err := x.state.Store.Delete(x.id, tagged(tagClosed, d.pk)); err != nil {
			return err
		}
		if e := x.keys[string(d.pk)]; e != nil {
			e.marker = sessionMarker{}
		}
		if m.span.End > x.horizon.v {
			x.horizon.v = m.span.End
			if err := x.horizon.store(x.state.Store, x.id); err != nil {
				return err
			}
		}
	}
	x.swept, x.sweptValid = wm, true
	return nil
}

// expire removes an expired session from the index and records it as the
// key's marker when it is the key's latest.
func (x *sessionIndex) expire(pk []byte, s windowing.Span, endKey []byte) error {
	st := x.state.Store
	if err := st.Delete(x.id, endKey); err != nil {
		return err
	}
	if err := st.Delete(x.id, tagged(tagSessions, pk, tsKey(nil, s.Start))); err != nil {
		return err
	}
	if e := x.keys[string(pk)]; e != nil {
		e.open = replaceSpans(e.open, []windowing.Span{s}, nil)
	}
	prev, err := x.marker(pk)
	if err != nil {
		return err
	}
	if prev.ok {
		if prev.span.End >= s.End {
			return nil
		}
		if err := st.Delete(x.id, tagged(tagExpiry, tsKey(nil, prev.expiry), pk)); err != nil {
			return err
		}
	}
	return x.setMarker(pk, sessionMarker{span: s, expiry: s.End + x.gap + x.lateness, ok: true})
}

// firstOpen returns the key's earliest open session (nil: none).
func (x *sessionIndex) firstOpen(pk []byte) (*windowing.Span, error) {
	e, err := x.entry(pk)
	if err != nil || len(e.open) == 0 {
		return nil, err
	}
	return &e.open[0], nil
}
