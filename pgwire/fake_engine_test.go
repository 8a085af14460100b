package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/weir-db/weir/types"
)

// fakeEngine answers a handful of canned statements (see fakeSession.compile)
// so that the server can be tested without Weir's engine. Its one table, t
// (a bigint, b text), is shared by its sessions and filled by COPY.
type fakeEngine struct {
	// sleeping receives the context of every "sleep" statement once it
	// waits for cancellation; nil makes "sleep" fail at once (for fuzzing).
	sleeping chan context.Context

	mu     sync.Mutex
	opened int
	closed int
	table  [][]types.Datum
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{sleeping: make(chan context.Context, 16)}
}

func (e *fakeEngine) Connect(ctx context.Context, user, database string) (Session, error) {
	switch {
	case database == "nodb":
		return nil, types.Errorf("3D000", "database %q does not exist", database)
	case database == "panicdb":
		panic("connect exploded")
	}
	e.mu.Lock()
	e.opened++
	e.mu.Unlock()
	return &fakeSession{eng: e, user: user}, nil
}

func (e *fakeEngine) sessions() (opened, closed int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opened, e.closed
}

func (e *fakeEngine) rows() [][]types.Datum {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]types.Datum(nil), e.table...)
}

type fakeSession struct {
	eng    *fakeEngine
	user   string
	closed bool
	// tx is the transaction status: 'I', 'T' after "begin", 'E' after an
	// error inside the block (see txnStmt).
	tx byte
}

var (
	_ Preparer      = (*fakeSession)(nil)
	_ Transactional = (*fakeSession)(nil)
)

func (s *fakeSession) TxStatus() byte {
	if s.tx == 0 {
		return 'I'
	}
	return s.tx
}

func (s *fakeSession) FailBlock() {
	if s.tx == 'T' {
		s.tx = 'E'
	}
}

