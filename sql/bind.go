package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weir-db/weir/types"
)

// Statement is a bound statement.
type Statement interface{ statement() }

// CreateStream declares an append-only stream backed by a log topic.
type CreateStream struct {
	Name        string
	IfNotExists bool
	Columns     []Column
	// WatermarkCol is the event-time column (-1 for none) and
	// WatermarkDelay how far (microseconds) the watermark trails the
	// largest event time seen.
	WatermarkCol   int
	WatermarkDelay int64
	Options        []Option
}

// CreateTable declares a keyed table; without a declared primary key the
// table gets a hidden row id.
type CreateTable struct {
	Name        string
	IfNotExists bool
	Columns     []Column
	PrimaryKey  []int
	Options     []Option
}

// CreateView declares a (materialized) view.
type CreateView struct {
	Name         string
	IfNotExists  bool
	Materialized bool
	Query        *Query
	Emit         Emit
	// Deps are the relations the query reads.
	Deps []*Relation
}

// Insert appends rows; Source's columns line up with the target's
// non-hidden columns.
type Insert struct {
	Target *Relation
	Source Rel
}

// Update sets columns of the rows matching Where; Set has one expression
// per target column, over the target's columns.
type Update struct {
	Target *Relation
	Where  Expr // nil: every row
	Set    []Expr
}

// Delete removes the rows matching Where.
type Delete struct {
	Target *Relation
	Where  Expr
}

// Select is an interactive query.
type Select struct{ Query *Query }

// Flush waits until every earlier write is visible in every view.
type Flush struct{}

// Drop removes catalog objects.
type Drop struct {
	Kind     RelKind
	Names    []string
	IfExists bool
	Cascade  bool
}

// Show reads a setting or a list of objects.
type Show struct{ Name string }

// Set changes a session setting; Reset restores its default.
type Set struct {
	Name, Value string
	Reset       bool
}

// Txn is BEGIN, COMMIT or ROLLBACK.
type Txn struct{ Tag string }

// Explain shows the plan of a statement.
type Explain struct{ Inner Statement }

// Alter changes an object's options.
type Alter struct {
	Kind  RelKind
	Name  string
	Set   []Option
	Reset []string
}

// CreateSource declares a connector that lands external data in streams.
type CreateSource struct {
	Name        string
	IfNotExists bool
	Options     []Option
}

// CreateSink writes a view's (or a query's) changes to a topic.
type CreateSink struct {
	Name        string
	IfNotExists bool
	From        *Relation
	Query       *Query
	Options     []Option
	Emit        Emit
	Deps        []*Relation
}

// CreateIndex declares a secondary index on a table or materialized view.
type CreateIndex struct {
	Name        string
	IfNotExists bool
	Table       *Relation
	Columns     []int
	Desc        []bool
}

// CreateUser adds a role that can log in; DropUser removes one.
type CreateUser struct {
	Name     string
	Password *string
}

// Copy moves rows between a client and a relation (FROM STDIN into
// Target's Columns, or a relation's or query's rows TO STDOUT).
type Copy struct {
	From    bool
	Target  *Relation
	Columns []int
	Query   *Query
	// Subscribe is COPY (SUBSCRIBE ...) TO STDOUT: a stream, not a result.
	Subscribe *Subscribe
	Options   []Option
}

// DropUser removes a role.
type DropUser struct {
	Name     string
	IfExists bool
}

func (*CreateStream) statement() {}
func (*CreateTable) statement()  {}
func (*CreateView) statement()   {}
func (*Insert) statement()       {}
func (*Update) statement()       {}
func (*Delete) statement()       {}
func (*Select) statement()       {}
func (*Flush) statement()        {}
func (*Drop) statement()         {}
func (*Show) statement()         {}
func (*Set) statement()          {}
func (*Txn) statement()          {}
func (*Explain) statement()      {}
func (*Alter) statement()        {}
func (*CreateSource) statement() {}
func (*CreateSink) statement()   {}
func (*CreateIndex) statement()  {}
func (*CreateUser) statement()   {}
func (*DropUser) statement()     {}
func (*Copy) statement()         {}

// Bind resolves a parsed statement against the catalog.
func Bind(p *Parsed, cat Catalog) (Statement, error) {
	st, _, err := BindParams(p, cat, nil)
	return st, err
}

