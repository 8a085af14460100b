package pgwire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/weir-db/weir/types"
)

// COPY's text and CSV formats, as PostgreSQL 15 reads and writes them. Both
// sides of a COPY need them: the engine decodes what a client sends to COPY
// FROM STDIN and encodes what COPY TO STDOUT returns.
//
// Text: one row per line (\n, or \r\n), fields separated by the delimiter
// (tab), NULL written as the null string (\N), and backslash escapes:
//
//	\b \f \n \r \t \v   the control character
//	\ooo                 an octal byte (1 to 3 digits)
//	\xhh                 a hexadecimal byte (1 or 2 digits)
//	\c                   c itself, for any other c (\\ is a backslash, \<tab>
//	                     a delimiter that is data)
//	\.                   at the end of a line, the end of the data
//
// CSV (RFC 4180 with PostgreSQL's options): fields separated by the
// delimiter (','), quoted with the quote character ('"') when they hold a
// delimiter, quote, CR or LF; inside quotes the escape character (the quote
// by default) escapes a quote or itself, and newlines are data. An unquoted
// field equal to the null string (empty) is NULL; a quoted one never is.

// CopyOptions are the options of COPY that shape the text and CSV formats.
// Start from DefaultCopyOptions and set what the statement gives.
type CopyOptions struct {
	// CSV selects the CSV format; otherwise the text format.
	CSV bool
	// Delimiter separates fields.
	Delimiter byte
	// Null is the field that stands for NULL.
	Null string
	// Quote and Escape are CSV's quote and escape characters.
	Quote, Escape byte
}

// DefaultCopyOptions are PostgreSQL's defaults for the text (csv false) or
// CSV format.
func DefaultCopyOptions(csv bool) CopyOptions {
	if csv {
		return CopyOptions{CSV: true, Delimiter: ',', Null: "", Quote: '"', Escape: '"'}
	}
	return CopyOptions{Delimiter: '\t', Null: `\N`}
}

// Check rejects options that make the format ambiguous, with PostgreSQL's
// complaints.
func (o CopyOptions) Check() error {
	bad := func(msg string) error { return types.Errorf(types.CodeFeatureNotSupported, "%s", msg) }
	switch {
	case o.Delimiter == '\n' || o.Delimiter == '\r':
		return bad("COPY delimiter cannot be newline or carriage return")
	case strings.ContainsAny(o.Null, "\r\n"):
		return bad("COPY null representation cannot use newline or carriage return")
	case !o.CSV && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, o.Delimiter) >= 0:
		return types.Errorf(types.CodeFeatureNotSupported, "COPY delimiter cannot be %q", string(o.Delimiter))
	case o.CSV && o.Delimiter == o.Quote:
		return bad("COPY delimiter and quote must be different")
	case strings.IndexByte(o.Null, o.Delimiter) >= 0:
		return bad("COPY delimiter must not appear in the NULL specification")
	case o.CSV && strings.IndexByte(o.Null, o.Quote) >= 0:
		return bad("CSV quote character must not appear in the NULL specification")
	}
	return nil
}

// CopyField is one field of a row read by a CopyDecoder.
type CopyField struct {
	Text string
	Null bool
}

// CopyDecoder reads rows of the text or CSV format from a stream, such as
// the reader Copier.CopyIn returns. Errors in the data are 22P04
// (bad_copy_file_format) or 22021 (not UTF-8); the caller adds the line
// number (Line) as PostgreSQL's context does.
type CopyDecoder struct {
	r    *bufio.Reader
	opts CopyOptions
	// line is the current logical line (CSV's can span physical lines),
	// without its terminator.
	line   []byte
	fields []CopyField
	buf    []byte
	lineNo int
	// done is set once the end of the data, or its end marker, is reached.
	done bool
}

// NewCopyDecoder reads rows in opts's format from r.
func NewCopyDecoder(r io.Reader, opts CopyOptions) *CopyDecoder {
	return &CopyDecoder{r: bufio.NewReaderSize(r, 64<<10), opts: opts}
}

// Line is the 1-based number of the last row read, counting lines as
// PostgreSQL does in its COPY error context: a CSV row with quoted
// newlines is one line.
func (d *CopyDecoder) Line() int { return d.lineNo }

func badCopyData(format string, args ...any) *types.Error {
	return types.Errorf("22P04", format, args...)
}

// ReadRow reads the next row. The slice is valid until the next call. At
// the end of the data, or at its end marker (\. on a line of its own), it
// returns io.EOF.
func (d *CopyDecoder) ReadRow() ([]CopyField, error) {
	for {
		if d.done {
			return nil, io.EOF
		}
		ok, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if !ok {
			d.done = true
			return nil, io.EOF
		}
		var fields []CopyField
		var end bool
		if d.opts.CSV {
			fields, end, err = d.splitCSV()
		} else {
			fields, end, err = d.splitText()
		}
		if err != nil {
			return nil, err
		}
		if end {
			// The end marker; in text, what precedes it on its line is a
			// last row, as in PostgreSQL 15.
			d.done = true
			if fields == nil {
				return nil, io.EOF
			}
		}
		return fields, nil
	}
}

