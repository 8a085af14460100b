package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// catalogCall compiles the functions and casts that read the catalog, for
// the session's interactive statements.
func (s *Session) catalogCall(e sql.Expr, sub func(sql.Expr) (exec.Expr, error)) (exec.Expr, bool, error) {
	eng := s.e
	fn := func(name string, t types.Type, args []sql.Expr, f func([]types.Datum) (types.Datum, error)) (exec.Expr, bool, error) {
		out := &exec.FuncExpr{Name: name, Fn: f, T: t}
		for _, a := range args {
			c, err := sub(a)
			if err != nil {
				return nil, true, err
			}
			out.Args = append(out.Args, c)
		}
		return out, true, nil
	}
	constant := func(v types.Datum, t types.Type) (exec.Expr, bool, error) {
		return &exec.Const{V: v, T: t}, true, nil
	}
	switch x := e.(type) {
	case *sql.Cast:
		from := x.E.Type()
		if from.Family == types.Unknown {
			from = types.TText
		}
		switch {
		case x.T.Family == types.Regclass && from.IsString():
			return fn("regclass", x.T, []sql.Expr{x.E}, func(a []types.Datum) (types.Datum, error) {
				return eng.relationOID(a[0].(string))
			})
		case x.T.Family == types.Regtype && from.IsString():
			return fn("regtype", x.T, []sql.Expr{x.E}, func(a []types.Datum) (types.Datum, error) {
				t, err := types.ParseTypeName(a[0].(string))
				if err != nil {
					return nil, err
				}
				return int64(t.OID()), nil
			})
		case (from.Family == types.Regclass || from.Family == types.Regtype) && x.T.IsString():
			return fn("regname", x.T, []sql.Expr{x.E}, func(a []types.Datum) (types.Datum, error) {
				if from.Family == types.Regtype {
					if t, ok := typeByOID(a[0].(int64)); ok {
						return t.String(), nil
					}
				} else if name, ok := eng.relationName(a[0].(int64)); ok {
					return name, nil
				}
				return fmt.Sprint(a[0]), nil
			})
		}
		return nil, false, nil
	case *sql.Call:
		switch x.Func {
		case "pg_table_is_visible":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) {
				_, ok := eng.relationName(a[0].(int64))
				return ok, nil
			})
		case "pg_type_is_visible", "pg_function_is_visible", "has_table_privilege", "has_schema_privilege",
			"has_database_privilege", "has_column_privilege", "pg_has_role":
			return constant(true, types.TBool)
		case "pg_relation_is_publishable", "pg_is_in_recovery":
			return constant(false, types.TBool)
		case "pg_get_userbyid":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) {
				for _, u := range eng.users() {
					if u.oid == a[0].(int64) {
						return u.name, nil
					}
				}
				if a[0].(int64) == oidOwner {
					return "weir", nil
				}
				return fmt.Sprintf("unknown (OID=%d)", a[0]), nil
			})
		case "format_type":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) {
				t, ok := typeByOID(a[0].(int64))
				if !ok {
					return "???", nil
				}
				if len(a) > 1 {
					if mod, ok := a[1].(int64); ok && mod >= 4 {
						switch t.Family {
						case types.Varchar:
							t.Width = int32(mod - 4)
						case types.Numeric:
							t.Precision, t.Scale = int32((mod-4)>>16), int32((mod-4)&0xffff)
						}
					}
				}
				return t.String(), nil
			})
		case "pg_get_viewdef":
			return fn(x.Func, x.T, x.Args[:1], func(a []types.Datum) (types.Datum, error) {
				o, ok := eng.objectByOID(a[0].(int64))
				if !ok {
					return nil, nil
				}
				return viewDefinition(o), nil
			})
		case "pg_get_indexdef":
			return fn(x.Func, x.T, x.Args[:1], func(a []types.Datum) (types.Datum, error) { return eng.indexDef(a[0].(int64)), nil })
		case "pg_get_constraintdef":
			return fn(x.Func, x.T, x.Args[:1], func(a []types.Datum) (types.Datum, error) {
				o, ok := eng.objectByOID(a[0].(int64) - pkConstraintDelta)
				if !ok || o.Kind != sql.RelTable {
					return nil, nil
				}
				var names []string
				for _, k := range o.PrimaryKey {
					names = append(names, o.Columns[k].Name)
				}
				return "PRIMARY KEY (" + strings.Join(names, ", ") + ")", nil
			})
		case "pg_get_expr", "pg_get_ruledef", "pg_get_partkeydef", "pg_get_statisticsobjdef_columns", "obj_description",
			"shobj_description", "col_description", "pg_get_serial_sequence":
			return constant(nil, x.T)
		case "pg_encoding_to_char":
			return constant("UTF8", x.T)
		case "pg_total_relation_size", "pg_relation_size", "pg_table_size", "pg_indexes_size":
			return fn(x.Func, x.T, x.Args[:1], func(a []types.Datum) (types.Datum, error) { return eng.relationSize(a[0].(int64)), nil })
		case "pg_size_pretty":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) { return prettySize(a[0].(int64)), nil })
		case "pg_postmaster_start_time":
			return constant(types.DTimestamp(eng.started.UnixMicro()), x.T)
		case "txid_current":
			return constant(int64(1), x.T)
		case "inet_server_addr":
			return constant("127.0.0.1", x.T)
		case "inet_server_port":
			return constant(int64(5433), x.T)
		case "current_schemas":
			return constant("{public}", x.T)
		case "quote_ident":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) { return quoteIdent(a[0].(string)), nil })
		case "quote_literal":
			return fn(x.Func, x.T, x.Args, func(a []types.Datum) (types.Datum, error) {
				return "'" + strings.ReplaceAll(a[0].(string), "'", "''") + "'", nil
			})
		case "array_to_string":
			return fn(x.Func, x.T, x.Args[:1], func(a []types.Datum) (types.Datum, error) { return a[0], nil })
		}
	}
	return nil, false, nil
}