// BindParams binds a statement with parameters ($1, $2, ...). hint gives
// the types a client declared (TUnknown to infer); the result lists every
// parameter's type, inferred from its use where not declared (text when
// nothing constrains it).
func BindParams(p *Parsed, cat Catalog, hint []types.Type) (Statement, []types.Type, error) {
	params := &[]*types.Type{}
	for _, h := range hint {
		t := h
		*params = append(*params, &t)
	}
	st, err := bindWith(p, cat, params)
	if err != nil {
		return nil, nil, p.fixPosition(err)
	}
	out := make([]types.Type, len(*params))
	for i, t := range *params {
		if t.Family == types.Unknown {
			*t = types.TText
		}
		out[i] = *t
	}
	return st, out, nil
}

// fixPosition turns an error's byte offset (positions inside this package
// are 1-based byte offsets into the whole query string) into PostgreSQL's
// 1-based character position.
func (p *Parsed) fixPosition(err error) error {
	if e, ok := err.(*types.Error); ok && e.Position > 0 {
		return e.WithPosition(charPos(p.full, e.Position-1))
	}
	return err
}

func bind(p *Parsed, cat Catalog) (Statement, error) { return bindWith(p, cat, &[]*types.Type{}) }

func bindWith(p *Parsed, cat Catalog, params *[]*types.Type) (Statement, error) {
	switch n := p.node.(type) {
	case *createRelationStmt:
		return bindCreateRelation(n)
	case *createViewStmt:
		bd := &binder{cat: cat, norm: n.query.norm, params: params}
		q, err := bd.bindQueryNode(n.query.node)
		if err != nil {
			return nil, err
		}
		return &CreateView{Name: n.name, IfNotExists: n.ifNotExists, Materialized: n.materialized, Query: q, Emit: n.emit, Deps: bd.deps}, nil
	case *selectStmt:
		bd := &binder{cat: cat, norm: n.query.norm, params: params}
		q, err := bd.bindQueryNode(n.query.node)
		if err != nil {
			return nil, err
		}
		return &Select{Query: q}, nil
	case *dmlStmt:
		bd := &binder{cat: cat, norm: n.norm, params: params}
		switch d := n.node.(type) {
		case *ast.InsertStmt:
			return bd.bindInsert(d)
		case *ast.UpdateStmt:
			return bd.bindUpdate(d)
		case *ast.DeleteStmt:
			return bd.bindDelete(d)
		}
	case *flushStmt:
		return &Flush{}, nil
	case *subscribeStmt:
		return bindSubscribe(n, cat)
	case *declareStmt:
		return bindDeclare(n, cat, params)
	case *fetchStmt:
		return bindFetch(n)
	case *closeStmt:
		return &CloseCursor{Name: n.name, All: n.name == ""}, nil
	case *dropStmt:
		return &Drop{Kind: n.kind, Names: n.names, IfExists: n.ifExists, Cascade: n.cascade}, nil
	case *showStmt:
		return &Show{Name: n.name}, nil
	case *setStmt:
		return &Set{Name: n.name, Value: n.value, Reset: n.reset}, nil
	case *txnStmt:
		return &Txn{Tag: n.tag}, nil
	case *explainStmt:
		inner, err := bindWith(n.inner, cat, params)
		if err != nil {
			return nil, err
		}
		return &Explain{Inner: inner}, nil
	case *alterStmt:
		return &Alter{Kind: n.kind, Name: n.name, Set: n.set, Reset: n.reset}, nil
	case *createSourceStmt:
		return &CreateSource{Name: n.name, IfNotExists: n.ifNotExists, Options: n.with}, nil
	case *createSinkStmt:
		cs := &CreateSink{Name: n.name, IfNotExists: n.ifNotExists, Options: n.with, Emit: n.emit}
		if n.from != "" {
			rel, ok := cat.Relation(n.from)
			if !ok {
				return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.from)
			}
			cs.From, cs.Deps = rel, []*Relation{rel}
			return cs, nil
		}
		bd := &binder{cat: cat, norm: n.query.norm, params: params}
		q, err := bd.bindQueryNode(n.query.node)
		if err != nil {
			return nil, err
		}
		cs.Query, cs.Deps = q, bd.deps
		return cs, nil
	case *createIndexStmt:
		rel, ok := cat.Relation(n.table)
		if !ok {
			return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.table)
		}
		if rel.Kind != RelTable && rel.Kind != RelMaterializedView {
			return nil, types.Errorf(types.CodeWrongObjectType, "cannot create index on %s \"%s\"", rel.Kind, rel.Name)
		}
		ci := &CreateIndex{Name: n.name, IfNotExists: n.ifNotExists, Table: rel}
		for _, c := range n.columns {
			idx := -1
			for i, col := range rel.Columns {
				if col.Name == c.Name && !col.Hidden {
					idx = i
				}
			}
			if idx < 0 {
				return nil, types.Errorf(types.CodeUndefinedColumn, "column \"%s\" does not exist", c.Name)
			}
			ci.Columns, ci.Desc = append(ci.Columns, idx), append(ci.Desc, c.Desc)
		}
		if ci.Name == "" {
			ci.Name = rel.Name + "_" + n.columns[0].Name + "_idx"
		}
		return ci, nil
	case *copyStmt:
		c := &Copy{From: n.from, Options: n.options}
		if n.subscribe != nil {
			sub, err := bindSubscribe(n.subscribe, cat)
			if err != nil {
				return nil, err
			}
			c.Subscribe = sub
			return c, nil
		}
		if n.query != nil {
			bd := &binder{cat: cat, norm: n.query.norm, params: params}
			q, err := bd.bindQueryNode(n.query.node)
			if err != nil {
				return nil, err
			}
			c.Query = q
			return c, nil
		}
		rel, ok := cat.Relation(n.table)
		if !ok {
			return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.table)
		}
		if n.from && rel.Kind != RelTable && rel.Kind != RelStream {
			return nil, types.Errorf(types.CodeWrongObjectType, "cannot copy to %s \"%s\"", rel.Kind, rel.Name)
		}
		c.Target = rel
		if len(n.columns) == 0 {
			for i, col := range rel.Columns {
				if !col.Hidden {
					c.Columns = append(c.Columns, i)
				}
			}
		}
		for _, name := range n.columns {
			idx := -1
			for i, col := range rel.Columns {
				if col.Name == name && !col.Hidden {
					idx = i
				}
			}
			if idx < 0 {
				return nil, types.Errorf(types.CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, rel.Name)
			}
			c.Columns = append(c.Columns, idx)
		}
		return c, nil
	case *userStmt:
		if n.create {
			return &CreateUser{Name: n.name, Password: n.password}, nil
		}
		return &DropUser{Name: n.name, IfExists: n.ifExists}, nil
	}
	return nil, types.Errorf(types.CodeInternalError, "cannot bind %T", p.node)
}

