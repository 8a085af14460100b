package pgwire

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// saslPrep normalizes a password with SASLprep (RFC 4013) before it is
// hashed, as PostgreSQL and libpq do, so that the same password typed in
// another Unicode form still matches: non-ASCII spaces become spaces,
// characters "commonly mapped to nothing" go, and the result is NFKC.
//
// As in PostgreSQL, a password that is not valid UTF-8 or holds a
// prohibited character is used as it is, and ASCII is left alone. Unlike
// PostgreSQL, the bidirectional-text and unassigned-code-point checks are
// not made: such passwords are normalized rather than used raw.
func saslPrep(password string) string {
	ascii := true
	for i := 0; i < len(password); i++ {
		ascii = ascii && password[i] < utf8.RuneSelf
	}
	if ascii || !utf8.ValidString(password) {
		return password
	}
	var b strings.Builder
	for _, r := range password {
		switch {
		case mappedToNothing(r):
		case nonASCIISpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := norm.NFKC.String(b.String())
	for _, r := range out {
		if prohibited(r) {
			return password
		}
	}
	return out
}

// mappedToNothing is RFC 3454's table B.1.
func mappedToNothing(r rune) bool {
	switch r {
	case 0x00AD, 0x034F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return true
	}
	return r >= 0xFE00 && r <= 0xFE0F
}

// nonASCIISpace is RFC 3454's table C.1.2.
func nonASCIISpace(r rune) bool {
	switch r {
	case 0x00A0, 0x1680, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200B
}

// prohibited is RFC 4013's prohibited output: RFC 3454's tables C.1.2 and
// C.2 to C.9.
func prohibited(r rune) bool {
	switch {
	case nonASCIISpace(r),
		r < 0x20 || r == 0x7F,                                         // C.2.1
		r >= 0x80 && r <= 0x9F, r == 0x06DD, r == 0x070F, r == 0x180E, // C.2.2
		r >= 0x200C && r <= 0x200D, r >= 0x2028 && r <= 0x2029,
		r >= 0x2060 && r <= 0x2063, r >= 0x206A && r <= 0x206F,
		r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFC, r >= 0x1D173 && r <= 0x1D17A,
		r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000 && r <= 0xFFFFD, r >= 0x100000 && r <= 0x10FFFD, // C.3
		r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE, // C.4
		r >= 0xD800 && r <= 0xDFFF,                                                     // C.5
		r == 0xFFFD,                                                                    // C.6 (with FFF9-FFFC above)
		r >= 0x2FF0 && r <= 0x2FFB,                                                     // C.7
		r == 0x0340, r == 0x0341, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, // C.8
		r == 0xE0001, r >= 0xE0020 && r <= 0xE007F: // C.9
		return true
	}
	return false
}
