package sqllogictest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/weir-db/weir/engine"
	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/types"
)

// TempEngine is a Weir engine in a temporary data directory, for running
// files in-process.
type TempEngine struct {
	Engine *engine.Engine
	dir    string
}

// NewTempEngine opens a fresh engine in a new temporary directory.
func NewTempEngine() (*TempEngine, error) { return NewTempEngineWith(engine.Config{}) }

// NewTempEngineWith is NewTempEngine with cfg (its DataDir is replaced by
// the temporary directory).
func NewTempEngineWith(cfg engine.Config) (*TempEngine, error) {
	dir, err := os.MkdirTemp("", "weir-slt-")
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	e, err := engine.Open(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &TempEngine{Engine: e, dir: dir}, nil
}

// Close closes the engine and removes its directory.
func (t *TempEngine) Close() error {
	err := t.Engine.Close()
	os.RemoveAll(t.dir)
	return err
}

// Opener opens sessions on the engine.
func (t *TempEngine) Opener() Opener {
	return func(ctx context.Context) (DB, error) {
		return &sessionDB{s: t.Engine.NewSession()}, nil
	}
}

// sessionDB adapts an engine session to DB, rendering values as the wire
// protocol's text format does.
type sessionDB struct{ s *engine.Session }

type collectWriter struct {
	cols  []string
	types []types.Type
	rows  [][]*string
	tag   string
}

func (w *collectWriter) Columns(cols []pgwire.Column) error {
	w.cols, w.types = []string{}, nil
	for _, c := range cols {
		w.cols = append(w.cols, c.Name)
		w.types = append(w.types, c.Type)
	}
	w.rows = nil
	return nil
}

func (w *collectWriter) Row(row []types.Datum) error {
	out := make([]*string, len(row))
	for i, d := range row {
		if d != nil {
			s := string(types.FormatText(nil, w.types[i], d))
			out[i] = &s
		}
	}
	w.rows = append(w.rows, out)
	return nil
}

func (w *collectWriter) Complete(tag string) error { w.tag = tag; return nil }
func (w *collectWriter) EmptyQuery() error         { return nil }

func (d *sessionDB) Exec(ctx context.Context, sql string) (int64, error) {
	w := &collectWriter{}
	if err := d.s.Execute(ctx, sql, w); err != nil {
		return 0, err
	}
	f := strings.Fields(w.tag)
	if len(f) > 0 {
		if n, err := strconv.ParseInt(f[len(f)-1], 10, 64); err == nil {
			return n, nil
		}
	}
	return -1, nil
}

func (d *sessionDB) Query(ctx context.Context, sql string) ([]string, [][]*string, error) {
	w := &collectWriter{}
	if err := d.s.Execute(ctx, sql, w); err != nil {
		return nil, nil, err
	}
	if w.cols == nil {
		return nil, nil, fmt.Errorf("statement returned no rows")
	}
	return w.cols, w.rows, nil
}

func (d *sessionDB) Close() error { d.s.Close(); return nil }
