package sqllogictest

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// maxShownRows bounds the actual rows listed under a hash mismatch.
const maxShownRows = 20

// failure is why a statement or query record failed: a one-line message and
// further report lines.
type failure struct {
	msg    string
	detail []string
}

// statement runs a statement record once and checks its outcome.
func (r *fileRunner) statement(ctx context.Context, s *Statement) (*failure, error) {
	var affected int64
	var execErr error
	if f, err := r.call(ctx, s.Connection, func(ctx context.Context, db DB) {
		affected, execErr = db.Exec(ctx, s.SQL)
	}); f != nil || err != nil {
		return f, err
	}
	if s.Error != nil {
		return checkError("statement", s.Error, execErr), nil
	}
	if execErr != nil {
		return &failure{msg: "statement failed: " + oneLine(execErr.Error())}, nil
	}
	if s.Count >= 0 && affected != s.Count {
		if affected < 0 {
			return &failure{msg: fmt.Sprintf("expected %d rows affected, but the statement reported no count", s.Count)}, nil
		}
		return &failure{msg: fmt.Sprintf("expected %d rows affected, got %d", s.Count, affected)}, nil
	}
	return nil, nil
}

// query runs a query record once and checks its outcome.
func (r *fileRunner) query(ctx context.Context, q *Query) (*failure, error) {
	var columns []string
	var rows [][]*string
	var queryErr error
	if f, err := r.call(ctx, q.Connection, func(ctx context.Context, db DB) {
		columns, rows, queryErr = db.Query(ctx, q.SQL)
	}); f != nil || err != nil {
		return f, err
	}
	if q.Error != nil {
		return checkError("query", q.Error, queryErr), nil
	}
	if queryErr != nil {
		return &failure{msg: "query failed: " + oneLine(queryErr.Error())}, nil
	}

	ncols := len(columns)
	if ncols == 0 && len(rows) > 0 {
		ncols = len(rows[0])
	}
	rendered := make([][]string, len(rows))
	for i, row := range rows {
		rendered[i] = make([]string, len(row))
		for j, v := range row {
			rendered[i][j] = renderValue(v)
		}
	}
	spec := resultSpec{sortMode: q.SortMode, resultMode: r.resultMode, threshold: r.threshold}
	if spec.sortMode == SortDefault {
		spec.sortMode = r.sortMode
	}
	c := compareResults(rendered, ncols, q.Expected, spec)
	badColumns := q.Types != "" && ncols != len(q.Types)
	if c.ok && !badColumns {
		return nil, nil
	}

	f := &failure{msg: "query results differ"}
	if badColumns {
		f.msg = fmt.Sprintf("query returned %d columns, but its type string %q has %d", ncols, q.Types, len(q.Types))
	}
	if spec.sortMode != NoSort {
		f.msg += fmt.Sprintf(" (%s: both sides sorted)", spec.sortMode)
	}
	if !c.ok {
		f.detail = append(f.detail, "diff (-expected +actual):")
		for _, line := range lineDiff(c.expected, c.actual) {
			f.detail = append(f.detail, "  "+line)
		}
		if c.note != "" {
			f.detail = append(f.detail, "note: "+c.note)
		}
		if len(c.actual) == 1 && hashLine.MatchString(c.actual[0]) {
			f.detail = append(f.detail, previewRows(rendered)...)
		}
	}
	return f, nil
}

// checkError checks the error of a record expected to fail.
func checkError(kind string, want *ExpectedError, got error) *failure {
	if got == nil {
		return &failure{msg: fmt.Sprintf("%s succeeded, expected %s", kind, want)}
	}
	if want.Matches(got.Error()) {
		return nil
	}
	f := &failure{msg: kind + " failed with a different error"}
	f.detail = append(f.detail, "expected: "+want.String())
	f.detail = append(f.detail, "actual:   "+oneLine(got.Error()))
	return f
}

// previewRows lists the first rows of a result, for failures that otherwise
// show only a hash.
func previewRows(rows [][]string) []string {
	out := []string{fmt.Sprintf("actual rows (%d):", len(rows))}
	for i, row := range rows {
		if i == maxShownRows {
			out = append(out, fmt.Sprintf("  ... %d more", len(rows)-maxShownRows))
			break
		}
		out = append(out, "  "+strings.Join(row, " "))
	}
	return out
}

// oneLine folds a multi-line error message for a one-line report.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// writeIndented writes a heading, then text indented under it.
func writeIndented(w io.Writer, heading, text string) {
	fmt.Fprintln(w, heading)
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
