package windowing

// Policy is how a windowed operator emits and when it finalizes windows.
//
// A window [s, e) is closed once the watermark reaches e: an EMIT ON
// WINDOW CLOSE operator emits its final rows then. It stays correctable
// for AllowLateness more: rows for it still update it (retracting and
// correcting a closed window's row). Once the watermark reaches e +
// AllowLateness the window has expired: its state is purged and a row
// for it is late. A row below the watermark whose window has not expired
// is on time.
type Policy struct {
	OnClose bool
	// EarlyEvery is the processing time between provisional emissions of
	// open windows (0: none). The runtime keeps the timer; operators only
	// see its firings.
	EarlyEvery    int64
	AllowLateness int64
}

// Closed reports whether a window ending at end is closed at watermark wm.
func (p Policy) Closed(end, wm int64) bool { return end <= wm }

// Expired reports whether a window ending at end has expired at watermark
// wm: its state may go and rows for it are late.
func (p Policy) Expired(end, wm int64) bool { return end+p.AllowLateness <= wm }
