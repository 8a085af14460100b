package sql

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/weir-db/weir/types"
)

// String prints the statement in a canonical form that parses back to the
// same statement (embedded queries print in the normalized dialect the
// TiDB parser reads, which Weir's front end also accepts).
func (p *Parsed) String() string {
	switch n := p.node.(type) {
	case *createRelationStmt:
		var b strings.Builder
		kw := "STREAM"
		if n.kind == RelTable {
			kw = "TABLE"
		}
		fmt.Fprintf(&b, "CREATE %s %s%s (", kw, ifNotExists(n.ifNotExists), quoteIdent(n.name))
		for i, c := range n.columns {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", quoteIdent(c.name), c.typ)
			if c.notNull {
				b.WriteString(" NOT NULL")
			}
		}
		if len(n.primaryKey) > 0 {
			var ks []string
			for _, k := range n.primaryKey {
				ks = append(ks, quoteIdent(k))
			}
			fmt.Fprintf(&b, ", PRIMARY KEY (%s)", strings.Join(ks, ", "))
		}
		if n.watermark != nil {
			fmt.Fprintf(&b, ", WATERMARK FOR %s AS %s", quoteIdent(n.watermark.column), restore(n.watermark.expr.node))
		}
		b.WriteString(")")
		b.WriteString(formatOptions(n.with))
		return b.String()
	case *createViewStmt:
		kw := "VIEW"
		if n.materialized {
			kw = "MATERIALIZED VIEW"
		}
		return fmt.Sprintf("CREATE %s %s%s AS %s%s", kw, ifNotExists(n.ifNotExists), quoteIdent(n.name), n.query.String(), formatEmit(n.emit, n.materialized))
	case *selectStmt:
		return n.query.String()
	case *dmlStmt:
		return restore(n.node)
	case *flushStmt:
		return "FLUSH"
	case *dropStmt:
		var names []string
		for _, nm := range n.names {
			names = append(names, quoteIdent(nm))
		}
		s := "DROP " + strings.ToUpper(n.kind.String()) + " "
		if n.ifExists {
			s += "IF EXISTS "
		}
		s += strings.Join(names, ", ")
		if n.cascade {
			s += " CASCADE"
		}
		return s
	case *showStmt:
		return "SHOW " + n.name
	case *setStmt:
		if n.reset {
			return "RESET " + n.name
		}
		return "SET " + n.name + " = " + n.value
	case *txnStmt:
		return n.tag
	case *explainStmt:
		return "EXPLAIN " + n.inner.String()
	case *alterStmt:
		s := "ALTER " + strings.ToUpper(n.kind.String()) + " " + quoteIdent(n.name)
		if n.set != nil {
			return s + " SET" + strings.TrimPrefix(formatOptions(n.set), " WITH")
		}
		return s + " RESET (" + strings.Join(n.reset, ", ") + ")"
	case *createSourceStmt:
		return "CREATE SOURCE " + ifNotExists(n.ifNotExists) + quoteIdent(n.name) + formatOptions(n.with)
	case *createSinkStmt:
		s := "CREATE SINK " + ifNotExists(n.ifNotExists) + quoteIdent(n.name)
		if n.from != "" {
			s += " FROM " + quoteIdent(n.from)
		} else {
			s += " AS " + n.query.String()
		}
		return s + formatOptions(n.with) + formatEmit(n.emit, n.emit.Policy != EmitOnUpdate)
	case *createIndexStmt:
		var cs []string
		for _, c := range n.columns {
			if c.Desc {
				cs = append(cs, quoteIdent(c.Name)+" DESC")
			} else {
				cs = append(cs, quoteIdent(c.Name))
			}
		}
		name := ""
		if n.name != "" {
			name = quoteIdent(n.name) + " "
		}
		return "CREATE INDEX " + ifNotExists(n.ifNotExists) + name + "ON " + quoteIdent(n.table) + " (" + strings.Join(cs, ", ") + ")"
	case *subscribeStmt:
		return n.String()
	case *declareStmt:
		return n.String()
	case *fetchStmt:
		return n.String()
	case *closeStmt:
		return n.String()
	case *copyStmt:
		s := "COPY "
		if n.subscribe != nil {
			s += "(" + n.subscribe.String() + ")"
		} else if n.query != nil {
			s += "(" + n.query.String() + ")"
		} else {
			s += quoteIdent(n.table)
			if len(n.columns) > 0 {
				var cs []string
				for _, c := range n.columns {
					cs = append(cs, quoteIdent(c))
				}
				s += " (" + strings.Join(cs, ", ") + ")"
			}
		}
		if n.from {
			s += " FROM STDIN"
		} else {
			s += " TO STDOUT"
		}
		if len(n.options) > 0 {
			var os []string
			for _, o := range n.options {
				os = append(os, o.Name+" "+quoteString(o.Value))
			}
			s += " WITH (" + strings.Join(os, ", ") + ")"
		}
		return s
	case *userStmt:
		if !n.create {
			return "DROP ROLE " + quoteIdent(n.name)
		}
		s := "CREATE ROLE " + quoteIdent(n.name)
		if n.password != nil {
			s += " WITH PASSWORD " + quoteString(*n.password)
		}
		return s
	}
	return p.Text
}

