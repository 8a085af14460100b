package planner

// Fusions are the rewrites that change where a view's rows go or what its
// operators store: an aggregation computing its windows itself, a join
// filtering its sides before storing them. A view keeps the fusions it
// was created with (the engine records them in the catalog): a fusion
// added later applies only to views created after it.
type Fusions struct {
	HopSlices   bool // FuseHopSlices
	Sessions    bool // FuseSessions
	JoinFilters bool // PushJoinFilters
}

// AllFusions is every fusion: how a view is planned when created now.
var AllFusions = Fusions{HopSlices: true, Sessions: true, JoinFilters: true}

// Fuse applies the fusions f to a view's plan.
func Fuse(root *Plan, f Fusions) {
	if f.HopSlices {
		FuseHopSlices(root)
	}
	if f.Sessions {
		FuseSessions(root)
	}
	if f.JoinFilters {
		PushJoinFilters(root)
	}
}
