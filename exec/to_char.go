package exec

import (
	"fmt"
	"strings"
	"time"

	"github.com/weir-db/weir/types"
)

// toChar is PostgreSQL's to_char for timestamps (the template patterns
// Nexmark and dashboards use) and numbers (plain formatting).
func toChar(a []types.Datum, _ types.Type) (types.Datum, error) {
	format := a[1].(string)
	switch v := a[0].(type) {
	case types.DTimestamp:
		return formatTimestamp(time.UnixMicro(int64(v)).UTC(), format), nil
	case float64:
		return fmt.Sprint(v), nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "to_char for %T is not supported", a[0])
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// formatTimestamp applies a to_char template; patterns are matched
// longest first, and text in double quotes is copied.
func formatTimestamp(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '"' {
			j := strings.IndexByte(f[i+1:], '"')
			if j < 0 {
				b.WriteString(f[i+1:])
				break
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		rest := f[i:]
		matched := false
		for _, p := range tsPatterns {
			if strings.HasPrefix(rest, p.pat) {
				b.WriteString(p.fn(t))
				i += len(p.pat)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(f[i])
			i++
		}
	}
	return b.String()
}

type tsPattern struct {
	pat string
	fn  func(time.Time) string
}

var tsPatterns = []tsPattern{
	{"YYYY", func(t time.Time) string { return fmt.Sprintf("%04d", t.Year()) }},
	{"HH24", func(t time.Time) string { return fmt.Sprintf("%02d", t.Hour()) }},
	{"HH12", func(t time.Time) string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
	{"Month", func(t time.Time) string { return fmt.Sprintf("%-9s", monthNames[t.Month()-1]) }},
	{"MONTH", func(t time.Time) string { return fmt.Sprintf("%-9s", strings.ToUpper(monthNames[t.Month()-1])) }},
	{"Mon", func(t time.Time) string { return monthNames[t.Month()-1][:3] }},
	{"MON", func(t time.Time) string { return strings.ToUpper(monthNames[t.Month()-1][:3]) }},
	{"Day", func(t time.Time) string { return fmt.Sprintf("%-9s", dayNames[t.Weekday()]) }},
	{"DAY", func(t time.Time) string { return fmt.Sprintf("%-9s", strings.ToUpper(dayNames[t.Weekday()])) }},
	{"Dy", func(t time.Time) string { return dayNames[t.Weekday()][:3] }},
	{"DY", func(t time.Time) string { return strings.ToUpper(dayNames[t.Weekday()][:3]) }},
	{"DDD", func(t time.Time) string { return fmt.Sprintf("%03d", t.YearDay()) }},
	{"YYY", func(t time.Time) string { return fmt.Sprintf("%03d", t.Year()%1000) }},
	{"YY", func(t time.Time) string { return fmt.Sprintf("%02d", t.Year()%100) }},
	{"MM", func(t time.Time) string { return fmt.Sprintf("%02d", int(t.Month())) }},
	{"DD", func(t time.Time) string { return fmt.Sprintf("%02d", t.Day()) }},
	{"HH", func(t time.Time) string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
	{"MI", func(t time.Time) string { return fmt.Sprintf("%02d", t.Minute()) }},
	{"SS", func(t time.Time) string { return fmt.Sprintf("%02d", t.Second()) }},
	{"MS", func(t time.Time) string { return fmt.Sprintf("%03d", t.Nanosecond()/1e6) }},
	{"US", func(t time.Time) string { return fmt.Sprintf("%06d", t.Nanosecond()/1e3) }},
	{"AM", func(t time.Time) string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
	{"PM", func(t time.Time) string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
	{"Q", func(t time.Time) string { return fmt.Sprint((int(t.Month())-1)/3 + 1) }},
	{"D", func(t time.Time) string { return fmt.Sprint(int(t.Weekday()) + 1) }},
	{"Y", func(t time.Time) string { return fmt.Sprint(t.Year() % 10) }},
}