func ifNotExists(b bool) string {
	if b {
		return "IF NOT EXISTS "
	}
	return ""
}

// quoteIdent double-quotes an identifier when it needs it.
func quoteIdent(s string) string {
	ok := s != ""
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			ok = false
		}
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func formatOptions(opts []Option) string {
	if len(opts) == 0 {
		return ""
	}
	var parts []string
	for _, o := range opts {
		parts = append(parts, o.Name+" = "+quoteString(o.Value))
	}
	return " WITH (" + strings.Join(parts, ", ") + ")"
}

func formatEmit(e Emit, explicit bool) string {
	if !explicit {
		return ""
	}
	if e.Policy == EmitOnUpdate {
		return " EMIT ON UPDATE"
	}
	s := " EMIT ON WINDOW CLOSE"
	if e.EarlyEvery > 0 {
		s += fmt.Sprintf(" EARLY EVERY INTERVAL '%d microseconds'", e.EarlyEvery)
	}
	if e.AllowLateness > 0 {
		s += fmt.Sprintf(" ALLOW LATENESS INTERVAL '%d microseconds'", e.AllowLateness)
	}
	if e.LateRowsInto != "" {
		s += " LATE ROWS INTO " + quoteIdent(e.LateRowsInto)
	}
	return s
}

// String prints a query, putting the window table functions the
// normalizer cut out back in place.
func (q *parsedQuery) String() string {
	s := restore(q.node)
	for i := len(q.norm.windows) - 1; i >= 0; i-- {
		s = strings.ReplaceAll(s, fmt.Sprintf("\"__weir_window_%d\"", i), q.norm.windows[i].text)
	}
	return s
}

// restore prints a TiDB node in the dialect Weir's normalizer passes
// through.
func restore(n ast.Node) string {
	var b strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameDoubleQuotes |
		format.RestoreSpacesAroundBinaryOperation | format.RestoreStringWithoutCharset
	if err := n.Restore(format.NewRestoreCtx(flags, &b)); err != nil {
		return fmt.Sprintf("<unprintable: %v>", err)
	}
	return b.String()
}

// FormatRel prints a bound relational tree with its typed expressions, one
// node per line, children indented.
func FormatRel(r Rel) string {
	var b strings.Builder
	formatRel(&b, r, 0)
	return strings.TrimRight(b.String(), "\n")
}

func formatCols(cols []Column) string {
	var parts []string
	for _, c := range cols {
		if c.Hidden {
			continue
		}
		parts = append(parts, c.Name+":"+c.Type.String())
	}
	return strings.Join(parts, ", ")
}

