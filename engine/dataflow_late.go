package engine

import (
	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// openLate resolves the view's LATE ROWS INTO stream, creating it when it
// does not exist, and delivers late rows a crash left staged.
func (f *dataflow) openLate() error {
	e, spec := f.e, f.plan.Late
	fresh := f.fresh()
	if spec.Into == f.sources[0].obj.Name || spec.Into == f.view.Name {
		return types.Errorf(types.CodeInvalidObjectDefinition, "LATE ROWS INTO must name a stream other than the view and its source")
	}
	target, ok := e.cat.get(spec.Into)
	if !ok {
		if err := checkName(spec.Into); err != nil {
			return err
		}
		target = &object{Name: spec.Into, Kind: sql.RelStream, Columns: columnsToJSON(spec.Cols), WatermarkCol: -1,
			Partitions: 1, KeyCol: -1, Topic: spec.Into}
		if err := e.createWithTopic(target, wlog.TopicConfig{Partitions: 1}); err != nil {
			return err
		}
	}
	if err := lateTargetFits(target, spec); err != nil {
		if fresh {
			return err
		}
		// A running view keeps running; its late rows are only counted.
		e.cfg.Logf("materialized view %s: late rows are only counted: %v", f.view.Name, err)
		return nil
	}
	topic, ok := e.log.Topic(target.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", target.Name)
	}
	f.late = &exec.LateWriter{Topic: topic, Types: target.types(), ViewID: f.view.ID, Table: progressTable, Prefix: progressKey(f.view.ID, "late")}
	if err := f.late.Deliver(e.st, nowMillis()); err != nil {
		return types.Wrap(err, types.CodeIOError, "delivering late rows of %s", f.view.Name)
	}
	return nil
}

// lateTargetFits checks that an existing LATE ROWS INTO target is a
// one-partition stream with the columns the view writes.
func lateTargetFits(o *object, spec *planner.LateSpec) error {
	if o.Kind != sql.RelStream || o.Partitions != 1 {
		return types.Errorf(types.CodeWrongObjectType, "LATE ROWS INTO \"%s\": it must be a stream with one partition", o.Name)
	}
	cols := o.columns()
	if len(cols) != len(spec.Cols) {
		return types.Errorf(types.CodeDatatypeMismatch, "LATE ROWS INTO \"%s\": it must have %d columns (%s)", o.Name, len(spec.Cols), lateColumnList(spec))
	}
	for i, c := range spec.Cols {
		if cols[i].Name != c.Name || cols[i].Type.Family != c.Type.Family {
			return types.Errorf(types.CodeDatatypeMismatch, "LATE ROWS INTO \"%s\": its columns must be (%s)", o.Name, lateColumnList(spec))
		}
	}
	return nil
}

func lateColumnList(spec *planner.LateSpec) string {
	s := ""
	for i, c := range spec.Cols {
		if i > 0 {
			s += ", "
		}
		s += c.Name + " " + c.Type.String()
	}
	return s
}

// lateRecords lays out the epoch's late rows as the late stream's rows.
func (f *dataflow) lateRecords() [][]types.Datum {
	var out [][]types.Datum
	for _, t := range f.tasks {
		out = f.appendLate(out, t.lateSink)
	}
	return out
}

func (f *dataflow) appendLate(out [][]types.Datum, sink *exec.LateSink) [][]types.Datum {
	for _, r := range sink.Rows {
		row := []types.Datum{f.view.Name, types.DTimestamp(r.Window.Start), types.DTimestamp(r.Window.End)}
		for _, i := range f.plan.Late.Row {
			row = append(row, r.Row[i])
		}
		out = append(out, row)
	}
	return out
}

// detachLateSinks makes the operators only count late rows.
func (f *dataflow) detachLateSinks() {
	for _, op := range f.operators() {
		switch o := op.(type) {
		case *exec.HashAgg:
			o.LateSink = nil
		case *exec.SessionWindow:
			o.LateSink = nil
		}
	}
}
