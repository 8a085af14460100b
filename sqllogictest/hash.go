package sqllogictest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
)

// hashValues computes the digest SQLite's sqllogictest writes as
// "N values hashing to <md5>": the MD5 of every value, in the order the sort
// mode left them, each followed by a newline. Values are in their rendered
// form (NULL, (empty)). Unlike SQLite's runner, non-printable bytes are not
// replaced by '@' first; the SQLite corpus is ASCII, where that makes no
// difference.
func hashValues(values []string) string {
	h := md5.New()
	for _, v := range values {
		h.Write([]byte(v))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var hashLine = regexp.MustCompile(`^(\d+) values hashing to ([0-9a-fA-F]{32})$`)

// parseHashLine recognizes an expected "N values hashing to <md5>" line,
// already whitespace-normalized.
func parseHashLine(line string) (n int, hash string, ok bool) {
	m := hashLine.FindStringSubmatch(line)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, "", false
	}
	return n, m[2], true
}

func formatHashLine(n int, hash string) string {
	return fmt.Sprintf("%d values hashing to %s", n, hash)
}
