package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// copyFormat reads COPY's options into the wire format and text options.
func copyFormat(opts []sql.Option) (pgwire.CopyFormat, pgwire.CopyOptions, bool, error) {
	format, header := "text", false
	for _, o := range opts {
		if strings.EqualFold(o.Name, "format") {
			format = strings.ToLower(o.Value)
		}
	}
	switch format {
	case "text", "csv", "binary":
	default:
		return 0, pgwire.CopyOptions{}, false, types.Errorf(types.CodeInvalidParameterValue, "COPY format \"%s\" not recognized", format)
	}
	co := pgwire.DefaultCopyOptions(format == "csv")
	for _, o := range opts {
		v := o.Value
		switch strings.ToLower(o.Name) {
		case "format":
		case "header":
			b, err := types.ParseText(types.TBool, v)
			if err != nil {
				return 0, co, false, types.Errorf(types.CodeInvalidParameterValue, "header requires a Boolean value")
			}
			header = b.(bool)
		case "delimiter":
			if len(v) != 1 {
				return 0, co, false, types.Errorf(types.CodeFeatureNotSupported, "COPY delimiter must be a single one-byte character")
			}
			co.Delimiter = v[0]
		case "null":
			co.Null = v
		case "quote":
			if len(v) != 1 {
				return 0, co, false, types.Errorf(types.CodeFeatureNotSupported, "COPY quote must be a single one-byte character")
			}
			co.Quote = v[0]
		case "escape":
			if len(v) != 1 {
				return 0, co, false, types.Errorf(types.CodeFeatureNotSupported, "COPY escape must be a single one-byte character")
			}
			co.Escape = v[0]
		default:
			return 0, co, false, types.Errorf(types.CodeSyntaxError, "option \"%s\" not recognized", o.Name)
		}
	}
	if err := co.Check(); err != nil {
		return 0, co, false, err
	}
	if format == "binary" {
		return pgwire.CopyBinary, co, header, nil
	}
	return pgwire.CopyText, co, header, nil
}

