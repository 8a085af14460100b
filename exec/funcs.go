package exec

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/weir-db/weir/types"
)

// scalarImpl computes a strict function over non-NULL arguments.
type scalarImpl func(args []types.Datum, t types.Type) (types.Datum, error)

// nonStrict lists the functions that see NULL arguments themselves.
var nonStrict = map[string]bool{
	"and": true, "or": true, "coalesce": true, "is_null": true, "is_not_null": true, "is_true": true,
	"is_false": true, "is_distinct": true, "is_not_distinct": true, "greatest": true, "least": true,
	"concat": true, "concat_ws": true, "nullif": true,
}

var scalarImpls = map[string]scalarImpl{
	"initcap": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		var b strings.Builder
		prev := false
		for _, r := range a[0].(string) {
			if prev {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			prev = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		return b.String(), nil
	},
	"character_length": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return int64(utf8.RuneCountInString(a[0].(string))), nil
	},
	"octet_length": func(a []types.Datum, _ types.Type) (types.Datum, error) { return int64(len(a[0].(string))), nil },
	"replace": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		if a[1].(string) == "" {
			return a[0], nil
		}
		return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
	},
	"split_part": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		r, err := splitPart(a[0].(string), a[1].(string), a[2].(int64))
		if err != nil {
			return nil, err
		}
		return r, nil
	},
	"strpos": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		i := strings.Index(a[0].(string), a[1].(string))
		if i < 0 {
			return int64(0), nil
		}
		return int64(utf8.RuneCountInString(a[0].(string)[:i]) + 1), nil
	},
	"left": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		r := []rune(a[0].(string))
		n := int(a[1].(int64))
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		return string(r[:min(n, len(r))]), nil
	},
	"right": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		r := []rune(a[0].(string))
		n := int(a[1].(int64))
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		return string(r[len(r)-min(n, len(r)):]), nil
	},
	"repeat": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		n := a[1].(int64)
		if n <= 0 {
			return "", nil
		}
		if n*int64(len(a[0].(string))) > 1<<28 {
			return nil, types.Errorf(types.CodeProgramLimitExceeded, "requested length too large")
		}
		return strings.Repeat(a[0].(string), int(n)), nil
	},
	"reverse": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		r := []rune(a[0].(string))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	},
	"starts_with": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return strings.HasPrefix(a[0].(string), a[1].(string)), nil
	},
	"md5": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		s := md5.Sum([]byte(a[0].(string)))
		return hex.EncodeToString(s[:]), nil
	},
	"ascii": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		r, _ := utf8.DecodeRuneInString(a[0].(string))
		if r == utf8.RuneError {
			return int64(0), nil
		}
		return int64(r), nil
	},
	"chr": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		n := a[0].(int64)
		if n <= 0 || n > unicode.MaxRune {
			return nil, types.Errorf(types.CodeProgramLimitExceeded, "requested character too large for encoding: %d", n)
		}
		return string(rune(n)), nil
	},
	"lpad": func(a []types.Datum, _ types.Type) (types.Datum, error) { return pad(a, true), nil },
	"rpad": func(a []types.Datum, _ types.Type) (types.Datum, error) { return pad(a, false), nil },
	"btrim": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return strings.Trim(a[0].(string), trimSet(a)), nil
	},
	"ltrim": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return strings.TrimLeft(a[0].(string), trimSet(a)), nil
	},
	"rtrim": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return strings.TrimRight(a[0].(string), trimSet(a)), nil
	},
	"substr":    substr,
	"substring": substr,
	"to_char":   toChar,
	"regexp_match_group": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		flags := ""
		if len(a) > 3 {
			flags = a[3].(string)
			for _, f := range flags {
				switch f {
				case 'i', 'c':
				case 'g':
					err := types.Errorf(types.CodeInvalidParameterValue, "regexp_match() does not support the \"global\" option")
					err.Hint = "Use the regexp_matches function instead."
					return nil, err
				case 'b', 'e', 'm', 'n', 'p', 'q', 's', 't', 'w', 'x':
					return nil, types.Errorf(types.CodeFeatureNotSupported, "regular expression option \"%c\" is not supported", f)
				default:
					return nil, types.Errorf(types.CodeInvalidParameterValue, "invalid regular expression option: \"%c\"", f)
				}
			}
			if i, c := strings.LastIndexByte(flags, 'i'), strings.LastIndexByte(flags, 'c'); c > i {
				flags = "" // the last of i and c wins
			}
		}
		re, err := compileRegexp(a[1].(string), flags)
		if err != nil {
			return nil, err
		}
		s, n := a[0].(string), a[2].(int64)
		if !re.mayMatch(s) {
			return nil, nil
		}
		loc := re.findSubmatchIndex(s)
		switch {
		case loc == nil:
			return nil, nil
		case re.NumSubexp() == 0:
			if n == 1 {
				return s[loc[0]:loc[1]], nil
			}
			return nil, nil
		case n < 1 || int(n) > re.NumSubexp() || loc[2*n] < 0:
			// No such group, or it did not take part in the match.
			return nil, nil
		}
		return s[loc[2*n]:loc[2*n+1]], nil
	},
	"regexp_like": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		re, err := compileRegexp(a[1].(string), "")
		if err != nil {
			return nil, err
		}
		s := a[0].(string)
		return re.mayMatch(s) && re.matchString(s), nil
	},
	"regexp_replace": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		flags := ""
		if len(a) > 3 {
			flags = a[3].(string)
		}
		re, err := compileRegexp(a[1].(string), strings.ReplaceAll(flags, "g", ""))
		if err != nil {
			return nil, err
		}
		repl := pgReplacement(a[2].(string))
		if strings.Contains(flags, "g") {
			return re.ReplaceAllString(a[0].(string), repl), nil
		}
		s := a[0].(string)
		loc := re.findSubmatchIndex(s)
		if loc == nil {
			return s, nil
		}
		var out []byte
		out = re.ExpandString(out, repl, s, loc)
		return s[:loc[0]] + string(out) + s[loc[1]:], nil
	},
	"sign": func(a []types.Datum, t types.Type) (types.Datum, error) {
		switch v := a[0].(type) {
		case int64:
			return int64(cmpSign(float64(v))), nil
		case float64:
			return float64(cmpSign(v)), nil
		case types.Decimal:
			return types.Decimal{Coef: decimal128.FromI64(int64(v.Coef.Sign())), Scale: 0}.Rescale(t.Scale), nil
		}
		return nil, nil
	},
	"ceil":    roundingFunc(true),
	"ceiling": roundingFunc(true),
	"floor":   roundingFunc(false),
	"round": func(a []types.Datum, t types.Type) (types.Datum, error) {
		switch v := a[0].(type) {
		case float64:
			return math.RoundToEven(v), nil
		case types.Decimal:
			s := int32(0)
			if len(a) > 1 {
				s = int32(a[1].(int64))
			}
			if s < 0 {
				s = 0
			}
			return v.Rescale(s), nil
		}
		return nil, nil
	},
	"trunc": func(a []types.Datum, t types.Type) (types.Datum, error) {
		switch v := a[0].(type) {
		case float64:
			return math.Trunc(v), nil
		case types.Decimal:
			s := int32(0)
			if len(a) > 1 {
				s = int32(a[1].(int64))
			}
			if s >= v.Scale || s < 0 {
				return v, nil
			}
			return types.Decimal{Coef: v.Coef.ReduceScaleBy(v.Scale-s, false), Scale: s}, nil
		}
		return nil, nil
	},
	"mod": func(a []types.Datum, t types.Type) (types.Datum, error) { return arith("%", a[0], a[1], t) },
	"power": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return math.Pow(a[0].(float64), a[1].(float64)), nil
	},
	"pow": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return math.Pow(a[0].(float64), a[1].(float64)), nil
	},
	"sqrt": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		if a[0].(float64) < 0 {
			return nil, types.Errorf("2201F", "cannot take square root of a negative number")
		}
		return math.Sqrt(a[0].(float64)), nil
	},
	"exp": func(a []types.Datum, _ types.Type) (types.Datum, error) { return math.Exp(a[0].(float64)), nil },
	"ln":  logFunc(math.Log),
	"log": logFunc(math.Log10), "log10": logFunc(math.Log10),
	"pi": func([]types.Datum, types.Type) (types.Datum, error) { return math.Pi, nil },
	"date_trunc": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return dateTrunc(a[0].(string), a[1].(types.DTimestamp))
	},
	"date_bin": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return dateBin(a[0].(types.DInterval), a[1].(types.DTimestamp), a[2].(types.DTimestamp))
	},
	"date_part": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		d, err := extractField(a[0].(string), a[1])
		if err != nil {
			return nil, err
		}
		return d.Float64(), nil
	},
	"extract": func(a []types.Datum, t types.Type) (types.Datum, error) {
		d, err := extractField(a[0].(string), a[1])
		if err != nil {
			return nil, err
		}
		return d.Rescale(t.Scale), nil
	},
	"to_timestamp": func(a []types.Datum, _ types.Type) (types.Datum, error) {
		f := a[0].(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range")
		}
		return types.DTimestamp(math.Round(f * 1e6)), nil
	},
}

