package exec

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weir-db/weir/types"
)

// toChar is PostgreSQL's to_char for timestamps (the template patterns
// Nexmark and dashboards use) and numbers (plain formatting).
func toChar(a []types.Datum, _ types.Type) (types.Datum, error) {
	format := a[1].(string)
	switch v := a[0].(type) {
	case types.DTimestamp:
		return compileToChar(format).format(int64(v)), nil
	case float64:
		return fmt.Sprint(v), nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "to_char for %T is not supported", a[0])
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// toCharFormat is a to_char template compiled: literal text and patterns
// in order, and the last timestamp it formatted. Output depends on the
// timestamp only down to unit (a day for 'YYYY-MM-DD'), so rows of the
// same day, the usual run in a stream, reuse the last string.
type toCharFormat struct {
	ops  []toCharOp
	unit int64 // microseconds
	last atomic.Pointer[toCharMemo]
}

type toCharOp struct {
	lit string
	pat *tsPattern // nil: lit
}

type toCharMemo struct {
	key int64
	s   string
}

var (
	toCharMu    sync.Mutex
	toCharCache = map[string]*toCharFormat{}
)

// compileToChar returns template f compiled; patterns are matched longest
// first, and text in double quotes is copied.
func compileToChar(f string) *toCharFormat {
	toCharMu.Lock()
	defer toCharMu.Unlock()
	if c := toCharCache[f]; c != nil {
		return c
	}
	c := &toCharFormat{unit: microsPerDay}
	lit := func(s string) {
		if n := len(c.ops); n > 0 && c.ops[n-1].pat == nil {
			c.ops[n-1].lit += s
			return
		}
		c.ops = append(c.ops, toCharOp{lit: s})
	}
	for i := 0; i < len(f); {
		if f[i] == '"' {
			j := strings.IndexByte(f[i+1:], '"')
			if j < 0 {
				lit(f[i+1:])
				break
			}
			lit(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		rest := f[i:]
		matched := false
		for k := range tsPatterns {
			p := &tsPatterns[k]
			if strings.HasPrefix(rest, p.pat) {
				c.ops = append(c.ops, toCharOp{pat: p})
				c.unit = min(c.unit, p.unit)
				i += len(p.pat)
				matched = true
				break
			}
		}
		if !matched {
			lit(f[i : i+1])
			i++
		}
	}
	if len(toCharCache) > 1024 {
		toCharCache = map[string]*toCharFormat{}
	}
	toCharCache[strings.Clone(f)] = c
	return c
}

const microsPerDay = 86400e6

// format renders timestamp us (microseconds, UTC).
func (c *toCharFormat) format(us int64) string {
	key := us / c.unit
	if us%c.unit < 0 {
		key-- // floor
	}
	if m := c.last.Load(); m != nil && m.key == key {
		return m.s
	}
	s := c.render(time.UnixMicro(us).UTC())
	c.last.Store(&toCharMemo{key: key, s: s})
	return s
}

// render formats t, without the memo.
func (c *toCharFormat) render(t time.Time) string {
	var b strings.Builder
	for _, op := range c.ops {
		if op.pat == nil {
			b.WriteString(op.lit)
		} else {
			b.WriteString(op.pat.fn(t))
		}
	}
	return b.String()
}

type tsPattern struct {
	pat  string
	unit int64 // the finest time unit the pattern shows, microseconds
	fn   func(time.Time) string
}

var tsPatterns = []tsPattern{
	{"YYYY", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%04d", t.Year()) }},
	{"HH24", 3600e6, func(t time.Time) string { return fmt.Sprintf("%02d", t.Hour()) }},
	{"HH12", 3600e6, func(t time.Time) string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
	{"Month", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%-9s", monthNames[t.Month()-1]) }},
	{"MONTH", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%-9s", strings.ToUpper(monthNames[t.Month()-1])) }},
	{"Mon", microsPerDay, func(t time.Time) string { return monthNames[t.Month()-1][:3] }},
	{"MON", microsPerDay, func(t time.Time) string { return strings.ToUpper(monthNames[t.Month()-1][:3]) }},
	{"Day", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%-9s", dayNames[t.Weekday()]) }},
	{"DAY", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%-9s", strings.ToUpper(dayNames[t.Weekday()])) }},
	{"Dy", microsPerDay, func(t time.Time) string { return dayNames[t.Weekday()][:3] }},
	{"DY", microsPerDay, func(t time.Time) string { return strings.ToUpper(dayNames[t.Weekday()][:3]) }},
	{"DDD", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%03d", t.YearDay()) }},
	{"YYY", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%03d", t.Year()%1000) }},
	{"YY", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%02d", t.Year()%100) }},
	{"MM", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%02d", int(t.Month())) }},
	{"DD", microsPerDay, func(t time.Time) string { return fmt.Sprintf("%02d", t.Day()) }},
	{"HH", 3600e6, func(t time.Time) string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
	{"MI", 60e6, func(t time.Time) string { return fmt.Sprintf("%02d", t.Minute()) }},
	{"SS", 1e6, func(t time.Time) string { return fmt.Sprintf("%02d", t.Second()) }},
	{"MS", 1000, func(t time.Time) string { return fmt.Sprintf("%03d", t.Nanosecond()/1e6) }},
	{"US", 1, func(t time.Time) string { return fmt.Sprintf("%06d", t.Nanosecond()/1e3) }},
	{"AM", 3600e6, func(t time.Time) string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
	{"PM", 3600e6, func(t time.Time) string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
	{"Q", microsPerDay, func(t time.Time) string { return fmt.Sprint((int(t.Month())-1)/3 + 1) }},
	{"D", microsPerDay, func(t time.Time) string { return fmt.Sprint(int(t.Weekday()) + 1) }},
	{"Y", microsPerDay, func(t time.Time) string { return fmt.Sprint(t.Year() % 10) }},
}
