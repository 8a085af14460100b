package pgwire

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// The extended query protocol, as PostgreSQL 15 speaks it. A client parses
// statements (Parse), binds them to parameter values and result formats
// (Bind, making a portal), asks about either (Describe), runs portals
// (Execute, possibly a few rows at a time), and drops either (Close). Sync
// ends the batch: its ReadyForQuery is the only one the client gets, and
// after an error every message up to it is skipped.
//
// Lifetimes, as in PostgreSQL outside a transaction block:
//
//	named statement    until Close or the end of the session
//	unnamed statement  until the next Parse of the unnamed statement (even
//	                   one that fails) or the next simple Query
//	portal             until Close, Sync or the next simple Query (the end
//	                   of the implicit transaction); the unnamed one also
//	                   until the next Bind of the unnamed portal. Inside
//	                   a transaction block (Transactional), until the
//	                   Sync or Query that finds the block ended
//
// A portal keeps its statement alive after the statement is closed.

// preparedStatement is a statement the client prepared, with its text for
// log lines.
type preparedStatement struct {
	st  *Statement
	sql string
}

// extended runs one extended-protocol message. An error the client should
// hear is sent as ERROR and begins the skip to Sync; an error that ends the
// connection is returned.
func (c *conn) extended(typ byte, body []byte) error {
	var err error
	switch typ {
	case msgParse:
		err = c.parse(body)
	case msgBind:
		err = c.bind(body)
	case msgDescribe:
		err = c.describe(body)
	case msgExecute:
		err = c.execute(body)
	case msgClose:
		err = c.close(body)
	}
	if err := c.finish(err, "in "+messageName(typ)+" message"); err != nil {
		return err
	}
	if err != nil {
		c.skipUntilSync = true
	}
	return nil
}

// sync ends an extended-protocol batch, and with it the implicit
// transaction and its portals; inside a transaction block the portals live
// on until the block ends.
func (c *conn) sync() error {
	c.skipUntilSync = false
	if c.txStatus() == 'I' {
		c.dropPortals()
	}
	return c.readyForQuery()
}

func (c *conn) dropPortals() { clear(c.portals) }

// preparer is the session's Preparer, or an error if it has none.
func (c *conn) preparer() (Preparer, error) {
	p, ok := c.sess.(Preparer)
	if !ok {
		return nil, types.Errorf(types.CodeFeatureNotSupported, msgExtendedUnsupported)
	}
	return p, nil
}

