package engine

import (
	"fmt"
	"testing"
	"time"
)

// benchViews are Nexmark-shaped views whose catch-up over stored events
// the benchmarks time: a stream-stream join and a top-N.
var benchViews = map[string]string{
	"q20": "SELECT b.auction, b.bidder, b.price, b.channel, b.url, b.date_time, b.extra, a.item_name, a.description, a.initial_bid, a.reserve, a.date_time AS a_date_time, a.expires, a.seller, a.category, a.extra AS a_extra FROM bid b JOIN auction a ON b.auction = a.id WHERE a.category = 10",
	"q19": "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bid) t WHERE rn <= 10",
	"q4":  "SELECT q.category, avg(q.final) FROM (SELECT max(b.price) AS final, a.category FROM auction a JOIN bid b ON a.id = b.auction AND b.date_time BETWEEN a.date_time AND a.expires GROUP BY a.id, a.category) q GROUP BY q.category",
}

// BenchmarkViewCatchUp times a view catching up with 100,000 stored
// Nexmark events, per query and task count; events/s is reported.
func BenchmarkViewCatchUp(b *testing.B) {
	const events = 100000
	for _, q := range []string{"q20", "q19", "q4"} {
		for _, tasks := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/tasks=%d", q, tasks), func(b *testing.B) {
				e, err := Open(Config{DataDir: b.TempDir(), Parallelism: tasks})
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				s := e.NewSession()
				mustRun := func(sql string) [][]any {
					w := &rowsWriter{}
					if err := s.Execute(b.Context(), sql, w); err != nil {
						b.Fatalf("%s: %v", sql, err)
					}
					out := make([][]any, len(w.rows))
					for i, r := range w.rows {
						for _, d := range r {
							out[i] = append(out[i], d)
						}
					}
					return out
				}
				mustRun(fmt.Sprintf("CREATE SOURCE nx WITH (connector = 'nexmark', events = %d, seed = 1, event_time_rate = 1000)", events))
				for mustRun("SELECT done FROM weir_catalog.sources")[0][0] != true {
					time.Sleep(10 * time.Millisecond)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					name := fmt.Sprintf("v%d", i)
					mustRun("CREATE MATERIALIZED VIEW " + name + " AS " + benchViews[q])
					mustRun("FLUSH")
					b.StopTimer()
					mustRun("DROP MATERIALIZED VIEW " + name)
					b.StartTimer()
				}
				b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
