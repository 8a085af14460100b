// Package windowing owns event time: window assigners (which windows a
// timestamp belongs to) and watermark tracking across source partitions.
// It is pure: no goroutines, no clock; time arrives as values.
package windowing