// readLine reads the next logical line into d.line: up to a newline that is
// neither escaped (text: a backslash before it makes it data) nor inside
// quotes (CSV). It reports false at the end of the data.
func (d *CopyDecoder) readLine() (bool, error) {
	d.line = d.line[:0]
	d.lineNo++
	first := true
	inQuote, lastWasEsc := false, false
	for {
		chunk, err := d.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) && !errors.Is(err, io.EOF) {
			return false, err
		}
		atEOF := errors.Is(err, io.EOF)
		if atEOF && len(chunk) == 0 && first {
			return false, nil
		}
		first = false
		start := len(d.line)
		d.line = append(d.line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			if d.opts.CSV {
				inQuote, lastWasEsc = d.scanQuotes(d.line[start:], inQuote, lastWasEsc)
			}
			continue
		}
		if atEOF {
			return true, nil // a last line without a newline
		}
		// The line ends at this newline unless it is data.
		if d.opts.CSV {
			inQuote, lastWasEsc = d.scanQuotes(d.line[start:], inQuote, lastWasEsc)
			if inQuote {
				continue
			}
		} else if trailingBackslashes(d.line[:len(d.line)-1])%2 == 1 {
			continue
		}
		d.line = d.line[:len(d.line)-1]
		if n := len(d.line); n > 0 && d.line[n-1] == '\r' {
			d.line = d.line[:n-1]
		}
		return true, nil
	}
}

// scanQuotes follows CSV quoting through b, as PostgreSQL's line reader
// does: a quote toggles, except that when the escape differs from the
// quote, an escape counts inside quotes and right before a quote, and not
// as the second of a pair.
func (d *CopyDecoder) scanQuotes(b []byte, inQuote, lastWasEsc bool) (bool, bool) {
	q, e := d.opts.Quote, d.opts.Escape
	if q == e {
		for _, c := range b {
			if c == q {
				inQuote = !inQuote
			}
		}
		return inQuote, false
	}
	for _, c := range b {
		if inQuote && c == e {
			lastWasEsc = !lastWasEsc
		}
		if c == q && !lastWasEsc {
			inQuote = !inQuote
		}
		if c != e {
			lastWasEsc = false
		}
	}
	return inQuote, lastWasEsc
}

func trailingBackslashes(b []byte) int {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n
}

// splitText splits a text-format line into fields, undoing the escapes.
// end reports the end marker; fields is then what preceded it, or nil.
func (d *CopyDecoder) splitText() (fields []CopyField, end bool, err error) {
	line := d.line
	// The end marker: "\." at the end of the line, unescaped.
	if i := endMarker(line); i >= 0 {
		if i+2 != len(line) {
			return nil, false, badCopyData("end-of-copy marker corrupt")
		}
		if i == 0 {
			return nil, true, nil
		}
		line, end = line[:i], true
	}
	d.fields = d.fields[:0]
	delim := d.opts.Delimiter
	for start := 0; ; {
		// Find the end of the field: an unescaped delimiter.
		i := start
		for i < len(line) && line[i] != delim {
			if line[i] == '\\' {
				i++
			}
			i++
		}
		i = min(i, len(line))
		raw := line[start:i]
		f, err := d.textField(raw)
		if err != nil {
			return nil, false, err
		}
		d.fields = append(d.fields, f)
		if i >= len(line) {
			break
		}
		start = i + 1
	}
	return d.fields, end, nil
}

// endMarker returns the offset of an unescaped `\.` in a text line, or -1.
func endMarker(line []byte) int {
	for i := 0; i+1 < len(line); i++ {
		if line[i] == '\\' {
			if line[i+1] == '.' {
				return i
			}
			i++
		}
	}
	return -1
}

// textField reads one raw text field: NULL if it is the null string as
// written, otherwise the text with escapes undone.
func (d *CopyDecoder) textField(raw []byte) (CopyField, error) {
	if string(raw) == d.opts.Null {
		return CopyField{Null: true}, nil
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		if bytes.IndexByte(raw, '\r') >= 0 {
			return CopyField{}, withHint(badCopyData("literal carriage return found in data"),
				`Use "\r" to represent carriage return.`)
		}
		if err := checkText(raw); err != nil {
			return CopyField{}, err
		}
		return CopyField{Text: string(raw)}, nil
	}
	out := d.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\r':
			return CopyField{}, withHint(badCopyData("literal carriage return found in data"),
				`Use "\r" to represent carriage return.`)
		case c != '\\' || i+1 == len(raw):
			out = append(out, c)
			continue
		}
		i++
		switch c = raw[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := c - '0'
			for k := 0; k < 2 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7'; k++ {
				i++
				v = v*8 + raw[i] - '0'
			}
			out = append(out, v)
		case 'x':
			if i+1 < len(raw) && isHexDigit(raw[i+1]) {
				i++
				v := unhex(raw[i])
				if i+1 < len(raw) && isHexDigit(raw[i+1]) {
					i++
					v = v<<4 | unhex(raw[i])
				}
				out = append(out, v)
			} else {
				out = append(out, 'x')
			}
		default:
			out = append(out, c)
		}
	}
	d.buf = out
	if err := checkText(out); err != nil {
		return CopyField{}, err
	}
	return CopyField{Text: string(out)}, nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// splitCSV splits a CSV line into fields, undoing quotes and escapes. end
