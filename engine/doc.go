// Package engine is Weir's coordinator: the catalog, statement execution
// and the lifecycle of dataflows. It ties the layers together — sql binds,
// planner plans, exec runs, storage keeps — and implements the narrow
// interface pgwire serves. It holds no operator logic of its own.
//
// Durable layout:
//
//	<data dir>/log/    topics (one per stream, one changelog per table)
//	<data dir>/state/  Pebble: catalog, table rows, view rows, operator
//	                   state, dataflow offsets
//
// State table ids: 1 catalog, 2 dataflow progress, 3 table progress; user
// objects get ids from 1000 up, allocated in the catalog.
package engine
