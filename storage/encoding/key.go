package encoding

import (
	"encoding/binary"
	"errors"
	"math"
)

// Markers that start each encoded value.
const (
	markerNull  byte = 0x00
	markerFalse byte = 0x10
	markerTrue  byte = 0x11
	markerInt   byte = 0x20
	markerFloat byte = 0x30
	markerBytes byte = 0x40
)

const (
	escape     byte = 0x00
	escapedNul byte = 0xff
	terminator byte = 0x01
)

// ErrCorrupt marks a key that cannot be decoded.
var ErrCorrupt = errors.New("corrupt key encoding")

// AppendNull appends an ascending NULL.
func AppendNull(buf []byte) []byte { return append(buf, markerNull) }

// AppendBool appends an ascending boolean.
func AppendBool(buf []byte, v bool) []byte {
	if v {
		return append(buf, markerTrue)
	}
	return append(buf, markerFalse)
}

// AppendInt appends an ascending signed integer.
func AppendInt(buf []byte, v int64) []byte {
	buf = append(buf, markerInt)
	return binary.BigEndian.AppendUint64(buf, uint64(v)^(1<<63))
}

// AppendFloat appends an ascending float; NaN sorts above +Inf as in
// PostgreSQL, and -0 equals 0.
func AppendFloat(buf []byte, v float64) []byte {
	if v == 0 {
		v = 0
	}
	bits := math.Float64bits(v)
	if math.IsNaN(v) {
		bits = math.MaxUint64
	} else if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	buf = append(buf, markerFloat)
	return binary.BigEndian.AppendUint64(buf, bits)
}

// AppendBytes appends an ascending byte string.
func AppendBytes(buf []byte, v []byte) []byte {
	buf = append(buf, markerBytes)
	for _, c := range v {
		if c == escape {
			buf = append(buf, escape, escapedNul)
		} else {
			buf = append(buf, c)
		}
	}
	return append(buf, escape, terminator)
}

// AppendString appends an ascending string.
func AppendString(buf []byte, v string) []byte {
	buf = append(buf, markerBytes)
	for i := 0; i < len(v); i++ {
		if v[i] == escape {
			buf = append(buf, escape, escapedNul)
		} else {
			buf = append(buf, v[i])
		}
	}
	return append(buf, escape, terminator)
}

// Invert turns the ascending encoding in buf[from:] into a descending one.
func Invert(buf []byte, from int) {
	for i := from; i < len(buf); i++ {
		buf[i] = ^buf[i]
	}
}

// Kind is the kind of the next value in a key.
type Kind uint8

// Kinds of encoded values.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindBytes
)

// Decode reads one ascending value from the start of key: its kind, its
// payload (bool as 0/1 in i, int in i, float in f, bytes in b) and the rest
// of the key.
func Decode(key []byte) (k Kind, i int64, f float64, b []byte, rest []byte, err error) {
	if len(key) == 0 {
		return 0, 0, 0, nil, nil, ErrCorrupt
	}
	switch m := key[0]; m {
	case markerNull:
		return KindNull, 0, 0, nil, key[1:], nil
	case markerFalse, markerTrue:
		if m == markerTrue {
			i = 1
		}
		return KindBool, i, 0, nil, key[1:], nil
	case markerInt:
		if len(key) < 9 {
			return 0, 0, 0, nil, nil, ErrCorrupt
		}
		return KindInt, int64(binary.BigEndian.Uint64(key[1:]) ^ (1 << 63)), 0, nil, key[9:], nil
	case markerFloat:
		if len(key) < 9 {
			return 0, 0, 0, nil, nil, ErrCorrupt
		}
		bits := binary.BigEndian.Uint64(key[1:])
		switch {
		case bits == math.MaxUint64:
			f = math.NaN()
		case bits&(1<<63) != 0:
			f = math.Float64frombits(bits &^ (1 << 63))
		default:
			f = math.Float64frombits(^bits)
		}
		return KindFloat, 0, f, nil, key[9:], nil
	case markerBytes:
		var out []byte
		for j := 1; j < len(key); j++ {
			c := key[j]
			if c != escape {
				out = append(out, c)
				continue
			}
			if j+1 >= len(key) {
				return 0, 0, 0, nil, nil, ErrCorrupt
			}
			switch key[j+1] {
			case terminator:
				if out == nil {
					out = []byte{}
				}
				return KindBytes, 0, 0, out, key[j+2:], nil
			case escapedNul:
				out = append(out, 0)
				j++
			default:
				return 0, 0, 0, nil, nil, ErrCorrupt
			}
		}
		return 0, 0, 0, nil, nil, ErrCorrupt
	}
	return 0, 0, 0, nil, nil, ErrCorrupt
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix (nil when there is none), the upper bound of a prefix scan.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