func formatRel(b *strings.Builder, r Rel, depth int) {
	ind := strings.Repeat("  ", depth)
	line := func(format string, args ...any) { fmt.Fprintf(b, ind+format+"\n", args...) }
	switch n := r.(type) {
	case *Scan:
		line("scan %s %s (%s)", n.Relation.Kind, n.Relation.Name, formatCols(n.Relation.Columns))
	case *Values:
		line("values %d rows", len(n.Rows))
	case *TableFunc:
		var args []string
		for _, a := range n.Args {
			args = append(args, FormatExpr(a))
		}
		line("function %s(%s)", n.Func, strings.Join(args, ", "))
	case *IndexScan:
		var parts []string
		for _, e := range n.Eq {
			parts = append(parts, "= "+FormatExpr(e))
		}
		if n.Lo != nil {
			op := ">"
			if n.LoIncl {
				op = ">="
			}
			parts = append(parts, op+" "+FormatExpr(n.Lo))
		}
		if n.Hi != nil {
			op := "<"
			if n.HiIncl {
				op = "<="
			}
			parts = append(parts, op+" "+FormatExpr(n.Hi))
		}
		line("index scan %s using %s (%s)", n.Relation.Name, n.Index.Name, strings.Join(parts, ", "))
	case *Filter:
		line("filter %s", FormatExpr(n.Cond))
		formatRel(b, n.Input, depth+1)
	case *Project:
		var es []string
		for i, e := range n.Exprs {
			es = append(es, n.Cols[i].Name+"="+FormatExpr(e))
		}
		line("project %s", strings.Join(es, ", "))
		formatRel(b, n.Input, depth+1)
	case *ProjectSet:
		var fs []string
		for _, f := range n.Funcs {
			var as []string
			for _, a := range f.Args {
				as = append(as, FormatExpr(a))
			}
			fs = append(fs, f.Func+"("+strings.Join(as, ", ")+")")
		}
		line("project set %s", strings.Join(fs, ", "))
		formatRel(b, n.Input, depth+1)
	case *Window:
		line("%s time=#%d size=%dus slide=%dus offset=%dus", strings.ToLower(n.Kind.String()), n.TimeCol, n.Size, n.Slide, n.Offset)
		formatRel(b, n.Input, depth+1)
	case *Aggregate:
		var gs, as []string
		for _, g := range n.GroupBy {
			gs = append(gs, FormatExpr(g))
		}
		for _, a := range n.Aggs {
			s := a.Func + "("
			if a.Distinct {
				s += "DISTINCT "
			}
			var args []string
			for _, x := range a.Args {
				args = append(args, FormatExpr(x))
			}
			s += strings.Join(args, ", ")
			for i, o := range a.Order {
				if i == 0 {
					s += " ORDER BY "
				} else {
					s += ", "
				}
				s += FormatExpr(o.E)
				if o.Desc {
					s += " DESC"
				}
				switch {
				case o.NullsFirst && !o.Desc:
					s += " NULLS FIRST"
				case !o.NullsFirst && o.Desc:
					s += " NULLS LAST"
				}
			}
			s += "):" + a.Type.String()
			if a.Filter != nil {
				s += " FILTER " + FormatExpr(a.Filter)
			}
			as = append(as, s)
		}
		line("aggregate group=[%s] aggs=[%s]", strings.Join(gs, ", "), strings.Join(as, ", "))
		formatRel(b, n.Input, depth+1)
	case *Sort:
		var ks []string
		for _, k := range n.Keys {
			s := fmt.Sprintf("#%d", k.Col)
			if k.Desc {
				s += " DESC"
			}
			if k.NullsFirst != k.Desc {
				if k.NullsFirst {
					s += " NULLS FIRST"
				} else {
					s += " NULLS LAST"
				}
			}
			ks = append(ks, s)
		}
		line("sort %s", strings.Join(ks, ", "))
		formatRel(b, n.Input, depth+1)
	case *Limit:
		line("limit %d offset %d", n.Count, n.Offset)
		formatRel(b, n.Input, depth+1)
	case *Join:
		on := ""
		if n.On != nil {
			on = " on " + FormatExpr(n.On)
		}
		tmp := ""
		if n.Temporal {
			tmp = " temporal"
		}
		line("join %s%s%s", strings.ToLower(n.Kind.String()), tmp, on)
		formatRel(b, n.Left, depth+1)
		formatRel(b, n.Right, depth+1)
	case *SetOp:
		all := ""
		if n.All {
			all = " all"
		}
		line("%s%s (%s)", strings.ToLower(n.Kind.String()), all, formatCols(n.Cols))
		formatRel(b, n.Left, depth+1)
		formatRel(b, n.Right, depth+1)
	case *Over:
		var fs []string
		for _, f := range n.Funcs {
			var ps, os []string
			for _, p := range f.PartitionBy {
				ps = append(ps, FormatExpr(p))
			}
			for _, o := range f.OrderBy {
				s := FormatExpr(o.E)
				if o.Desc {
					s += " DESC"
				}
				os = append(os, s)
			}
			fs = append(fs, fmt.Sprintf("%s():%s over (partition [%s] order [%s])", f.Func, f.Type, strings.Join(ps, ", "), strings.Join(os, ", ")))
		}
		line("window %s", strings.Join(fs, ", "))
		formatRel(b, n.Input, depth+1)
	default:
		line("%T", r)
	}
}

// FormatExpr prints a bound expression with its types.
func FormatExpr(e Expr) string {
	switch x := e.(type) {
	case *ColRef:
		return fmt.Sprintf("#%d:%s", x.Idx, x.T)
	case *OuterRef:
		return fmt.Sprintf("outer%d#%d:%s", x.Depth, x.Idx, x.T)
	case *Param:
		return fmt.Sprintf("$%d:%s", x.Idx+1, x.Type())
	case *Const:
		if x.Value == nil {
			return "NULL:" + x.T.String()
		}
		s := types.TextString(x.T, x.Value)
		if x.T.IsString() || x.T.IsTime() || x.T.Family == types.Interval {
			s = "'" + s + "'"
		}
		return s + ":" + x.T.String()
	case *Cast:
		return fmt.Sprintf("(%s)::%s", FormatExpr(x.E), x.T)
	case *Call:
		var args []string
		for _, a := range x.Args {
			args = append(args, FormatExpr(a))
		}
		return fmt.Sprintf("%s(%s):%s", x.Func, strings.Join(args, ", "), x.T)
	case *Case:
		var parts []string
		for _, w := range x.Whens {
			parts = append(parts, "WHEN "+FormatExpr(w.Cond)+" THEN "+FormatExpr(w.Then))
		}
		if x.Else != nil {
			parts = append(parts, "ELSE "+FormatExpr(x.Else))
		}
		return "CASE " + strings.Join(parts, " ") + " END:" + x.T.String()
	case *Subquery:
		kind := [...]string{"scalar", "exists", "in", "any", "all", "array"}[x.Kind]
		s := "subquery " + kind
		if x.Test != nil {
			s += " " + FormatExpr(x.Test) + " " + x.Op
		}
		if x.Negated {
			s = "not " + s
		}
		return "(" + s + " {" + strings.ReplaceAll(FormatRel(x.Query), "\n", "; ") + "}):" + x.T.String()
	}
	return fmt.Sprintf("%T", e)
}
