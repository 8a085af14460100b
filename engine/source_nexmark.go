package engine

import (
	"fmt"
	"strings"

	"github.com/weir-db/weir/exec/nexmark"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// The nexmark connector lands exec/nexmark's events in three streams,
// person, auction and bid (../shared/nexmark/SPEC.md's snake_case columns),
// indexed by nexmark.Kind.

type nexmarkStream struct {
	name string
	kind nexmark.Kind
	cols []sql.Column
}

var nexmarkStreams = []nexmarkStream{
	{"person", nexmark.PersonEvent, cols(
		"id", types.TInt8, "name", types.TVarchar, "email_address", types.TVarchar, "credit_card", types.TVarchar,
		"city", types.TVarchar, "state", types.TVarchar, "date_time", types.TTimestamp, "extra", types.TVarchar)},
	{"auction", nexmark.AuctionEvent, cols(
		"id", types.TInt8, "item_name", types.TVarchar, "description", types.TVarchar, "initial_bid", types.TInt8,
		"reserve", types.TInt8, "date_time", types.TTimestamp, "expires", types.TTimestamp, "seller", types.TInt8,
		"category", types.TInt8, "extra", types.TVarchar)},
	{"bid", nexmark.BidEvent, cols(
		"auction", types.TInt8, "bidder", types.TInt8, "price", types.TInt8, "channel", types.TVarchar,
		"url", types.TVarchar, "date_time", types.TTimestamp, "extra", types.TVarchar)},
}

// appendNexmarkRow appends event ev encoded as a row of its stream
// (types.AppendRow's layout), field by field.
func appendNexmarkRow(buf []byte, ev *nexmark.Event) []byte {
	switch ev.Kind {
	case nexmark.PersonEvent:
		p := ev.Person
		buf = types.AppendRowInt(buf, p.ID)
		for _, s := range [...]string{p.Name, p.Email, p.CreditCard, p.City, p.State} {
			buf = types.AppendRowString(buf, s)
		}
		buf = types.AppendRowInt(buf, p.DateTime)
		return types.AppendRowString(buf, p.Extra)
	case nexmark.AuctionEvent:
		a := ev.Auction
		buf = types.AppendRowInt(buf, a.ID)
		buf = types.AppendRowString(buf, a.ItemName)
		buf = types.AppendRowString(buf, a.Description)
		for _, v := range [...]int64{a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category} {
			buf = types.AppendRowInt(buf, v)
		}
		return types.AppendRowString(buf, a.Extra)
	}
	b := ev.Bid
	for _, v := range [...]int64{b.Auction, b.Bidder, b.Price} {
		buf = types.AppendRowInt(buf, v)
	}
	buf = types.AppendRowString(buf, b.Channel)
	buf = types.AppendRowString(buf, b.URL)
	buf = types.AppendRowInt(buf, b.DateTime)
	return types.AppendRowString(buf, b.Extra)
}

// ensureNexmarkStreams reuses the spec's streams that exist with the
// nexmark columns (text or varchar alike) and one partition, and creates
// the missing ones with a watermark on date_time. The caller holds ddlMu.
func (e *Engine) ensureNexmarkStreams(spec *sourceSpec) error {
	for i, ns := range nexmarkStreams {
		name := spec.Streams[i]
		o, ok := e.cat.get(name)
		if !ok {
			continue
		}
		if o.Kind != sql.RelStream {
			return types.Errorf(types.CodeWrongObjectType, "\"%s\" is a %s, not a stream: the nexmark source needs its name for its %s stream", name, o.Kind, ns.name)
		}
		if err := sameColumns(name, o.columns(), ns.cols); err != nil {
			return err
		}
		if o.Partitions > 1 {
			return types.Errorf(types.CodeFeatureNotSupported, "stream \"%s\" has %d partitions: a nexmark source writes streams of one partition", name, o.Partitions)
		}
	}
	for i, ns := range nexmarkStreams {
		name := spec.Streams[i]
		if _, ok := e.cat.get(name); ok {
			continue
		}
		wc := -1
		for j, c := range ns.cols {
			if c.Name == "date_time" {
				wc = j
			}
		}
		o := &object{Name: name, Kind: sql.RelStream, Columns: columnsToJSON(ns.cols), WatermarkCol: wc,
			WatermarkDelay: spec.WatermarkDelayMs * 1000, Partitions: 1, KeyCol: -1, Topic: name}
		if err := e.createWithTopic(o, wlog.TopicConfig{Partitions: 1}); err != nil {
			return fmt.Errorf("creating stream %s: %w", name, err)
		}
	}
	return nil
}

// sameColumns checks that an existing stream has the columns a source
// writes.
func sameColumns(name string, have, want []sql.Column) error {
	var visible []sql.Column
	for _, c := range have {
		if !c.Hidden {
			visible = append(visible, c)
		}
	}
	textual := func(f types.Family) bool { return f == types.Text || f == types.Varchar }
	ok := len(visible) == len(want)
	for i := 0; ok && i < len(want); i++ {
		h, w := visible[i], want[i]
		ok = h.Name == w.Name && (h.Type.Family == w.Type.Family || textual(h.Type.Family) && textual(w.Type.Family) && h.Type.Width == 0)
	}
	if ok {
		return nil
	}
	var cs []string
	for _, c := range want {
		cs = append(cs, c.Name+" "+c.Type.String())
	}
	err := types.Errorf(types.CodeDatatypeMismatch, "stream \"%s\" exists with other columns than the nexmark source writes", name)
	err.Detail = "The source writes (" + strings.Join(cs, ", ") + ")."
	err.Hint = "Drop the stream, or give the source other stream names with the prefix option."
	return err
}