func bindCreateRelation(n *createRelationStmt) (Statement, error) {
	var cols []Column
	seen := map[string]bool{}
	for _, c := range n.columns {
		if seen[c.name] {
			e := types.Errorf(types.CodeDuplicateColumn, "column \"%s\" specified more than once", c.name)
			e.Position = c.pos + 1
			return nil, e
		}
		seen[c.name] = true
		cols = append(cols, Column{Name: c.name, Type: c.typ, NotNull: c.notNull})
	}
	if len(cols) == 0 {
		return nil, types.Errorf(types.CodeSyntaxError, "%s must have at least one column", n.kind)
	}
	colIdx := func(name string) int {
		for i, c := range cols {
			if c.Name == name {
				return i
			}
		}
		return -1
	}
	if n.kind == RelStream {
		cs := &CreateStream{Name: n.name, IfNotExists: n.ifNotExists, Columns: cols, WatermarkCol: -1, Options: n.with}
		if n.primaryKey != nil {
			e := types.Errorf(types.CodeFeatureNotSupported, "a stream is append-only and cannot have a primary key")
			e.Position = n.pkPos + 1
			return nil, e
		}
		if w := n.watermark; w != nil {
			i := colIdx(w.column)
			if i < 0 {
				e := types.Errorf(types.CodeUndefinedColumn, "column \"%s\" named in WATERMARK does not exist", w.column)
				e.Position = w.pos + 1
				return nil, e
			}
			if !cols[i].Type.IsTime() {
				e := types.Errorf(types.CodeDatatypeMismatch, "WATERMARK column \"%s\" must be a timestamp, not %s", w.column, cols[i].Type)
				e.Position = w.pos + 1
				return nil, e
			}
			delay, err := watermarkDelay(w, cols, i)
			if err != nil {
				return nil, err
			}
			cs.WatermarkCol, cs.WatermarkDelay = i, delay
		}
		return cs, nil
	}
	if n.watermark != nil {
		e := types.Errorf(types.CodeFeatureNotSupported, "WATERMARK is only allowed on streams (CREATE STREAM or CREATE TABLE ... APPEND ONLY)")
		e.Position = n.watermark.pos + 1
		return nil, e
	}
	ct := &CreateTable{Name: n.name, IfNotExists: n.ifNotExists, Columns: cols, Options: n.with}
	for _, k := range n.primaryKey {
		i := colIdx(k)
		if i < 0 {
			e := types.Errorf(types.CodeUndefinedColumn, "column \"%s\" named in key does not exist", k)
			e.Position = n.pkPos + 1
			return nil, e
		}
		ct.PrimaryKey = append(ct.PrimaryKey, i)
		ct.Columns[i].NotNull = true
	}
	return ct, nil
}

