package sqllogictest

// maxDiffCells bounds the LCS table of lineDiff; larger inputs are shown as
// two plain listings instead.
const maxDiffCells = 4 << 20

// lineDiff renders a line diff of expected against actual: common lines are
// prefixed "  ", lines only expected "- ", lines only actual "+ ". It is an
// LCS diff, quadratic in the line counts, which is fine for query results.
func lineDiff(expected, actual []string) []string {
	n, m := len(expected), len(actual)
	if (n+1)*(m+1) > maxDiffCells {
		out := make([]string, 0, n+m)
		for _, l := range expected {
			out = append(out, "- "+l)
		}
		for _, l := range actual {
			out = append(out, "+ "+l)
		}
		return out
	}
	// lcs[i][j] is the LCS length of expected[i:] and actual[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if expected[i] == actual[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	out := make([]string, 0, max(n, m))
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && expected[i] == actual[j]:
			out = append(out, "  "+expected[i])
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			out = append(out, "+ "+actual[j])
			j++
		default:
			out = append(out, "- "+expected[i])
			i++
		}
	}
	return out
}
