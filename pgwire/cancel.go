package pgwire

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
)

// newSecret returns a random cancel key. It is the only thing that stops
// any client from cancelling another's queries (pids are sequential).
func newSecret() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return binary.BigEndian.Uint32(b[:])
}

// handleCancelRequest executes a CancelRequest packet (after its code): the
// pid and secret key of the connection whose query is to be cancelled. A
// request that matches no connection is logged and ignored, and one that
// arrives while the connection is idle does nothing, as in PostgreSQL.
func (s *Server) handleCancelRequest(body []byte) {
	if len(body) != 8 {
		s.logf("pgwire: invalid length of cancel request packet: %d", len(body)+8)
		return
	}
	pid := binary.BigEndian.Uint32(body[0:4])
	secret := binary.BigEndian.Uint32(body[4:8])
	s.mu.Lock()
	c := s.mu.conns[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeEq(int32(c.secret), int32(secret)) != 1 {
		s.logf("pgwire: PID %d in cancel request did not match any process", pid)
		return
	}
	c.cancelQuery()
}