// watermarkDelay accepts `col` and `col - <interval>`.
func watermarkDelay(w *watermarkDef, cols []Column, col int) (int64, error) {
	s := &scope{}
	for _, c := range cols {
		s.cols = append(s.cols, scopeCol{name: c.Name, typ: c.Type})
	}
	e, err := (&exprBinder{scope: s, norm: w.expr.norm, what: "WATERMARK"}).bind(w.expr.node)
	if err != nil {
		return 0, err
	}
	bad := func() error {
		e := types.Errorf(types.CodeFeatureNotSupported, "WATERMARK expression must be \"%s\" or \"%s - INTERVAL '...'\"", w.column, w.column)
		e.Position = w.pos + 1
		return e
	}
	if c, ok := e.(*ColRef); ok && c.Idx == col {
		return 0, nil
	}
	call, ok := e.(*Call)
	if !ok || call.Func != "-" {
		return 0, bad()
	}
	c, ok1 := call.Args[0].(*ColRef)
	iv, ok2 := call.Args[1].(*Const)
	if !ok1 || !ok2 || c.Idx != col || iv.T.Family != types.Interval {
		return 0, bad()
	}
	d := iv.Value.(types.DInterval)
	if d.Months != 0 || d.FixedMicros() < 0 {
		return 0, bad()
	}
	return d.FixedMicros(), nil
}

func (bd *binder) target(tn *ast.TableName, what string) (*Relation, error) {
	name := tn.Name.L
	if strings.Contains(bd.norm.text, "`"+tn.Name.O+"`") {
		name = tn.Name.O
	}
	rel, ok := bd.cat.Relation(name)
	if !ok {
		return nil, bd.identErr(tn.Name.O, types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
	}
	switch {
	case rel.Kind == RelTable:
	case rel.Kind == RelStream && what == "INSERT":
	case rel.Kind == RelStream:
		return nil, bd.errAt(tn, types.CodeWrongObjectType, "cannot %s stream \"%s\": streams are append-only", what, name)
	default:
		return nil, bd.errAt(tn, types.CodeWrongObjectType, "cannot %s %s \"%s\"", strings.ToLower(what), rel.Kind, name)
	}
	return rel, nil
}

func tableNameOf(refs *ast.TableRefsClause) (*ast.TableName, bool) {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return nil, false
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, false
	}
	tn, ok := ts.Source.(*ast.TableName)
	return tn, ok
}