// parse handles Parse: statement name, query, parameter type OIDs.
func (c *conn) parse(body []byte) error {
	r := msgReader{b: body}
	name := r.string()
	sql := r.string()
	oids := make([]uint32, r.uint16())
	for i := range oids {
		oids[i] = uint32(r.int32())
	}
	if err := r.end(); err != nil {
		return err
	}
	// PostgreSQL drops the unnamed statement before parsing its
	// replacement, so a failed Parse leaves none.
	if name == "" {
		delete(c.stmts, "")
	} else if _, ok := c.stmts[name]; ok {
		return types.Errorf("42P05", "prepared statement %q already exists", name)
	}
	prep, err := c.preparer()
	if err != nil {
		return err
	}
	if err := checkText([]byte(sql)); err != nil {
		return err
	}
	paramTypes := make([]types.Type, len(oids))
	for i, oid := range oids {
		if paramTypes[i], err = typeOfOID(oid); err != nil {
			return err
		}
	}
	var st *Statement
	err = c.call("preparing "+quoteSQL(sql), func(ctx context.Context) error {
		var err error
		st, err = prep.Prepare(ctx, sql, paramTypes)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case st == nil:
		return fmt.Errorf("session prepared %s as a nil statement", quoteSQL(sql))
	case len(st.ParamTypes) < len(paramTypes):
		return fmt.Errorf("session prepared %s with %d parameters; the client declared %d",
			quoteSQL(sql), len(st.ParamTypes), len(paramTypes))
	case len(st.ParamTypes) > math.MaxUint16:
		return types.Errorf(types.CodeProgramLimitExceeded, "statement has %d parameters; the protocol's limit is %d",
			len(st.ParamTypes), math.MaxUint16)
	case len(st.Columns) > math.MaxUint16:
		return types.Errorf(types.CodeProgramLimitExceeded, "statement returns %d columns; the protocol's limit is %d",
			len(st.Columns), math.MaxUint16)
	}
	c.stmts[name] = &preparedStatement{st: st, sql: sql}
	return c.out.send(&pgproto3.ParseComplete{})
}

// statement looks up a prepared statement, with PostgreSQL's complaint.
func (c *conn) statement(name string) (*preparedStatement, error) {
	ps, ok := c.stmts[name]
	switch {
	case ok:
		return ps, nil
	case name == "":
		return nil, types.Errorf("26000", "unnamed prepared statement does not exist")
	}
	return nil, types.Errorf("26000", "prepared statement %q does not exist", name)
}

func (c *conn) lookupPortal(name string) (*portal, error) {
	if p, ok := c.portals[name]; ok {
		return p, nil
	}
	return nil, types.Errorf("34000", "portal %q does not exist", name)
}

// bind handles Bind: portal and statement names, parameter format codes,
// parameter values, result format codes. Checks come in PostgreSQL's
// order, so that a client gets the same first complaint.
func (c *conn) bind(body []byte) error {
	r := msgReader{b: body}
	portalName := r.string()
	stmtName := r.string()
	if r.err != nil {
		return r.err
	}
	ps, err := c.statement(stmtName)
	if err != nil {
		return err
	}
	st := ps.st
	pformats := make([]int16, r.uint16())
	for i := range pformats {
		pformats[i] = r.int16()
	}
	nparams := r.uint16()
	if r.err != nil {
		return r.err
	}
	if len(pformats) > 1 && len(pformats) != nparams {
		return protocolViolation("bind message has %d parameter formats but %d parameters", len(pformats), nparams)
	}
	if nparams != len(st.ParamTypes) {
		return protocolViolation("bind message supplies %d parameters, but prepared statement %q requires %d",
			nparams, stmtName, len(st.ParamTypes))
	}
	// Binding the unnamed portal replaces the old one even if this Bind
	// fails; a named one must not exist.
	if portalName == "" {
		delete(c.portals, "")
	} else if _, ok := c.portals[portalName]; ok {
		return types.Errorf("42P03", "cursor %q already exists", portalName)
	}
	params := make([]types.Datum, nparams)
	for i := range params {
		n := r.int32()
		if n == -1 || r.err != nil {
			continue // NULL
		}
		val := r.bytes(int(n))
		if r.err != nil {
			return r.err
		}
		format := int16(formatText)
		switch len(pformats) {
		case 0:
		case 1:
			format = pformats[0]
		default:
			format = pformats[i]
		}
		if params[i], err = decodeParam(st.ParamTypes[i], format, val, i+1); err != nil {
			return err
		}
	}
	rformats := make([]int16, r.uint16())
	for i := range rformats {
		rformats[i] = r.int16()
	}
	if err := r.end(); err != nil {
		return err
	}
	p := &portal{
		name:    portalName,
		stmt:    st,
		sql:     ps.sql,
		params:  params,
		maxHeld: c.srv.cfg.MaxPortalBytes,
	}
	if p.formats, err = resultFormats(rformats, len(st.Columns)); err != nil {
		return err
	}
	for _, col := range st.Columns {
		p.types = append(p.types, col.Type)
	}
	c.portals[portalName] = p
	return c.out.send(&pgproto3.BindComplete{})
}

// decodeParam reads parameter n (1-based) of type t from its wire form.
func decodeParam(t types.Type, format int16, val []byte, n int) (types.Datum, error) {
	switch format {
	case formatText:
		if err := checkText(val); err != nil {
			return nil, err
		}
		return types.ParseText(t, string(val))
	case formatBinary:
		d, err := DecodeBinary(t, val)
		if isBinaryTrailing(err) {
			return nil, types.Errorf("22P03", "incorrect binary data format in bind parameter %d", n)
		}
		return d, err
	}
	return nil, types.Errorf(types.CodeInvalidParameterValue, "unsupported format code: %d", format)
}

// resultFormats expands Bind's result format codes to one per column: none
// means all text (nil), one applies to every column. PostgreSQL checks the
// codes themselves only when it sends rows; checking them here fails the
// Bind instead, before anything runs.
func resultFormats(codes []int16, ncols int) ([]int16, error) {
	if len(codes) > 1 && len(codes) != ncols {
		return nil, protocolViolation("bind message has %d result formats but query has %d columns", len(codes), ncols)
	}
	for _, f := range codes {
		if f != formatText && f != formatBinary {
			return nil, types.Errorf(types.CodeInvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	switch {
	case len(codes) == 0, len(codes) == 1 && codes[0] == formatText:
		return nil, nil
	case len(codes) == 1:
		formats := make([]int16, ncols)
		for i := range formats {
			formats[i] = codes[0]
		}
		return formats, nil
	}
	return codes, nil
}

// describe handles Describe: 'S' and a statement name, or 'P' and a portal
// name.
func (c *conn) describe(body []byte) error {
	r := msgReader{b: body}
	kind := r.byte()
	name := r.string()
	if err := r.end(); err != nil {
		return err
	}
	switch kind {
	case 'S':
		ps, err := c.statement(name)
		if err != nil {
			return err
		}
		oids := make([]uint32, len(ps.st.ParamTypes))
		for i, t := range ps.st.ParamTypes {
			oids[i] = paramOID(t)
		}
		if err := c.out.send(&pgproto3.ParameterDescription{ParameterOIDs: oids}); err != nil {
			return err
		}
		return c.describeRows(ps.st.Columns, nil)
	case 'P':
		p, err := c.lookupPortal(name)
		if err != nil {
			return err
		}
		return c.describeRows(p.stmt.Columns, p.formats)
	}
	return protocolViolation("invalid DESCRIBE message subtype %d", kind)
}

// describeRows sends RowDescription, or NoData for a statement without
// rows.
func (c *conn) describeRows(cols []Column, formats []int16) error {
	if cols == nil {
		return c.out.send(&pgproto3.NoData{})
	}
	return c.out.send(c.rw.rowDescription(cols, formats))
}

// execute handles Execute: portal name and row limit (0 or less: none).
func (c *conn) execute(body []byte) error {
	r := msgReader{b: body}
	name := r.string()
	limit := max(int(r.int32()), 0)
	if err := r.end(); err != nil {
		return err
	}
	p, err := c.lookupPortal(name)
	if err != nil {
		return err
	}
	if p.empty {
		return c.out.send(&pgproto3.EmptyQueryResponse{})
	}
	switch p.state {
	case portalSuspended:
		return p.resume(&c.out, limit)
	case portalDone:
		if p.stmt.Columns == nil {
			return types.Errorf("55000", "portal %q cannot be run", name)
		}
		return c.out.send(&pgproto3.CommandComplete{CommandTag: []byte(retag(p.tag, 0))})
	}
	prep, err := c.preparer()
	if err != nil {
		return err
	}
	p.limit, p.sent = limit, 0
	// Whatever happens, the statement runs only once.
	p.state = portalDone
	c.rw.begin(p)
	err = c.call("executing "+quoteSQL(p.sql), func(ctx context.Context) error {
		return prep.ExecutePrepared(ctx, p.stmt, p.params, &c.rw)
	})
	completed := c.rw.completed()
	c.rw.end()
	if err == nil && !completed {
		err = fmt.Errorf("session returned from executing %s without completing it", quoteSQL(p.sql))
	}
	return err
}

// close handles Close: 'S' and a statement name, or 'P' and a portal name.
// Closing what does not exist is not an error.
func (c *conn) close(body []byte) error {
	r := msgReader{b: body}
	kind := r.byte()
	name := r.string()
	if err := r.end(); err != nil {
		return err
	}
	switch kind {
	case 'S':
		delete(c.stmts, name)
	case 'P':
		delete(c.portals, name)
	default:
		return protocolViolation("invalid CLOSE message subtype %d", kind)
	}
	return c.out.send(&pgproto3.CloseComplete{})
}

// messageName names a frontend message type for log lines.
func messageName(typ byte) string {
	switch typ {
	case msgParse:
		return "Parse"
	case msgBind:
		return "Bind"
	case msgDescribe:
		return "Describe"
	case msgExecute:
		return "Execute"
	case msgClose:
		return "Close"
	}
	return fmt.Sprintf("%q", typ)
}