// reports the end marker.
func (d *CopyDecoder) splitCSV() (fields []CopyField, end bool, err error) {
	line := d.line
	// Only `\.` alone on its line ends CSV data: elsewhere it is a value.
	if string(line) == `\.` {
		return nil, true, nil
	}
	d.fields = d.fields[:0]
	o := d.opts
	out := d.buf[:0]
	for i := 0; ; {
		fieldStart := len(out)
		rawStart := i
		sawQuote, inQuote := false, false
		for ; i < len(line); i++ {
			c := line[i]
			if !inQuote {
				if c == o.Delimiter {
					break
				}
				if c == o.Quote {
					inQuote, sawQuote = true, true
					continue
				}
				if c == '\r' {
					return nil, false, withHint(badCopyData("unquoted carriage return found in data"),
						"Use quoted CSV field to represent carriage return.")
				}
				out = append(out, c)
				continue
			}
			if c == o.Escape && i+1 < len(line) && (line[i+1] == o.Escape || line[i+1] == o.Quote) {
				i++
				out = append(out, line[i])
				continue
			}
			if c == o.Quote {
				inQuote = false
				continue
			}
			out = append(out, c)
		}
		if inQuote {
			return nil, false, badCopyData("unterminated CSV quoted field")
		}
		if !sawQuote && string(line[rawStart:i]) == o.Null {
			out = out[:fieldStart]
			d.fields = append(d.fields, CopyField{Null: true})
		} else {
			if err := checkText(out[fieldStart:]); err != nil {
				return nil, false, err
			}
			d.fields = append(d.fields, CopyField{Text: string(out[fieldStart:])})
		}
		if i >= len(line) {
			break
		}
		i++ // the delimiter
	}
	d.buf = out
	return d.fields, false, nil
}

// withHint returns a copy of e with a HINT line.
func withHint(e *types.Error, hint string) *types.Error {
	c := *e
	c.Hint = hint
	return &c
}

// CopyEncoder writes rows in the text or CSV format.
type CopyEncoder struct {
	opts    CopyOptions
	scratch []byte
}

// NewCopyEncoder writes rows in opts's format.
func NewCopyEncoder(opts CopyOptions) *CopyEncoder { return &CopyEncoder{opts: opts} }

// AppendRow appends one row, ending in a newline: each non-NULL datum in
// its text form (types.FormatText), escaped or quoted, NULL as the null
// string.
func (e *CopyEncoder) AppendRow(buf []byte, ts []types.Type, row []types.Datum) []byte {
	for i, d := range row {
		if i > 0 {
			buf = append(buf, e.opts.Delimiter)
		}
		if d == nil {
			buf = append(buf, e.opts.Null...)
			continue
		}
		e.scratch = types.FormatText(e.scratch[:0], ts[i], d)
		if e.opts.CSV {
			buf = e.appendCSV(buf, e.scratch, len(row) == 1)
		} else {
			buf = e.appendText(buf, e.scratch)
		}
	}
	return append(buf, '\n')
}

// AppendStrings appends one row of text fields (a header, say), formatted
// as AppendRow formats text datums.
func (e *CopyEncoder) AppendStrings(buf []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, e.opts.Delimiter)
		}
		if e.opts.CSV {
			buf = e.appendCSV(buf, []byte(f), len(fields) == 1)
		} else {
			buf = e.appendText(buf, []byte(f))
		}
	}
	return append(buf, '\n')
}

// appendText escapes a field as PostgreSQL's text output does: backslash
// and the delimiter get a backslash, and so do the control characters that
// have a letter, as that letter.
func (e *CopyEncoder) appendText(buf, s []byte) []byte {
	delim := e.opts.Delimiter
	for _, c := range s {
		switch {
		case c == '\\' || c == delim:
			buf = append(buf, '\\', c)
		case c >= 0x20:
			buf = append(buf, c)
		case c == '\b':
			buf = append(buf, '\\', 'b')
		case c == '\f':
			buf = append(buf, '\\', 'f')
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case c == '\v':
			buf = append(buf, '\\', 'v')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendCSV quotes a field when PostgreSQL would: when it equals the null
// string, holds the delimiter, the quote, CR or LF, or is `\.` alone on its
// line; inside quotes, quote and escape characters get the escape.
func (e *CopyEncoder) appendCSV(buf, s []byte, single bool) []byte {
	o := e.opts
	quote := string(s) == o.Null || single && string(s) == `\.`
	for _, c := range s {
		if quote {
			break
		}
		quote = c == o.Delimiter || c == o.Quote || c == '\n' || c == '\r'
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, o.Quote)
	for _, c := range s {
		if c == o.Quote || c == o.Escape {
			buf = append(buf, o.Escape)
		}
		buf = append(buf, c)
	}
	return append(buf, o.Quote)
}