func (bd *binder) bindInsert(d *ast.InsertStmt) (Statement, error) {
	if d.IsReplace || d.OnDuplicate != nil || d.Setlist {
		return nil, bd.errAt(d, types.CodeFeatureNotSupported, "this form of INSERT is not supported")
	}
	tn, ok := tableNameOf(d.Table)
	if !ok {
		return nil, bd.errAt(d, types.CodeSyntaxError, "INSERT needs one target table")
	}
	rel, err := bd.target(tn, "INSERT")
	if err != nil {
		return nil, err
	}
	// Map the listed columns to target positions.
	var visible []int
	for i, c := range rel.Columns {
		if !c.Hidden {
			visible = append(visible, i)
		}
	}
	targets := visible
	if len(d.Columns) > 0 {
		targets = nil
		for _, cn := range d.Columns {
			found := -1
			for _, i := range visible {
				if rel.Columns[i].Name == cn.Name.L {
					found = i
				}
			}
			if found < 0 {
				return nil, bd.errAt(cn, types.CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", cn.Name.L, rel.Name)
			}
			targets = append(targets, found)
		}
	}
	var src Rel
	var srcCols []Column
	if d.Select != nil {
		q, err := bd.bindQueryNode(d.Select.(ast.StmtNode))
		if err != nil {
			return nil, err
		}
		src, srcCols = q.Rel, q.Cols
		if len(srcCols) > len(targets) {
			return nil, bd.errAt(d, types.CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		exprs := make([]Expr, len(rel.Columns))
		for i := range exprs {
			exprs[i] = &Const{T: rel.Columns[i].Type}
		}
		for j, c := range srcCols {
			var err error
			if exprs[targets[j]], err = assignCoerce(&ColRef{Idx: j, T: c.Type, Name: c.Name}, rel.Columns[targets[j]]); err != nil {
				return nil, err
			}
		}
		return &Insert{Target: rel, Source: &Project{Input: src, Exprs: exprs, Cols: rel.Columns}}, nil
	}
	vals := &Values{Cols: rel.Columns}
	eb := &exprBinder{bd: bd, scope: &scope{}, norm: bd.norm, what: "VALUES"}
	for _, row := range d.Lists {
		if len(row) > len(targets) {
			return nil, bd.errAt(d, types.CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		out := make([]Expr, len(rel.Columns))
		for i := range out {
			out[i] = &Const{T: rel.Columns[i].Type}
		}
		for j, n := range row {
			e, err := eb.bind(n)
			if err != nil {
				return nil, err
			}
			if out[targets[j]], err = assignCoerce(e, rel.Columns[targets[j]]); err != nil {
				return nil, types.AsError(err).WithPosition(eb.errAt(n, "", "").Position)
			}
		}
		vals.Rows = append(vals.Rows, out)
	}
	return &Insert{Target: rel, Source: vals}, nil
}

// assignCoerce converts a value for storing in column c (assignment cast).
func assignCoerce(e Expr, c Column) (Expr, error) {
	from := e.Type()
	if from.Family == types.Unknown {
		return coerce(e, c.Type)
	}
	if from == c.Type {
		return e, nil
	}
	ok := types.CanCastImplicitly(from, c.Type) ||
		from.IsNumeric() && c.Type.IsNumeric() ||
		c.Type.IsString()
	if !ok {
		err := types.Errorf(types.CodeDatatypeMismatch, "column \"%s\" is of type %s but expression is of type %s", c.Name, c.Type, from)
		err.Hint = "You will need to rewrite or cast the expression."
		return nil, err
	}
	return castExpr(e, c.Type)
}

func (bd *binder) bindUpdate(d *ast.UpdateStmt) (Statement, error) {
	if d.Order != nil || d.Limit != nil {
		return nil, bd.errAt(d, types.CodeSyntaxError, "UPDATE does not take ORDER BY or LIMIT")
	}
	tn, ok := tableNameOf(d.TableRefs)
	if !ok {
		return nil, bd.errAt(d, types.CodeFeatureNotSupported, "UPDATE needs one target table")
	}
	rel, err := bd.target(tn, "UPDATE")
	if err != nil {
		return nil, err
	}
	sc := scopeOf(&Scan{Relation: rel}, rel.Name)
	eb := &exprBinder{bd: bd, scope: sc, norm: bd.norm, what: "UPDATE"}
	u := &Update{Target: rel, Set: identity(rel.Columns)}
	for _, a := range d.List {
		idx := -1
		for i, c := range rel.Columns {
			if c.Name == a.Column.Name.L && !c.Hidden {
				idx = i
			}
		}
		if idx < 0 {
			return nil, bd.errAt(a.Column, types.CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", a.Column.Name.L, rel.Name)
		}
		e, err := eb.bind(a.Expr)
		if err != nil {
			return nil, err
		}
		if u.Set[idx], err = assignCoerce(e, rel.Columns[idx]); err != nil {
			return nil, types.AsError(err).WithPosition(eb.errAt(a.Expr, "", "").Position)
		}
	}
	if d.Where != nil {
		w, err := eb.bind(d.Where)
		if err != nil {
			return nil, err
		}
		if u.Where, err = eb.coerceBool(w, d.Where, "WHERE"); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func (bd *binder) bindDelete(d *ast.DeleteStmt) (Statement, error) {
	if d.IsMultiTable || d.Order != nil || d.Limit != nil {
		return nil, bd.errAt(d, types.CodeFeatureNotSupported, "this form of DELETE is not supported")
	}
	tn, ok := tableNameOf(d.TableRefs)
	if !ok {
		return nil, bd.errAt(d, types.CodeFeatureNotSupported, "DELETE needs one target table")
	}
	rel, err := bd.target(tn, "DELETE FROM")
	if err != nil {
		return nil, err
	}
	del := &Delete{Target: rel}
	if d.Where != nil {
		eb := &exprBinder{bd: bd, scope: scopeOf(&Scan{Relation: rel}, rel.Name), norm: bd.norm, what: "WHERE"}
		w, err := eb.bind(d.Where)
		if err != nil {
			return nil, err
		}
		if del.Where, err = eb.coerceBool(w, d.Where, "WHERE"); err != nil {
			return nil, err
		}
	}
	return del, nil
}
