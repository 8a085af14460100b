package engine

import "testing"

// TestCursorWire runs testdata/cursor: DECLARE, FETCH and CLOSE on the
// wire, over queries and SUBSCRIBE, with the commands of runWireScript.
func TestCursorWire(t *testing.T) { runWireScript(t, "testdata/cursor") }
