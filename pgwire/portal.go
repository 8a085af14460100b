package pgwire

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// portal is a statement bound to parameter values and result formats
// (PostgreSQL's portal), made by Bind and run by Execute.
//
// Rows are produced by one call to Preparer.ExecutePrepared, at the first
// Execute. When that Execute has a row limit, the rows past it are held
// here, already encoded as DataRow messages, and later Executes send them
// from there: the engine needs no suspended execution state. The price is
// memory (bounded by Config.MaxPortalBytes) and that an error in a later
// row is reported by the first Execute.
type portal struct {
	name string
	stmt *Statement
	// sql is the statement's text, for log lines.
	sql string
	// params are the bound parameter values.
	params []types.Datum
	// types and formats are the result columns' types and wire formats
	// (nil: all text).
	types   []types.Type
	formats []int16
	state   portalState
	// empty is set when the statement turned out to be the empty one:
	// every Execute answers EmptyQueryResponse.
	empty bool

	// limit is the row limit of the Execute in progress (0: none), and
	// sent how many rows it has sent so far.
	limit, sent int
	// held are the encoded DataRow messages of the rows past the limit;
	// next is the offset of the first not yet sent and heldRows how many
	// remain.
	held     []byte
	next     int
	heldRows int
	// maxHeld bounds len(held).
	maxHeld int
	// tag is the command tag the statement completed with.
	tag string
}

// portalState is where a portal's execution stands.
type portalState uint8

const (
	// portalReady: bound, not executed. Execute runs the statement.
	portalReady portalState = iota
	// portalSuspended: an Execute stopped at its row limit (PortalSuspended
	// was sent), with the rows past it held. Execute sends held rows.
	portalSuspended
	// portalDone: ran to completion, or failed. Execute sends nothing but
	// the command tag, with 0 rows, for a statement with rows, as
	// PostgreSQL does for an exhausted cursor, and refuses to rerun a
	// statement without (55000).
	portalDone
)

// row handles one row of the statement during the first Execute: sent when
// within the Execute's limit, held otherwise.
func (p *portal) row(out *messageWriter, row []types.Datum) error {
	if p.limit == 0 || p.sent < p.limit {
		p.sent++
		return out.sendDataRow(p.types, p.formats, row)
	}
	held, err := appendDataRow(p.held, p.types, p.formats, row)
	if err != nil {
		return err
	}
	if len(held) > p.maxHeld {
		return withDetail(types.Errorf(types.CodeProgramLimitExceeded,
			"rows held for portal %q exceed %d bytes", p.name, p.maxHeld),
			"The client fetches the result in parts (an Execute row limit); fetch it whole or raise the server's MaxPortalBytes.")
	}
	p.held = held
	p.heldRows++
	return nil
}

// complete ends the first Execute: PortalSuspended if it sent as many rows
// as its limit (even when no more follow: PostgreSQL cannot know that
// either), CommandComplete otherwise.
func (p *portal) complete(out *messageWriter, tag string) error {
	p.tag = tag
	if p.limit > 0 && p.sent == p.limit {
		p.state = portalSuspended
		return out.send(&pgproto3.PortalSuspended{})
	}
	p.state = portalDone
	return out.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

// resume is a later Execute of a suspended portal, with row limit limit (0:
// none): it sends held rows, then PortalSuspended or the command tag with
// the number of rows this Execute sent, as PostgreSQL reports a FETCH.
func (p *portal) resume(out *messageWriter, limit int) error {
	n := p.heldRows
	if limit > 0 {
		n = min(n, limit)
	}
	end := p.next
	for range n {
		end += 1 + int(binary.BigEndian.Uint32(p.held[end+1:]))
	}
	if err := out.sendRaw(p.held[p.next:end]); err != nil {
		return err
	}
	p.next = end
	p.heldRows -= n
	if limit > 0 && n == limit {
		return out.send(&pgproto3.PortalSuspended{})
	}
	p.state = portalDone
	p.held, p.next = nil, 0
	return out.send(&pgproto3.CommandComplete{CommandTag: []byte(retag(p.tag, n))})
}

// retag replaces the row count that ends a command tag ("SELECT 5",
// "INSERT 0 5") with n; a tag without one is returned as it is.
func retag(tag string, n int) string {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return tag
	}
	if _, err := strconv.ParseUint(tag[i+1:], 10, 64); err != nil {
		return tag
	}
	return tag[:i+1] + strconv.Itoa(n)
}
