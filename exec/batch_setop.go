package exec

import "github.com/weir-db/weir/types"

// SetOpType is UNION, INTERSECT or EXCEPT.
type SetOpType uint8

// Set operation types.
const (
	SetUnion SetOpType = iota
	SetIntersect
	SetExcept
)

// BatchSetOp combines two inputs with bag (All) or set semantics.
type BatchSetOp struct {
	Left, Right BatchOp
	Type        SetOpType
	All         bool
	Types       []types.Type
}

// Rows implements BatchOp.
func (s *BatchSetOp) Rows() ([][]types.Datum, error) {
	left, err := s.Left.Rows()
	if err != nil {
		return nil, err
	}
	right, err := s.Right.Rows()
	if err != nil {
		return nil, err
	}
	var out [][]types.Datum
	switch s.Type {
	case SetUnion:
		if s.All {
			return append(append(out, left...), right...), nil
		}
		seen := map[string]bool{}
		for _, r := range append(append(out, left...), right...) {
			k := rowKey(s.Types, r)
			if !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
		return out, nil
	default:
		counts := map[string]int{}
		for _, r := range right {
			counts[rowKey(s.Types, r)]++
		}
		emitted := map[string]bool{}
		for _, r := range left {
			k := rowKey(s.Types, r)
			inRight := counts[k] > 0
			keep := inRight == (s.Type == SetIntersect)
			if s.All {
				if inRight {
					counts[k]--
				}
			} else {
				if emitted[k] {
					continue
				}
			}
			if keep {
				emitted[k] = true
				out = append(out, r)
			} else if !s.All {
				emitted[k] = true
			}
		}
		return out, nil
	}
}