// txnStmt compiles "begin", "commit" and "rollback" with PostgreSQL's
// notices and tags, and refuses everything else inside a failed block; nil
// for other statements.
func (s *fakeSession) txnStmt(lower string) (*fakeStmt, error) {
	run := func(fn func(w ResultWriter) error) *fakeStmt {
		return &fakeStmt{run: func(_ context.Context, _ []types.Datum, w ResultWriter) error { return fn(w) }}
	}
	switch lower {
	case "begin":
		return run(func(w ResultWriter) error {
			if s.TxStatus() != 'I' {
				if err := w.(Noticer).Notice("WARNING", types.Errorf("25001", "there is already a transaction in progress")); err != nil {
					return err
				}
			} else {
				s.tx = 'T'
			}
			return w.Complete("BEGIN")
		}), nil
	case "commit", "rollback":
		return run(func(w ResultWriter) error {
			tag := strings.ToUpper(lower)
			if s.tx == 'E' {
				tag = "ROLLBACK"
			}
			s.tx = 'I'
			return w.Complete(tag)
		}), nil
	}
	if s.tx == 'E' {
		return nil, types.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	return nil, nil
}

// fakeManyRows is how many rows "select many" returns: enough for several
// mid-statement flushes.
const fakeManyRows = 20000

// fakeTable describes the fake engine's table t.
var fakeTable = []Column{{"a", types.TInt8}, {"b", types.TText}}

// fakeStmt is a compiled canned statement.
type fakeStmt struct {
	params []types.Type
	cols   []Column
	run    func(ctx context.Context, params []types.Datum, w ResultWriter) error
}

func (s *fakeSession) Execute(ctx context.Context, sql string, w ResultWriter) error {
	if s.closed {
		panic("execute on a closed session")
	}
	ran := false
	offset := 0
	for _, stmt := range strings.Split(sql, ";") {
		start := offset
		offset += len(stmt) + 1
		text := strings.TrimSpace(stmt)
		if text == "" {
			continue
		}
		ran = true
		pos := start + strings.Index(stmt, text) + 1
		st, err := s.compile(text, pos, nil)
		if err != nil {
			return err
		}
		if len(st.params) > 0 {
			return types.Errorf("42P02", "there is no parameter $1").WithPosition(pos)
		}
		if st.cols != nil {
			if err := w.Columns(st.cols); err != nil {
				return err
			}
		}
		if err := st.run(ctx, nil, w); err != nil {
			return err
		}
	}
	if !ran {
		return w.EmptyQuery()
	}
	return nil
}

func (s *fakeSession) Prepare(ctx context.Context, sql string, paramTypes []types.Type) (*Statement, error) {
	if s.closed {
		panic("prepare on a closed session")
	}
	var texts []string
	for _, stmt := range strings.Split(sql, ";") {
		if t := strings.TrimSpace(stmt); t != "" {
			texts = append(texts, t)
		}
	}
	switch len(texts) {
	case 0:
		return &Statement{ParamTypes: paramTypes, Handle: (*fakeStmt)(nil)}, nil
	case 1:
	default:
		return nil, types.Errorf(types.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	st, err := s.compile(texts[0], strings.Index(sql, texts[0])+1, paramTypes)
	if err != nil {
		return nil, err
	}
	return &Statement{ParamTypes: st.params, Columns: st.cols, Handle: st}, nil
}

func (s *fakeSession) ExecutePrepared(ctx context.Context, st *Statement, params []types.Datum, w ResultWriter) error {
	if s.closed {
		panic("execute on a closed session")
	}
	fs := st.Handle.(*fakeStmt)
	if fs == nil {
		return w.EmptyQuery()
	}
	if len(params) != len(fs.params) {
		panic(fmt.Sprintf("%d parameters for %d", len(params), len(fs.params)))
	}
	if fs.cols != nil {
		if err := w.Columns(fs.cols); err != nil {
			return err
		}
	}
	return fs.run(ctx, params, w)
}

// compile reads one canned statement; pos is where it starts in the query
// string, for errors. declared are the parameter types the client gave.
func (s *fakeSession) compile(stmt string, pos int, declared []types.Type) (*fakeStmt, error) {
	lower := strings.ToLower(stmt)
	if st, err := s.txnStmt(lower); st != nil || err != nil {
		return st, err
	}
	rows := func(rows ...[]types.Datum) func(context.Context, []types.Datum, ResultWriter) error {
		return func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			for _, r := range rows {
				if err := w.Row(r); err != nil {
					return err
				}
			}
			return w.Complete(fmt.Sprintf("SELECT %d", len(rows)))
		}
	}
	tag := func(tag string) *fakeStmt {
		return &fakeStmt{run: func(_ context.Context, _ []types.Datum, w ResultWriter) error { return w.Complete(tag) }}
	}
	switch lower {
	case "select 1":
		return &fakeStmt{cols: []Column{{"?column?", types.TInt4}}, run: rows([]types.Datum{int64(1)})}, nil
	case "select null":
		return &fakeStmt{cols: []Column{{"n", types.TText}}, run: rows([]types.Datum{nil})}, nil
	case "select user":
		return &fakeStmt{cols: []Column{{"user", types.TText}}, run: rows([]types.Datum{s.user})}, nil
	case "select types":
		return &fakeStmt{cols: []Column{
			{"b", types.TBool},
			{"i8", types.TInt8},
			{"f8", types.TFloat8},
			{"n", types.Type{Family: types.Numeric, Precision: 10, Scale: 2}},
			{"t", types.TText},
			{"v", types.Type{Family: types.Varchar, Width: 10}},
			{"d", types.TDate},
			{"ts", types.TTimestamp},
		}, run: rows([]types.Datum{
			true, int64(-42), 1.5, types.Decimal{Coef: types.DecimalFromInt(12345).Coef, Scale: 2},
			"héllo", "x", types.DDate(19000), types.DTimestamp(1_700_000_000_123_000),
		})}, nil
	case "select many":
		return &fakeStmt{cols: []Column{{"i", types.TInt8}, {"s", types.TText}}, run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			row := make([]types.Datum, 2)
			for i := range fakeManyRows {
				row[0], row[1] = int64(i), "row"
				if err := w.Row(row); err != nil {
					return err
				}
			}
			return w.Complete(fmt.Sprintf("SELECT %d", fakeManyRows))
		}}, nil
	case "select * from t", `select "a", "b" from "t"`: // the second is how pgx's CopyFrom learns the types
		return &fakeStmt{cols: fakeTable, run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			all := s.eng.rows()
			for _, r := range all {
				if err := w.Row(r); err != nil {
					return err
				}
			}
			return w.Complete(fmt.Sprintf("SELECT %d", len(all)))
		}}, nil
	case "create stream s":
		return tag("CREATE STREAM"), nil
	case "insert":
		return tag("INSERT 0 1"), nil
	case "insert returning":
		return &fakeStmt{cols: []Column{{"a", types.TInt4}}, run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			for i := range 3 {
				if err := w.Row([]types.Datum{int64(i)}); err != nil {
					return err
				}
			}
			return w.Complete("INSERT 0 3")
		}}, nil
	case "panic":
		return &fakeStmt{run: func(context.Context, []types.Datum, ResultWriter) error { panic("boom") }}, nil
	case "internal":
		return &fakeStmt{run: func(context.Context, []types.Datum, ResultWriter) error { return errors.New("disk on fire") }}, nil
	case "bad row":
		return &fakeStmt{cols: []Column{{"a", types.TInt4}}, run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			return w.Row([]types.Datum{int64(1), int64(2)})
		}}, nil
	case "no complete":
		return &fakeStmt{run: func(context.Context, []types.Datum, ResultWriter) error { return nil }}, nil
	case "sleep", "sleep ctxerr":
		return &fakeStmt{run: func(ctx context.Context, _ []types.Datum, w ResultWriter) error {
			if s.eng.sleeping == nil {
				return types.Errorf(types.CodeFeatureNotSupported, "no sleeping here")
			}
			s.eng.sleeping <- ctx
			<-ctx.Done()
			if lower == "sleep ctxerr" {
				return fmt.Errorf("sleeping: %w", ctx.Err())
			}
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}}, nil
	case `copy "t" ( "a", "b" ) from stdin binary`: // pgx's CopyFrom
		lower = "copy t from stdin binary"
		fallthrough
	case "copy t from stdin", "copy t from stdin csv", "copy t from stdin binary", "copy t from stdin unread":
		return &fakeStmt{run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			return s.copyIn(lower, w)
		}}, nil
	case "copy t to stdout", "copy t to stdout csv":
		return &fakeStmt{run: func(_ context.Context, _ []types.Datum, w ResultWriter) error {
			return s.copyOut(strings.HasSuffix(lower, "csv"), w)
		}}, nil
	}
	if strings.HasPrefix(lower, "set ") {
		return tag("SET"), nil // JDBC sets extra_float_digits
	}
	if strings.HasPrefix(lower, "select ") {
		return compileSelect(stmt[len("select "):], pos, declared)
	}
	if n, ok := strings.CutPrefix(lower, "series "); ok {
		return compileSeries(n, pos, declared)
	}
	word, _, _ := strings.Cut(lower, " ")
	return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", word).WithPosition(pos)
}

