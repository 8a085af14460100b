package nexmark

import (
	"slices"
	"strconv"
	"unsafe"
)

// arena builds an event's strings in one byte slice. A string taken from
// it (since) points into the slice, so it stays valid while the bytes it
// covers are not overwritten: for ever when the arena is not reused
// (Config.Generate), until the next event when it is (Generator).
// Growing the slice leaves earlier strings in the old array, intact.
type arena struct{ buf []byte }

func (a *arena) mark() int { return len(a.buf) }

func (a *arena) add(s string) { a.buf = append(a.buf, s...) }

// since is the string of the bytes added after mark at.
func (a *arena) since(at int) string {
	if at == len(a.buf) {
		return ""
	}
	return unsafe.String(&a.buf[at], len(a.buf)-at)
}

func (a *arena) int(v int64) { a.buf = strconv.AppendInt(a.buf, v, 10) }

// digits4 adds v (0 .. 9999) as four digits, zero-padded.
func (a *arena) digits4(v int64) {
	a.buf = append(a.buf, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// word adds a random lower-case word of length 3 + u(maxLen-3), a space
// in place of a letter with probability 1/13, trimmed of spaces at either
// end. Each character takes one draw.
func (a *arena) word(r *rng, maxLen int64) {
	at := len(a.buf)
	n := 3 + r.intn(maxLen-3)
	for i := int64(0); i < n; i++ {
		v := r.next()
		if v%13 == 0 {
			a.buf = append(a.buf, ' ')
		} else {
			a.buf = append(a.buf, byte('a'+(v>>32)%26))
		}
	}
	w := a.buf[at:]
	lead := 0
	for lead < len(w) && w[lead] == ' ' {
		lead++
	}
	end := len(w)
	for end > lead && w[end-1] == ' ' {
		end--
	}
	copy(w, w[lead:end])
	a.buf = a.buf[:at+end-lead]
}

// pad returns random letters that bring a record whose other strings
// hold have bytes to about avg bytes on average. Each draw gives six
// letters, ten bits each, scaled to 26.
func (a *arena) pad(r *rng, have int, avg int64) string {
	if int64(have) >= avg {
		return ""
	}
	need := avg - int64(have)
	n := int(r.intn(2*need + 1))
	at := len(a.buf)
	// Filled in place, six letters a draw: the same letters as appending
	// them one by one, without a bounds check and length update each.
	a.buf = slices.Grow(a.buf, n)[:at+n]
	out := a.buf[at:]
	for len(out) >= 6 {
		x := r.next()
		out[0] = byte('a' + (x&0x3ff)*26>>10)
		out[1] = byte('a' + (x>>10&0x3ff)*26>>10)
		out[2] = byte('a' + (x>>20&0x3ff)*26>>10)
		out[3] = byte('a' + (x>>30&0x3ff)*26>>10)
		out[4] = byte('a' + (x>>40&0x3ff)*26>>10)
		out[5] = byte('a' + (x>>50&0x3ff)*26>>10)
		out = out[6:]
	}
	if len(out) > 0 {
		x := r.next()
		for j := range out {
			out[j] = byte('a' + (x&0x3ff)*26>>10)
			x >>= 10
		}
	}
	return a.since(at)
}