func cmpSign(f float64) int {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return 0
}

// roundingFunc is ceil (up = true) or floor for every number type.
func roundingFunc(up bool) scalarImpl {
	return func(a []types.Datum, t types.Type) (types.Datum, error) {
		switch v := a[0].(type) {
		case int64:
			return v, nil
		case float64:
			if up {
				return math.Ceil(v), nil
			}
			return math.Floor(v), nil
		case types.Decimal:
			trunc := types.Decimal{Coef: v.Coef.ReduceScaleBy(v.Scale, false), Scale: 0}
			if v.Scale > 0 && types.CompareDecimal(trunc, v) != 0 {
				if up && v.Coef.Sign() > 0 {
					trunc.Coef = trunc.Coef.Add(decimal128.FromI64(1))
				} else if !up && v.Coef.Sign() < 0 {
					trunc.Coef = trunc.Coef.Sub(decimal128.FromI64(1))
				}
			}
			return trunc.Rescale(t.Scale), nil
		}
		return nil, nil
	}
}

func logFunc(f func(float64) float64) scalarImpl {
	return func(a []types.Datum, _ types.Type) (types.Datum, error) {
		v := a[0].(float64)
		if v == 0 {
			return nil, types.Errorf("2201E", "cannot take logarithm of zero")
		}
		if v < 0 {
			return nil, types.Errorf("2201E", "cannot take logarithm of a negative number")
		}
		return f(v), nil
	}
}

