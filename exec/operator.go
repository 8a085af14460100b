package exec

// Message is what flows between operators: a chunk of changes, or a
// watermark (event time, microseconds, below which no more rows are
// expected), never both.
type Message struct {
	Chunk     *Chunk
	Watermark *int64
}

// Operator is one synchronous step of a dataflow. Process consumes one
// message and returns the messages it produces, in order. Operators keep
// state only through the StateStore given at construction and never start
// goroutines or read the clock.
type Operator interface {
	Process(m Message) ([]Message, error)
}

// Pipeline runs a chain of operators.
type Pipeline []Operator

// Push sends m through every operator and returns what comes out of the
// last one.
func (p Pipeline) Push(m Message) ([]Message, error) {
	msgs := []Message{m}
	for _, op := range p {
		var next []Message
		for _, in := range msgs {
			out, err := op.Process(in)
			if err != nil {
				return nil, err
			}
			next = append(next, out...)
		}
		msgs = next
	}
	return msgs, nil
}
