package engine

import (
	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// evalEnv is what an interactive statement's expressions may read besides
// their rows: the statement's time, the session, and parameter values.
// Continuous queries have none (nil): their results must not depend on
// when or by whom they run.
type evalEnv struct {
	// catalogCall compiles the functions and casts that read the catalog
	// (pg_table_is_visible, format_type, ::regclass, ...); false when e is
	// not one of them.
	catalogCall func(e sql.Expr, sub func(sql.Expr) (exec.Expr, error)) (exec.Expr, bool, error)
	now         types.DTimestamp
	user        string
	settings    func(name string) (string, bool)
	pid         int64
	params      []types.Datum
}

// serverVersion is what version() reports; clients parse the leading
// "PostgreSQL <major>.<minor>".
const serverVersion = "PostgreSQL 15.0 (Weir) on x86_64-pc-linux-gnu, compiled by Go"

// sessionFunc evaluates the functions that read the statement's context.
func (env *evalEnv) sessionFunc(x *sql.Call) (exec.Expr, bool, error) {
	var v types.Datum
	switch x.Func {
	case "now", "current_timestamp", "localtimestamp", "proctime":
		v = env.now
	case "current_date":
		v = types.DDate(int64(env.now) / 86400e6)
	case "version":
		v = serverVersion
	case "current_database":
		v = "weir"
	case "current_schema":
		v = "public"
	case "current_user", "session_user", "user":
		v = env.user
	case "pg_backend_pid":
		v = env.pid
	default:
		return nil, false, nil
	}
	return &exec.Const{V: v, T: x.T}, true, nil
}

// compileExpr turns a bound expression into an executable one.
func compileExpr(e sql.Expr) (exec.Expr, error) { return compileExprEnv(e, nil) }

func compileExprEnv(e sql.Expr, env *evalEnv) (exec.Expr, error) {
	return compileExprWith(e, env, func(sub sql.Expr) (exec.Expr, error) { return compileExprEnv(sub, env) })
}

// compileExprWith compiles e, compiling its subexpressions with sub (so
// interactive queries can handle subqueries the continuous path rejects).
func compileExprWith(e sql.Expr, env *evalEnv, sub func(sql.Expr) (exec.Expr, error)) (exec.Expr, error) {
	compileExpr := sub
	if env != nil && env.catalogCall != nil {
		if c, ok, err := env.catalogCall(e, sub); ok || err != nil {
			return c, err
		}
	}
	switch x := e.(type) {
	case *sql.Param:
		if env == nil || x.Idx >= len(env.params) {
			return nil, types.Errorf(types.CodeUndefinedObject, "there is no parameter $%d", x.Idx+1)
		}
		v, err := types.Cast(env.params[x.Idx], x.Type(), x.Type())
		if err != nil {
			return nil, err
		}
		return &exec.Const{V: v, T: x.Type()}, nil
	case *sql.Subquery, *sql.OuterRef:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "subqueries in expressions are not supported in execution yet")
	case *sql.ColRef:
		return &exec.ColRef{Idx: x.Idx, T: x.T}, nil
	case *sql.Const:
		return &exec.Const{V: x.Value, T: x.T}, nil
	case *sql.Cast:
		in, err := compileExpr(x.E)
		if err != nil {
			return nil, err
		}
		return &exec.Cast{E: in, T: x.T}, nil
	case *sql.Call:
		switch x.Func {
		case "now", "current_timestamp", "localtimestamp", "proctime", "current_date", "version", "current_database",
			"current_schema", "current_user", "session_user", "user", "pg_backend_pid", "current_setting":
			if env == nil {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "%s() is not allowed in a materialized view: its result would depend on when the view runs", x.Func)
			}
			if x.Func == "current_setting" {
				if name, ok := x.Args[0].(*sql.Const); ok && name.Value != nil && env.settings != nil {
					v, found := env.settings(name.Value.(string))
					if !found {
						return nil, types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter \"%s\"", name.Value)
					}
					return &exec.Const{V: v, T: types.TText}, nil
				}
				return nil, types.Errorf(types.CodeFeatureNotSupported, "current_setting() needs a constant name")
			}
			c, _, err := env.sessionFunc(x)
			return c, err
		}
		c := &exec.Call{Func: x.Func, T: x.T}
		for _, a := range x.Args {
			ca, err := compileExpr(a)
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, ca)
		}
		if c.Func == "and" || c.Func == "or" {
			c.Args = exec.LogicArgs(c.Func, c.Args)
		}
		return c, nil
	case *sql.Case:
		c := &exec.Case{T: x.T}
		for _, w := range x.Whens {
			cond, err := compileExpr(w.Cond)
			if err != nil {
				return nil, err
			}
			then, err := compileExpr(w.Then)
			if err != nil {
				return nil, err
			}
			c.Conds, c.Thens = append(c.Conds, cond), append(c.Thens, then)
		}
		if x.Else != nil {
			el, err := compileExpr(x.Else)
			if err != nil {
				return nil, err
			}
			c.Else = el
		}
		return c, nil
	}
	return nil, types.Errorf(types.CodeInternalError, "cannot compile expression %T", e)
}

func compileExprs(es []sql.Expr) ([]exec.Expr, error) { return compileExprsEnv(es, nil) }

func compileExprsEnv(es []sql.Expr, env *evalEnv) ([]exec.Expr, error) {
	out := make([]exec.Expr, len(es))
	for i, e := range es {
		c, err := compileExprEnv(e, env)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}
