package exec

// Message is what flows between operators, exactly one of: a chunk of
// changes; a watermark (event time, microseconds, below which no more
// rows are expected); or a fire, the runtime's processing-time timer
// asking operators that hold provisional results (EMIT ON WINDOW CLOSE
// ... EARLY EVERY) to emit them now. Operators that do not act on a
// watermark or a fire forward it unchanged.
type Message struct {
	Chunk     *Chunk
	Watermark *int64
	Fire      bool
}

// Operator is one synchronous step of a dataflow. Process consumes one
// message and returns the messages it produces, in order. Operators keep
// state only through the StateStore given at construction and never start
// goroutines or read the clock.
type Operator interface {
	Process(m Message) ([]Message, error)
}

// Resetter is an operator holding in-memory copies of its state
// (watermark, counters). The runtime calls Reset after discarding a failed
// epoch's writes, so the copies are read again from committed state.
type Resetter interface {
	Reset()
}

// Pipeline runs a chain of operators.
type Pipeline []Operator

// Push sends m through every operator and returns what comes out of the
// last one.
func (p Pipeline) Push(m Message) ([]Message, error) {
	return p.pushAll([]Message{m})
}