func trimSet(a []types.Datum) string {
	if len(a) > 1 {
		return a[1].(string)
	}
	return " "
}

func pad(a []types.Datum, left bool) string {
	r := []rune(a[0].(string))
	n := int(a[1].(int64))
	fill := " "
	if len(a) > 2 {
		fill = a[2].(string)
	}
	if n <= len(r) {
		return string(r[:max(n, 0)])
	}
	if fill == "" {
		return string(r)
	}
	f := []rune(fill)
	var p []rune
	for len(p) < n-len(r) {
		p = append(p, f[len(p)%len(f)])
	}
	if left {
		return string(p) + string(r)
	}
	return string(r) + string(p)
}

func substr(a []types.Datum, _ types.Type) (types.Datum, error) {
	r := []rune(a[0].(string))
	start := a[1].(int64)
	end := int64(len(r)) + 1
	if len(a) > 2 {
		n := a[2].(int64)
		if n < 0 {
			return nil, types.Errorf("22011", "negative substring length not allowed")
		}
		end = start + n
	}
	lo := max(start, 1)
	hi := min(end, int64(len(r))+1)
	if hi <= lo {
		return "", nil
	}
	return string(r[lo-1 : hi-1]), nil
}

var (
	regexpMu    sync.Mutex
	regexpCache = map[string]*pgRegexp{}
	// regexpLast is the last pattern compileRegexp returned. A query
	// applies one constant pattern to every row, so this answers nearly
	// every call without building a key or taking the lock.
	regexpLast atomic.Pointer[regexpEntry]
)

type regexpEntry struct {
	pattern, flags string
	re             *pgRegexp
}

// pgRegexp is a compiled regular expression with a literal that every
// match contains (when one can be found): a string without it cannot
// match, which strings.Contains tells far faster than the matcher.
type pgRegexp struct {
	*regexp.Regexp
	must   string
	window *regexpWindow
}