// compileSelect compiles "select <item>, ..." where an item is $n, with an
// optional ::type, or an integer: it returns one row of the items, the
// parameters echoed back.
func compileSelect(list string, pos int, declared []types.Type) (*fakeStmt, error) {
	params := append([]types.Type(nil), declared...)
	type item struct {
		param int // 1-based; 0 for a constant
		val   types.Datum
	}
	var items []item
	var cols []Column
	for _, text := range splitItems(list) {
		text = strings.TrimSpace(text)
		expr, cast, hasCast := strings.Cut(text, "::")
		var typ types.Type
		if hasCast {
			var err error
			if typ, err = types.ParseTypeName(cast); err != nil {
				return nil, err
			}
		}
		if n, ok := strings.CutPrefix(expr, "$"); ok {
			i, err := strconv.Atoi(n)
			if err != nil || i < 1 || i > 1000 {
				return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", expr).WithPosition(pos)
			}
			for len(params) < i {
				params = append(params, types.TUnknown)
			}
			switch {
			case hasCast && params[i-1].Family == types.Unknown:
				params[i-1] = typ
			case !hasCast:
				typ = params[i-1]
			}
			if typ.Family == types.Unknown {
				typ = types.TText
			}
			items = append(items, item{param: i})
			name := "?column?"
			if hasCast {
				name = typ.String()
			}
			cols = append(cols, Column{Name: name, Type: typ})
			continue
		}
		v, err := strconv.ParseInt(expr, 10, 32)
		if err != nil {
			return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", expr).WithPosition(pos)
		}
		items = append(items, item{val: v})
		cols = append(cols, Column{Name: "?column?", Type: types.TInt4})
	}
	return &fakeStmt{params: params, cols: cols, run: func(_ context.Context, args []types.Datum, w ResultWriter) error {
		row := make([]types.Datum, len(items))
		for i, it := range items {
			row[i] = it.val
			if it.param > 0 {
				d, err := types.Cast(args[it.param-1], params[it.param-1], cols[i].Type)
				if err != nil {
					return err
				}
				row[i] = d
			}
		}
		if err := w.Row(row); err != nil {
			return err
		}
		return w.Complete("SELECT 1")
	}}, nil
}

// splitItems splits a select list at the commas outside parentheses.
func splitItems(list string) []string {
	var items []string
	depth, start := 0, 0
	for i, c := range list {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, list[start:i])
				start = i + 1
			}
		}
	}
	return append(items, list[start:])
}

// compileSeries compiles "series <n>" or "series $1": rows 1 to n of an
// integer column.
func compileSeries(arg string, pos int, declared []types.Type) (*fakeStmt, error) {
	cols := []Column{{"n", types.TInt4}}
	count := func([]types.Datum) (int64, error) { return strconv.ParseInt(arg, 10, 32) }
	var params []types.Type
	if arg == "$1" {
		params = []types.Type{types.TInt4}
		if len(declared) > 0 && declared[0].Family != types.Unknown {
			params[0] = declared[0]
		}
		count = func(args []types.Datum) (int64, error) {
			n, ok := args[0].(int64)
			if !ok {
				return 0, types.Errorf(types.CodeNotNullViolation, "series needs a count")
			}
			return n, nil
		}
	} else if _, err := count(nil); err != nil {
		return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", arg).WithPosition(pos)
	}
	return &fakeStmt{params: params, cols: cols, run: func(_ context.Context, args []types.Datum, w ResultWriter) error {
		n, err := count(args)
		if err != nil {
			return err
		}
		for i := range n {
			if err := w.Row([]types.Datum{i + 1}); err != nil {
				return err
			}
		}
		return w.Complete(fmt.Sprintf("SELECT %d", n))
	}}, nil
}