// copy runs COPY ... FROM STDIN (all rows or none) and COPY ... TO STDOUT.
func (s *Session) copy(ctx context.Context, n *sql.Copy, env *evalEnv, w pgwire.ResultWriter) error {
	copier, ok := w.(pgwire.Copier)
	if !ok {
		return types.Errorf(types.CodeFeatureNotSupported, "COPY needs a PostgreSQL protocol client")
	}
	format, opts, header, err := copyFormat(n.Options)
	if err != nil {
		return err
	}
	if n.From {
		return s.copyIn(n, copier, format, opts, header, w)
	}
	var q *sql.Query
	if n.Query != nil {
		q = n.Query
	} else {
		scan := &sql.Scan{Relation: n.Target}
		p := &sql.Project{Input: scan}
		for _, i := range n.Columns {
			c := n.Target.Columns[i]
			p.Exprs = append(p.Exprs, &sql.ColRef{Idx: i, T: c.Type, Name: c.Name})
			p.Cols = append(p.Cols, sql.Column{Name: c.Name, Type: c.Type})
		}
		q = &sql.Query{Rel: p, Cols: p.Cols}
	}
	rows, err := s.e.runQuery(ctx, q, env)
	if err != nil {
		return err
	}
	ts := make([]types.Type, len(q.Cols))
	names := make([]string, len(q.Cols))
	for i, c := range q.Cols {
		ts[i], names[i] = c.Type, c.Name
	}
	out, err := copier.CopyOut(format, len(ts))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	var buf []byte
	if format == pgwire.CopyBinary {
		buf = append(buf, binaryCopySignature...)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		for _, r := range rows {
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(r)))
			for i, d := range r {
				if d == nil {
					buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
					continue
				}
				field, err := pgwire.AppendBinary(nil, ts[i], d)
				if err != nil {
					return err
				}
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(field)))
				buf = append(buf, field...)
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = binary.BigEndian.AppendUint16(buf, 0xffff)
	} else {
		enc := pgwire.NewCopyEncoder(opts)
		if header {
			buf = enc.AppendStrings(buf, names)
		}
		for _, r := range rows {
			buf = enc.AppendRow(buf, ts, r)
			if len(buf) > 32<<10 {
				if _, err := bw.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return w.Complete(fmt.Sprintf("COPY %d", len(rows)))
}

var binaryCopySignature = []byte("PGCOPY\n\xff\r\n\x00")

func (s *Session) copyIn(n *sql.Copy, copier pgwire.Copier, format pgwire.CopyFormat, opts pgwire.CopyOptions, header bool, w pgwire.ResultWriter) error {
	o, ok := s.e.cat.get(n.Target.Name)
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Target.Name)
	}
	ts := o.types()
	in, err := copier.CopyIn(format, len(n.Columns))
	if err != nil {
		return err
	}
	var rows [][]types.Datum
	line := 0
	where := func(err error) error {
		e := types.AsError(err)
		e = &types.Error{Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint}
		if e.Detail == "" {
			e.Detail = fmt.Sprintf("COPY %s, line %d", o.Name, line)
		}
		return e
	}
	add := func(vals []types.Datum) {
		row := make([]types.Datum, len(ts))
		for i, c := range n.Columns {
			row[c] = vals[i]
		}
		rows = append(rows, row)
	}
	if format == pgwire.CopyBinary {
		data, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		if err := decodeBinaryCopy(data, n.Columns, ts, func(vals []types.Datum) { line++; add(vals) }); err != nil {
			return where(err)
		}
	} else {
		dec := pgwire.NewCopyDecoder(in, opts)
		for {
			fields, err := dec.ReadRow()
			line = dec.Line()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return where(err)
			}
			if header && line == 1 {
				continue
			}
			if len(fields) != len(n.Columns) {
				if len(fields) < len(n.Columns) {
					return where(types.Errorf("22P04", "missing data for column \"%s\"", o.Columns[n.Columns[len(fields)]].Name))
				}
				return where(types.Errorf("22P04", "extra data after last expected column"))
			}
			vals := make([]types.Datum, len(fields))
			for i, f := range fields {
				if f.Null {
					continue
				}
				v, err := types.ParseText(ts[n.Columns[i]], f.Text)
				if err != nil {
					return where(err)
				}
				vals[i] = v
			}
			add(vals)
		}
	}
	count, err := s.e.insertRows(s.txn, o, rows)
	if err != nil {
		return err
	}
	return w.Complete("COPY " + strconv.Itoa(count))
}

// decodeBinaryCopy reads PostgreSQL's binary COPY format.
func decodeBinaryCopy(data []byte, colIdx []int, ts []types.Type, emit func([]types.Datum)) error {
	bad := func(msg string) error { return types.Errorf("22P04", "invalid COPY file: %s", msg) }
	if !bytes.HasPrefix(data, binaryCopySignature) || len(data) < len(binaryCopySignature)+8 {
		return bad("COPY file signature not recognized")
	}
	p := data[len(binaryCopySignature)+4:]
	ext := binary.BigEndian.Uint32(p)
	p = p[4:]
	if uint32(len(p)) < ext {
		return bad("invalid COPY file header")
	}
	p = p[ext:]
	for {
		if len(p) == 0 {
			return nil // the end of the data may stand in for the trailer, as in PostgreSQL
		}
		if len(p) < 2 {
			return bad("unexpected end of data")
		}
		n := int16(binary.BigEndian.Uint16(p))
		p = p[2:]
		if n == -1 {
			return nil
		}
		if int(n) != len(colIdx) {
			return bad(fmt.Sprintf("row field count is %d, expected %d", n, len(colIdx)))
		}
		vals := make([]types.Datum, n)
		for i := 0; i < int(n); i++ {
			if len(p) < 4 {
				return bad("unexpected end of data")
			}
			l := int32(binary.BigEndian.Uint32(p))
			p = p[4:]
			if l == -1 {
				continue
			}
			if l < 0 || int(l) > len(p) {
				return bad("invalid field size")
			}
			v, err := pgwire.DecodeBinary(ts[colIdx[i]], p[:l])
			if err != nil {
				return err
			}
			vals[i] = v
			p = p[l:]
		}
		emit(vals)
	}
}