// findSubmatchIndex is FindStringSubmatchIndex, searching only where a
// match can start.
func (r *pgRegexp) findSubmatchIndex(s string) []int {
	if r.window != nil {
		return r.window.findSubmatchIndex(r.Regexp, s)
	}
	return r.FindStringSubmatchIndex(s)
}

// matchString is MatchString, searching only where a match can start.
func (r *pgRegexp) matchString(s string) bool {
	if r.window != nil {
		return r.window.matchString(r.Regexp, s)
	}
	return r.MatchString(s)
}

// mayMatch reports whether s can match at all.
func (r *pgRegexp) mayMatch(s string) bool { return r.must == "" || strings.Contains(s, r.must) }

// splitPart is split_part(s, sep, n): the nth field of s split at sep,
// counting from the end for negative n; "" when there is no such field.
func splitPart(s, sep string, n int64) (string, error) {
	if n == 0 {
		return "", types.Errorf(types.CodeInvalidParameterValue, "field position must not be zero")
	}
	if n > 0 && sep != "" {
		// Walk to the field without splitting the whole string.
		for ; n > 1; n-- {
			j := strings.Index(s, sep)
			if j < 0 {
				return "", nil
			}
			s = s[j+len(sep):]
		}
		if j := strings.Index(s, sep); j >= 0 {
			s = s[:j]
		}
		return s, nil
	}
	var parts []string
	if sep == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, sep)
	}
	if n < 0 {
		n = int64(len(parts)) + n + 1
	}
	if n < 1 || n > int64(len(parts)) {
		return "", nil
	}
	return parts[n-1], nil
}

// compileRegexp compiles a PostgreSQL regular expression (Go's RE2 syntax
// covers the common subset); flags "i" makes it case-insensitive.
func compileRegexp(pattern, flags string) (*pgRegexp, error) {
	if e := regexpLast.Load(); e != nil && e.pattern == pattern && e.flags == flags {
		return e.re, nil
	}
	key := flags + "\x00" + pattern
	regexpMu.Lock()
	defer regexpMu.Unlock()
	if re, ok := regexpCache[key]; ok {
		regexpLast.Store(&regexpEntry{pattern: pattern, flags: flags, re: re})
		return re, nil
	}
	p := pattern
	if strings.Contains(flags, "i") {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, types.Errorf("2201B", "invalid regular expression: %v", err)
	}
	r := &pgRegexp{Regexp: re}
	if tree, err := syntax.Parse(p, syntax.Perl); err == nil {
		r.must = requiredLiteral(tree.Simplify())
	}
	r.window = newRegexpWindow(p)
	if len(regexpCache) > 1024 {
		regexpCache = map[string]*pgRegexp{}
	}
	regexpCache[key] = r
	regexpLast.Store(&regexpEntry{pattern: pattern, flags: flags, re: r})
	return r, nil
}