// copyIn runs "copy t from stdin [csv|binary|unread]" into the table.
func (s *fakeSession) copyIn(stmt string, w ResultWriter) error {
	format := CopyText
	if strings.HasSuffix(stmt, "binary") {
		format = CopyBinary
	}
	r, err := w.(Copier).CopyIn(format, len(fakeTable))
	if err != nil {
		return err
	}
	var rows [][]types.Datum
	switch {
	case strings.HasSuffix(stmt, "unread"):
		// Complete discards the data.
	case format == CopyBinary:
		if rows, err = readBinaryCopy(r); err != nil {
			return err
		}
	default:
		dec := NewCopyDecoder(r, DefaultCopyOptions(strings.HasSuffix(stmt, "csv")))
		for {
			fields, err := dec.ReadRow()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if len(fields) != len(fakeTable) {
				return types.Errorf("22P04", "wrong number of columns on line %d", dec.Line())
			}
			row := make([]types.Datum, len(fields))
			for i, f := range fields {
				if f.Null {
					continue
				}
				if row[i], err = types.ParseText(fakeTable[i].Type, f.Text); err != nil {
					return err
				}
			}
			rows = append(rows, row)
		}
		// Read to the end: the end marker may come before CopyDone.
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
	}
	s.eng.mu.Lock()
	s.eng.table = append(s.eng.table, rows...)
	s.eng.mu.Unlock()
	return w.Complete(fmt.Sprintf("COPY %d", len(rows)))
}

// readBinaryCopy reads COPY's binary format: a signature, flags and header
// extension, then rows of a field count and length-prefixed fields, then
// -1 (or just the end).
func readBinaryCopy(r io.Reader) ([][]types.Datum, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	const sig = "PGCOPY\n\xff\r\n\x00"
	bad := types.Errorf("22P04", "invalid COPY file header")
	if !bytes.HasPrefix(data, []byte(sig)) || len(data) < len(sig)+8 {
		return nil, bad
	}
	data = data[len(sig)+4:]
	ext := int(binary.BigEndian.Uint32(data))
	if ext < 0 || 4+ext > len(data) {
		return nil, bad
	}
	data = data[4+ext:]
	var rows [][]types.Datum
	for {
		switch len(data) {
		case 0:
			return rows, nil // the end of the data may stand for the trailer, as in PostgreSQL
		case 1:
			return nil, types.Errorf("22P04", "unexpected EOF in COPY data")
		}
		n := int16(binary.BigEndian.Uint16(data))
		data = data[2:]
		if n == -1 {
			return rows, nil
		}
		if int(n) != len(fakeTable) {
			return nil, types.Errorf("22P04", "row field count is %d, expected %d", n, len(fakeTable))
		}
		row := make([]types.Datum, n)
		for i := range row {
			if len(data) < 4 {
				return nil, types.Errorf("22P04", "unexpected EOF in COPY data")
			}
			l := int32(binary.BigEndian.Uint32(data))
			data = data[4:]
			if l == -1 {
				continue
			}
			if l < 0 || int(l) > len(data) {
				return nil, types.Errorf("22P04", "unexpected EOF in COPY data")
			}
			if row[i], err = DecodeBinary(fakeTable[i].Type, data[:l]); err != nil {
				return nil, err
			}
			data = data[l:]
		}
		rows = append(rows, row)
	}
}

// copyOut runs "copy t to stdout [csv]".
func (s *fakeSession) copyOut(csv bool, w ResultWriter) error {
	out, err := w.(Copier).CopyOut(CopyText, len(fakeTable))
	if err != nil {
		return err
	}
	enc := NewCopyEncoder(DefaultCopyOptions(csv))
	ts := []types.Type{types.TInt8, types.TText}
	all := s.eng.rows()
	var buf []byte
	for _, row := range all {
		buf = enc.AppendRow(buf[:0], ts, row)
		if _, err := out.Write(buf); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("COPY %d", len(all)))
}

func (s *fakeSession) Close() {
	if s.closed {
		panic("session closed twice")
	}
	s.closed = true
	s.eng.mu.Lock()
	s.eng.closed++
	s.eng.mu.Unlock()
}
