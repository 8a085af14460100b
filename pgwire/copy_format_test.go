package pgwire

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/weir-db/weir/types"
)

// TestCopyFormat runs testdata/copy_format:
//
//	decode [csv] [delim=<c>] [null=<s>] [quote=<c>] [escape=<c>]
//	  input: the data, as one Go-quoted string per line, concatenated;
//	  prints each row's fields (Go-quoted, or NULL), then the error if any
//	encode [csv] [delim=...] ...
//	  input: one row per line, fields NULL or Go-quoted text separated by
//	  spaces; prints the encoded data, Go-quoted, and checks that it
//	  decodes back to the rows
func TestCopyFormat(t *testing.T) {
	datadriven.RunTest(t, "testdata/copy_format", func(t *testing.T, d *datadriven.TestData) string {
		opts := DefaultCopyOptions(d.HasArg("csv"))
		for _, arg := range d.CmdArgs {
			if len(arg.Vals) == 0 {
				continue
			}
			v, err := strconv.Unquote(`"` + arg.Vals[0] + `"`)
			if err != nil {
				d.Fatalf(t, "%s: %v", arg.Key, err)
			}
			switch arg.Key {
			case "delim":
				opts.Delimiter = v[0]
			case "null":
				opts.Null = v
			case "quote":
				opts.Quote = v[0]
			case "escape":
				opts.Escape = v[0]
			}
		}
		if err := opts.Check(); err != nil {
			return "options: " + err.Error()
		}
		switch d.Cmd {
		case "decode":
			var data strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				s, err := strconv.Unquote(line)
				if err != nil {
					d.Fatalf(t, "%s: %v", line, err)
				}
				data.WriteString(s)
			}
			return decodeAll(opts, data.String())
		case "encode":
			var rows [][]types.Datum
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				var row []types.Datum
				for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimLeft(rest, " ") {
					if r, ok := strings.CutPrefix(rest, "NULL"); ok {
						row = append(row, nil)
						rest = r
						continue
					}
					q, err := strconv.QuotedPrefix(rest)
					if err != nil {
						d.Fatalf(t, "%s: %v", rest, err)
					}
					s, _ := strconv.Unquote(q)
					row = append(row, s)
					rest = rest[len(q):]
				}
				rows = append(rows, row)
			}
			enc := NewCopyEncoder(opts)
			var buf []byte
			for _, row := range rows {
				buf = enc.AppendRow(buf, textTypes(len(row)), row)
			}
			if back, want := decodeAll(opts, string(buf)), formatRows(rows); back != want {
				t.Errorf("%s: decoded back as\n%s\nwant\n%s", d.Pos, back, want)
			}
			return strconv.Quote(string(buf))
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

func textTypes(n int) []types.Type {
	ts := make([]types.Type, n)
	for i := range ts {
		ts[i] = types.TText
	}
	return ts
}

// decodeAll decodes data to the end and prints its rows and any error.
func decodeAll(opts CopyOptions, data string) string {
	dec := NewCopyDecoder(strings.NewReader(data), opts)
	var out []string
	for {
		fields, err := dec.ReadRow()
		if err == io.EOF {
			break
		}
		if err != nil {
			e := types.AsError(err)
			out = append(out, fmt.Sprintf("error on line %d: %s %s", dec.Line(), e.Code, e.Message))
			break
		}
		out = append(out, formatFields(fields))
	}
	return strings.Join(out, "\n")
}

func formatFields(fields []CopyField) string {
	var parts []string
	for _, f := range fields {
		if f.Null {
			parts = append(parts, "NULL")
		} else {
			parts = append(parts, strconv.Quote(f.Text))
		}
	}
	return strings.Join(parts, " ")
}

func formatRows(rows [][]types.Datum) string {
	var lines []string
	for _, row := range rows {
		var fields []CopyField
		for _, d := range row {
			if d == nil {
				fields = append(fields, CopyField{Null: true})
			} else {
				fields = append(fields, CopyField{Text: d.(string)})
			}
		}
		lines = append(lines, formatFields(fields))
	}
	return strings.Join(lines, "\n")
}

// TestCopyFormatRoundTrip encodes random rows of awkward text in several
// formats and checks that they decode to the same rows.
func TestCopyFormatRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "é", "\t", "\n", "\r", "\\", `\.`, ",", `"`, "'", "|", "N", `\N`, " ", "\x01", "x"}
	csvQuote := DefaultCopyOptions(true)
	csvQuote.Escape = '\\'
	csvPipe := DefaultCopyOptions(true)
	csvPipe.Delimiter, csvPipe.Quote, csvPipe.Null = '|', '\'', "NULL"
	textPipe := DefaultCopyOptions(false)
	textPipe.Delimiter, textPipe.Null = '|', "NULL"
	for _, opts := range []CopyOptions{DefaultCopyOptions(false), DefaultCopyOptions(true), csvQuote, csvPipe, textPipe} {
		if err := opts.Check(); err != nil {
			t.Fatal(err)
		}
		for range 300 {
			ncols := 1 + rng.IntN(4)
			var rows [][]types.Datum
			for range 1 + rng.IntN(5) {
				row := make([]types.Datum, ncols)
				for i := range row {
					if rng.IntN(6) == 0 {
						continue // NULL
					}
					var b strings.Builder
					for range rng.IntN(5) {
						b.WriteString(pieces[rng.IntN(len(pieces))])
					}
					row[i] = b.String()
				}
				rows = append(rows, row)
			}
			enc := NewCopyEncoder(opts)
			var buf []byte
			for _, row := range rows {
				buf = enc.AppendRow(buf, textTypes(ncols), row)
			}
			if got, want := decodeAll(opts, string(buf)), formatRows(rows); got != want {
				t.Fatalf("options %+v: %q decoded as\n%s\nwant\n%s", opts, buf, got, want)
			}
		}
	}
}

// FuzzCopyDecoder feeds arbitrary data to the text and CSV decoders: they
// must not panic, nor return a non-UTF-8 field, nor fail without a
// SQLSTATE.
func FuzzCopyDecoder(f *testing.F) {
	f.Add(false, []byte("1\tone\n2\t\\N\n\\.\n"))
	f.Add(true, []byte("1,\"a\"\"b\nc\"\n2,\n"))
	f.Add(false, []byte("\\x41\\101\\\n\r\n"))
	f.Fuzz(func(t *testing.T, csv bool, data []byte) {
		dec := NewCopyDecoder(strings.NewReader(string(data)), DefaultCopyOptions(csv))
		for {
			fields, err := dec.ReadRow()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*types.Error); !ok {
					t.Fatalf("error %v has no SQLSTATE", err)
				}
				return
			}
			for _, f := range fields {
				if checkText([]byte(f.Text)) != nil {
					t.Fatalf("field %q is not valid text", f.Text)
				}
			}
		}
	})
}