// requiredLiteral is the longest case-sensitive literal that every match
// of re must contain ("" if none is known): a literal part of a
// concatenation, looking through captures and one-or-more repeats.
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// pgReplacement converts PostgreSQL's \1 and & references to Go's ${1}.
func pgReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${" + string(s[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case c == '&':
			b.WriteString("${0}")
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func dateTrunc(unit string, ts types.DTimestamp) (types.Datum, error) {
	t := time.UnixMicro(int64(ts)).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	var out time.Time
	switch strings.ToLower(unit) {
	case "microseconds", "microsecond":
		return ts, nil
	case "milliseconds", "millisecond":
		return ts - ts%1000, nil
	case "second", "seconds":
		out = time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	case "minute", "minutes":
		out = time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	case "hour", "hours":
		out = time.Date(y, mo, d, h, 0, 0, 0, time.UTC)
	case "day", "days":
		out = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	case "week", "weeks":
		wd := (int(t.Weekday()) + 6) % 7
		out = time.Date(y, mo, d-wd, 0, 0, 0, 0, time.UTC)
	case "month", "months":
		out = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case "quarter":
		out = time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case "year", "years":
		out = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case "decade":
		out = time.Date(y-y%10, 1, 1, 0, 0, 0, 0, time.UTC)
	case "century":
		out = time.Date((y-1)/100*100+1, 1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "unit \"%s\" not recognized for type timestamp", unit)
	}
	return types.DTimestamp(out.UnixMicro()), nil
}

// dateBin is date_bin(stride, ts, origin): the start of the stride-long
// bin, counted from origin, that holds ts (bins before origin too).
func dateBin(stride types.DInterval, ts, origin types.DTimestamp) (types.Datum, error) {
	if stride.Months != 0 {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	width, ok := mulAdd(int64(stride.Days), 86400e6, stride.Micros)
	if !ok || width <= 0 {
		return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "stride must be greater than zero")
	}
	diff := int64(ts) - int64(origin)
	if (diff < 0) != (ts < origin) {
		return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
	}
	delta := diff - diff%width
	if diff%width < 0 {
		delta -= width
	}
	out := int64(origin) + delta
	if (delta < 0) != (out < int64(origin)) {
		return nil, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range")
	}
	return types.DTimestamp(out), nil
}

// mulAdd is a*b + c, and false when it overflows.
func mulAdd(a, b, c int64) (int64, bool) {
	p := a * b
	if a != 0 && p/a != b {
		return 0, false
	}
	r := p + c
	if (c > 0 && r < p) || (c < 0 && r > p) {
		return 0, false
	}
	return r, true
}

// extractField is EXTRACT(field FROM v) as an exact numeric.
func extractField(field string, v types.Datum) (types.Decimal, error) {
	dec := func(n int64) types.Decimal { return types.DecimalFromInt(n) }
	if iv, ok := v.(types.DInterval); ok {
		switch field {
		case "epoch":
			return types.Decimal{Coef: decimal128.FromI64(iv.FixedMicros()), Scale: 6}, nil
		case "year", "years":
			return dec(int64(iv.Months / 12)), nil
		case "month", "months":
			return dec(int64(iv.Months % 12)), nil
		case "day", "days":
			return dec(int64(iv.Days)), nil
		case "hour", "hours":
			return dec(iv.Micros / 3600e6), nil
		case "minute", "minutes":
			return dec(iv.Micros / 60e6 % 60), nil
		case "second", "seconds":
			return types.Decimal{Coef: decimal128.FromI64(iv.Micros % 60e6), Scale: 6}, nil
		}
		return types.Decimal{}, types.Errorf(types.CodeFeatureNotSupported, "unit \"%s\" not supported for type interval", field)
	}
	var us int64
	switch x := v.(type) {
	case types.DTimestamp:
		us = int64(x)
	case types.DDate:
		us = int64(x) * 86400e6
	}
	t := time.UnixMicro(us).UTC()
	switch field {
	case "epoch":
		return types.Decimal{Coef: decimal128.FromI64(us), Scale: 6}, nil
	case "microsecond", "microseconds":
		return dec(int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)), nil
	case "millisecond", "milliseconds":
		return types.Decimal{Coef: decimal128.FromI64(int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)), Scale: 3}, nil
	case "second", "seconds":
		return types.Decimal{Coef: decimal128.FromI64(int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)), Scale: 6}, nil
	case "minute", "minutes":
		return dec(int64(t.Minute())), nil
	case "hour", "hours":
		return dec(int64(t.Hour())), nil
	case "day", "days":
		return dec(int64(t.Day())), nil
	case "month", "months":
		return dec(int64(t.Month())), nil
	case "year", "years":
		return dec(int64(t.Year())), nil
	case "quarter":
		return dec(int64((t.Month()-1)/3 + 1)), nil
	case "dow":
		return dec(int64(t.Weekday())), nil
	case "isodow":
		return dec(int64((int(t.Weekday())+6)%7 + 1)), nil
	case "doy":
		return dec(int64(t.YearDay())), nil
	case "week":
		_, w := t.ISOWeek()
		return dec(int64(w)), nil
	case "isoyear":
		y, _ := t.ISOWeek()
		return dec(int64(y)), nil
	case "decade":
		return dec(int64(t.Year() / 10)), nil
	case "century":
		return dec(int64((t.Year() + 99) / 100)), nil
	case "millennium":
		return dec(int64((t.Year() + 999) / 1000)), nil
	}
	return types.Decimal{}, types.Errorf(types.CodeFeatureNotSupported, "unit \"%s\" not supported", field)
}
