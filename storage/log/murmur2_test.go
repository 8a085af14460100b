package log

import "testing"

// TestMurmur2 checks Kafka's own vectors (UtilsTest.testMurmur2 in
// apache/kafka) and more from librdkafka and the Akka Kafka partitioner
// tests, all computed by Kafka's Utils.murmur2.
func TestMurmur2(t *testing.T) {
	for _, c := range []struct {
		key  string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
		{"1", -1993445489},
		{"12", 126087238},
		{"123", -267702483},
		{"1234", -1614185708},
		{"12345", -1188365604},
	} {
		if got := murmur2([]byte(c.key)); got != c.want {
			t.Errorf("murmur2(%q) = %d, want %d", c.key, got, c.want)
		}
	}
}

func TestToPositive(t *testing.T) {
	for _, c := range [][2]int32{{0, 0}, {5, 5}, {-1, 0x7fffffff}, {-2147483648, 0}, {-973932308, 1173551340}} {
		if got := toPositive(c[0]); got != c[1] {
			t.Errorf("toPositive(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}
