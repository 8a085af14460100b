package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weir-db/weir/types"
)

// Parsed is one statement as read from the user's text, ready to bind. Its
// internals (which may hold TiDB AST nodes) stay inside this package.
type Parsed struct {
	// Text is the statement's own text, without the trailing semicolon.
	Text string
	// Tag is the statement's command tag stem ("SELECT", "CREATE STREAM").
	Tag  string
	node parsedNode
	full string // the whole query string, for error positions
	base int    // byte offset of Text in full
}

type parsedNode interface{ parsedNode() }

type createRelationStmt struct {
	kind        RelKind // Stream or Table
	name        string
	ifNotExists bool
	columns     []columnDef
	primaryKey  []string
	watermark   *watermarkDef
	with        []Option
	pkPos       int
}

type columnDef struct {
	name    string
	typ     types.Type
	notNull bool
	pos     int
}

type watermarkDef struct {
	column string
	expr   *parsedExpr
	pos    int
}

// parsedExpr is an expression handed to the TiDB parser, with its map back
// to the user's text.
type parsedExpr struct {
	node ast.ExprNode
	norm *normalized
}

// Option is one WITH (name = value) option; values keep their text form.
type Option struct {
	Name  string
	Value string
	Pos   int
}

type createViewStmt struct {
	name         string
	ifNotExists  bool
	materialized bool
	query        *parsedQuery
	emit         Emit
}

type parsedQuery struct {
	node ast.StmtNode // *ast.SelectStmt or *ast.SetOprStmt
	norm *normalized
}

type dmlStmt struct {
	node ast.StmtNode // insert, update, delete
	norm *normalized
}

type selectStmt struct{ query *parsedQuery }

type flushStmt struct{}

type dropStmt struct {
	kind     RelKind
	names    []string
	ifExists bool
	cascade  bool
}

type showStmt struct{ name string }

type setStmt struct {
	name  string
	value string
	reset bool
}

type txnStmt struct{ tag string }

func (*createRelationStmt) parsedNode() {}
func (*createViewStmt) parsedNode()     {}
func (*dmlStmt) parsedNode()            {}
func (*selectStmt) parsedNode()         {}
func (*flushStmt) parsedNode()          {}
func (*dropStmt) parsedNode()           {}
func (*showStmt) parsedNode()           {}
func (*setStmt) parsedNode()            {}
func (*txnStmt) parsedNode()            {}

// EmitPolicy is when a continuous query emits results.
type EmitPolicy uint8

// Emit policies.
const (
	EmitOnUpdate EmitPolicy = iota
	EmitOnWindowClose
)

// Emit is a view's emit clause. Durations are microseconds (0: absent).
type Emit struct {
	Policy        EmitPolicy
	EarlyEvery    int64
	AllowLateness int64
	LateRowsInto  string
}

type explainStmt struct{ inner *Parsed }

type alterStmt struct {
	kind  RelKind
	name  string
	set   []Option
	reset []string
}

type createSourceStmt struct {
	name        string
	ifNotExists bool
	with        []Option
}

type createSinkStmt struct {
	name        string
	ifNotExists bool
	from        string       // FROM view
	query       *parsedQuery // AS query
	with        []Option
	emit        Emit
}

type createIndexStmt struct {
	name        string
	ifNotExists bool
	table       string
	columns     []IndexColumn
}

// IndexColumn is one key column of an index.
type IndexColumn struct {
	Name string
	Desc bool
}

type userStmt struct {
	create   bool
	name     string
	password *string
	ifExists bool
}

func (*explainStmt) parsedNode()      {}
func (*alterStmt) parsedNode()        {}
func (*createSourceStmt) parsedNode() {}
func (*createSinkStmt) parsedNode()   {}
func (*createIndexStmt) parsedNode()  {}
func (*userStmt) parsedNode()         {}

type copyStmt struct {
	table   string
	columns []string
	query   *parsedQuery
	// subscribe is COPY (SUBSCRIBE ...) TO STDOUT.
	subscribe *subscribeStmt
	from      bool
	options   []Option
}

func (*copyStmt) parsedNode() {}
