package exec

// Kernels that decide which rows their arguments are evaluated for:
// AND/OR, NOT, IS NULL and CASE (see vec.go).

// vlogic is SQL's three-valued AND/OR, evaluating each argument only for
// the rows the earlier ones left undecided.
type vlogic struct {
	and  bool
	args []vnode
}

func (n *vlogic) eval(c *Chunk, sel []int) (*vec, error) {
	out := newVec(vkBool, len(sel))
	for j := range out.b {
		out.b[j] = n.and
	}
	sawNull := make([]bool, len(sel))
	// open lists positions (into sel) still undecided.
	open := make([]int, len(sel))
	for j := range open {
		open[j] = j
	}
	sub := make([]int, 0, len(sel))
	for _, a := range n.args {
		if len(open) == 0 {
			break
		}
		sub = sub[:0]
		for _, j := range open {
			sub = append(sub, sel[j])
		}
		v, err := a.eval(c, sub)
		if err != nil {
			return nil, err
		}
		next := open[:0]
		for x, j := range open {
			switch {
			case v.isNull(x):
				sawNull[j] = true
				next = append(next, j)
			case v.b[v.at(x)] != n.and:
				out.b[j] = !n.and // decided
			default:
				next = append(next, j)
			}
		}
		open = next
	}
	for _, j := range open {
		if sawNull[j] {
			out.setNull(j, len(sel))
		}
	}
	return out, nil
}

type vnot struct{ arg vnode }

func (n *vnot) eval(c *Chunk, sel []int) (*vec, error) {
	return strict1(c, sel, n.arg, vkBool, func(out, v *vec, j, x int) error {
		out.b[j] = !v.b[x]
		return nil
	})
}

type visnull struct {
	arg vnode
	not bool
}

func (n *visnull) eval(c *Chunk, sel []int) (*vec, error) {
	v, err := n.arg.eval(c, sel)
	if err != nil {
		return nil, err
	}
	out := newVec(vkBool, len(sel))
	for j := range sel {
		out.b[j] = v.isNull(j) != n.not
	}
	return out, nil
}

// vcase is a searched CASE: each branch is evaluated only for the rows
// that reach it.
type vcase struct {
	k     vkind
	conds []vnode
	thens []vnode
	els   vnode
}

func (n *vcase) eval(c *Chunk, sel []int) (*vec, error) {
	out := newVec(n.k, len(sel))
	open := make([]int, len(sel)) // positions into sel not yet decided
	for j := range open {
		open[j] = j
	}
	rows := make([]int, 0, len(sel))
	var hit []int
	for i, cond := range n.conds {
		if len(open) == 0 {
			return out, nil
		}
		rows = rows[:0]
		for _, j := range open {
			rows = append(rows, sel[j])
		}
		v, err := cond.eval(c, rows)
		if err != nil {
			return nil, err
		}
		hit = hit[:0]
		next := open[:0:0]
		for x, j := range open {
			if !v.isNull(x) && v.b[v.at(x)] {
				hit = append(hit, j)
			} else {
				next = append(next, j)
			}
		}
		if err := n.fill(c, sel, out, n.thens[i], hit); err != nil {
			return nil, err
		}
		open = next
	}
	if n.els == nil {
		for _, j := range open {
			out.setNull(j, len(sel))
		}
		return out, nil
	}
	return out, n.fill(c, sel, out, n.els, open)
}

// fill evaluates branch for positions at (into sel) and stores the
// results there.
func (n *vcase) fill(c *Chunk, sel []int, out *vec, branch vnode, at []int) error {
	if len(at) == 0 {
		return nil
	}
	rows := make([]int, len(at))
	for x, j := range at {
		rows[x] = sel[j]
	}
	v, err := branch.eval(c, rows)
	if err != nil {
		return err
	}
	for x, j := range at {
		if v.isNull(x) {
			out.setNull(j, len(sel))
			continue
		}
		y := v.at(x)
		switch n.k {
		case vkBool:
			out.b[j] = v.b[y]
		case vkInt:
			out.i[j] = v.i[y]
		case vkStr:
			out.s[j] = v.s[y]
		case vkDec:
			out.d[j] = v.d[y]
		}
	}
	return nil
}
