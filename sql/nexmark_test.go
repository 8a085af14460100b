package sql

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

func nexmarkCatalog() testCatalog {
	ts, bi, vc := types.TTimestamp, types.TInt8, types.TVarchar
	cols := func(spec ...any) []Column {
		var out []Column
		for i := 0; i < len(spec); i += 2 {
			out = append(out, Column{Name: spec[i].(string), Type: spec[i+1].(types.Type)})
		}
		return out
	}
	return testCatalog{
		"person": {Name: "person", Kind: RelStream, WatermarkCol: 6, Columns: cols("id", bi, "name", vc, "email_address", vc,
			"credit_card", vc, "city", vc, "state", vc, "date_time", ts, "extra", vc)},
		"auction": {Name: "auction", Kind: RelStream, WatermarkCol: 5, Columns: cols("id", bi, "item_name", vc, "description", vc,
			"initial_bid", bi, "reserve", bi, "date_time", ts, "expires", ts, "seller", bi, "category", bi, "extra", vc)},
		"bid": {Name: "bid", Kind: RelStream, WatermarkCol: 5, Columns: cols("auction", bi, "bidder", bi, "price", bi,
			"channel", vc, "url", vc, "date_time", ts, "extra", vc)},
	}
}

// nexmarkQueries reads the queries from the shared benchmark spec.
func nexmarkQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "nexmark", "SPEC.md"))
	if err != nil {
		t.Skipf("nexmark spec not found beside the checkout: %v", err)
	}
	block := regexp.MustCompile("(?s)```sql\n(.*?)```").FindSubmatch(b)
	if block == nil {
		t.Fatal("no sql block in SPEC.md")
	}
	out := map[string]string{}
	name := ""
	var cur []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		if m := regexp.MustCompile(`^-- (q\d+)`).FindStringSubmatch(line); m != nil {
			name = m[1]
			continue
		}
		if name == "" || strings.TrimSpace(line) == "" {
			continue
		}
		cur = append(cur, line)
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out[name] = strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";")
			cur, name = nil, ""
		}
	}
	// q16 is described in prose: q15 grouped by channel and day, plus the minute.
	if q15, ok := out["q15"]; ok {
		q16 := strings.Replace(q15, "SELECT to_char(date_time, 'YYYY-MM-DD') AS day,",
			"SELECT channel, to_char(date_time, 'YYYY-MM-DD') AS day, max(to_char(date_time, 'HH24:MI')) AS minute,", 1)
		out["q16"] = strings.Replace(q16, "GROUP BY to_char(date_time, 'YYYY-MM-DD')", "GROUP BY channel, to_char(date_time, 'YYYY-MM-DD')", 1)
	}
	return out
}

var windowCallRe = regexp.MustCompile(`(TUMBLE|HOP|SESSION)\((\w+|\(SELECT[^)]*\)), (\w+), `)

// flinkForm rewrites TUMBLE(rel, col, ...) into Flink's
// TABLE(TUMBLE(TABLE rel, DESCRIPTOR(col), ...)).
func flinkForm(q string) string {
	out := q
	for _, m := range windowCallRe.FindAllStringSubmatchIndex(q, -1) {
		call := q[m[0]:]
		depth, end := 0, 0
		for i, c := range call {
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
				if depth == 0 {
					end = i
					break
				}
			}
		}
		fn, rel, col := q[m[2]:m[3]], q[m[4]:m[5]], q[m[6]:m[7]]
		if strings.HasPrefix(rel, "(") {
			return q // subquery inputs have no TABLE form
		}
		rest := call[len(q[m[0]:m[1]]):end]
		out = strings.Replace(out, call[:end+1], "TABLE("+fn+"(TABLE "+rel+", DESCRIPTOR("+col+"), "+rest+"))", 1)
	}
	return out
}

func TestNexmarkQueriesBind(t *testing.T) {
	qs := nexmarkQueries(t)
	if len(qs) < 20 {
		t.Fatalf("found only %d queries in SPEC.md", len(qs))
	}
	for name, q := range qs {
		for _, form := range []string{q, flinkForm(q)} {
			ps, err := Parse("CREATE MATERIALIZED VIEW " + name + " AS " + form)
			if err != nil {
				t.Errorf("%s: parse: %v\n%s", name, err, form)
				continue
			}
			st, err := Bind(ps[0], nexmarkCatalog())
			if err != nil {
				t.Errorf("%s: bind: %v\n%s", name, err, form)
				continue
			}
			if len(st.(*CreateView).Query.Cols) == 0 {
				t.Errorf("%s: no output columns", name)
			}
		}
	}
}