// relationOID resolves a relation name (optionally schema-qualified) to
// its oid, as ::regclass does.
func (e *Engine) relationOID(name string) (types.Datum, error) {
	n := strings.TrimPrefix(strings.Trim(name, `"`), "public.")
	if o, ok := e.cat.get(n); ok && o.Kind != kindUser {
		return int64(o.ID), nil
	}
	if t, ok := lookupSystemTable(n); ok {
		return int64(t.oid), nil
	}
	return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
}

// relationName is the name pg_class shows for an oid.
func (e *Engine) relationName(oid int64) (string, bool) {
	for _, r := range (&systemCtx{e: e, objects: e.cat.byID()}).relations() {
		if r.oid == oid {
			return r.name, true
		}
	}
	return "", false
}

func (e *Engine) objectByOID(oid int64) (*object, bool) {
	for _, o := range e.cat.byID() {
		if int64(o.ID) == oid {
			return o, true
		}
	}
	return nil, false
}

// indexDef is pg_get_indexdef for an index or a primary key.
func (e *Engine) indexDef(oid int64) types.Datum {
	if o, ok := e.objectByOID(oid); ok && o.Kind == sql.RelIndex {
		t, ok := e.cat.get(o.Table)
		if !ok {
			return nil
		}
		var cs []string
		for i, c := range o.IndexCols {
			s := t.Columns[c].Name
			if o.IndexDesc[i] {
				s += " DESC"
			}
			cs = append(cs, s)
		}
		return fmt.Sprintf("CREATE INDEX %s ON public.%s USING btree (%s)", o.Name, t.Name, strings.Join(cs, ", "))
	}
	if o, ok := e.objectByOID(oid - pkIndexOIDOffset); ok && o.Kind == sql.RelTable {
		var cs []string
		for _, k := range o.PrimaryKey {
			cs = append(cs, o.Columns[k].Name)
		}
		return fmt.Sprintf("CREATE UNIQUE INDEX %s_pkey ON public.%s USING btree (%s)", o.Name, o.Name, strings.Join(cs, ", "))
	}
	return nil
}

// relationSize is the bytes a relation's log takes.
func (e *Engine) relationSize(oid int64) types.Datum {
	o, ok := e.objectByOID(oid)
	if !ok || o.Topic == "" {
		return int64(0)
	}
	t, ok := e.log.Topic(o.Topic)
	if !ok {
		return int64(0)
	}
	var n int64
	for p := 0; p < t.NumPartitions(); p++ {
		n += t.SizeBytes(p)
	}
	return n
}

func prettySize(n int64) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB"}
	v, i := n, 0
	for i < len(units)-1 && (v >= 10*1024 || v <= -10*1024) {
		v = (v + 512) / 1024
		i++
	}
	return fmt.Sprintf("%d %s", v, units[i])
}

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

func sortedSettings() []string {
	names := make([]string, 0, len(defaultSettings))
	for n := range defaultSettings {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// kindUser marks catalog entries that are roles, not relations.
const kindUser sql.RelKind = 100

// userEntry is a role that can log in.
type userEntry struct {
	name   string
	oid    int64
	secret string // PostgreSQL's stored SCRAM-SHA-256 form
}

const userPrefix = "\x00user:"

func (e *Engine) users() []userEntry {
	var out []userEntry
	for _, o := range e.cat.byID() {
		if o.Kind == kindUser {
			out = append(out, userEntry{name: strings.TrimPrefix(o.Name, userPrefix), oid: int64(o.ID), secret: o.Secret})
		}
	}
	return out
}
