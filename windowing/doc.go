// Package windowing owns event time: window assigners (which TUMBLE, HOP
// and SESSION windows a timestamp belongs to), watermark tracking across
// source partitions, and the emit policy's notion of closed and expired
// windows (lateness). It is pure: no goroutines, no clock; time arrives as
// values.
package windowing
