package featuretest

import (
	"io"

	"github.com/vigil-fraud/vigil/internal/history"
)

// Reader serves records from memory in order, as a history file would; it satisfies
// feature.RecordReader. Read returns io.EOF after the last record.
type Reader struct {
	recs []history.Record
	i    int
}

// NewReader returns a Reader over recs, which it does not copy.
func NewReader(recs []history.Record) *Reader { return &Reader{recs: recs} }

// Read copies the next record into rec.
func (r *Reader) Read(rec *history.Record) error {
	if r.i >= len(r.recs) {
		return io.EOF
	}
	*rec = r.recs[r.i]
	r.i++
	return nil
}
