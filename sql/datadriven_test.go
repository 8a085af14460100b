package sql

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/weir-db/weir/types"
)

// TestDataDriven runs the scripts in testdata/scripts/:
//
//	parse: print each statement canonically; the test also checks that the
//	       printed form parses back to the same print (a fixpoint).
//	bind:  print the bound statement (typed plan) or the error with its
//	       SQLSTATE and position.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, filepath.Join("testdata", "scripts"), func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				ps, err := Parse(d.Input)
				if err != nil {
					return formatErr(err)
				}
				var out []string
				for _, p := range ps {
					printed := p.String()
					again, err := Parse(printed)
					if err != nil {
						t.Fatalf("%s: printed form does not parse: %v\n%s", d.Pos, err, printed)
					}
					if len(again) != 1 || again[0].String() != printed {
						t.Fatalf("%s: print is not a fixpoint:\n%s\n%s", d.Pos, printed, again[0].String())
					}
					out = append(out, printed)
				}
				return strings.Join(out, "\n") + "\n"
			case "bind":
				ps, err := Parse(d.Input)
				if err != nil {
					return formatErr(err)
				}
				var out []string
				for _, p := range ps {
					st, err := Bind(p, bindCatalog())
					if err != nil {
						out = append(out, strings.TrimSuffix(formatErr(err), "\n"))
						continue
					}
					out = append(out, formatStatement(st))
				}
				return strings.Join(out, "\n") + "\n"
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}

func formatErr(err error) string {
	e := types.AsError(err)
	return fmt.Sprintf("error %s at %d: %s\n", e.Code, e.Position, e.Message)
}

func formatStatement(st Statement) string {
	switch s := st.(type) {
	case *Select:
		return fmt.Sprintf("select (%s)\n%s", formatCols(s.Query.Cols), FormatRel(s.Query.Rel))
	case *CreateView:
		return fmt.Sprintf("create view %s emit=%d (%s)\n%s", s.Name, s.Emit.Policy, formatCols(s.Query.Cols), FormatRel(s.Query.Rel))
	case *Insert:
		return fmt.Sprintf("insert into %s\n%s", s.Target.Name, FormatRel(s.Source))
	case *Update:
		var sets []string
		for i, e := range s.Set {
			sets = append(sets, s.Target.Columns[i].Name+"="+FormatExpr(e))
		}
		where := "true"
		if s.Where != nil {
			where = FormatExpr(s.Where)
		}
		return fmt.Sprintf("update %s set %s where %s", s.Target.Name, strings.Join(sets, ", "), where)
	case *Delete:
		where := "true"
		if s.Where != nil {
			where = FormatExpr(s.Where)
		}
		return fmt.Sprintf("delete from %s where %s", s.Target.Name, where)
	case *CreateStream:
		return fmt.Sprintf("create stream %s (%s) watermark=#%d delay=%dus", s.Name, formatCols(s.Columns), s.WatermarkCol, s.WatermarkDelay)
	case *CreateTable:
		return fmt.Sprintf("create table %s (%s) key=%v", s.Name, formatCols(s.Columns), s.PrimaryKey)
	case *Declare:
		return fmt.Sprintf("declare %s hold=%v\n%s", s.Name, s.Hold, formatStatement(s.Query))
	case *Subscribe:
		return fmt.Sprintf("subscribe %s snapshot=%v progress=%v", s.View.Name, s.Snapshot, s.Progress)
	}
	return fmt.Sprintf("%T %+v", st, st)
}

func bindCatalog() testCatalog {
	c := newTestCatalog()
	for k, v := range nexmarkCatalog() {
		c[k] = v
	}
	c["mv"] = &Relation{Name: "mv", Kind: RelMaterializedView, Columns: []Column{{Name: "k", Type: types.TText}}}
	return c
}
