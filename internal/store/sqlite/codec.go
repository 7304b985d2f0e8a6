package sqlite

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// The sealed parts of a row are encoded in a small binary format of this package before
// sealing: a format version byte, then the fields in order. A string is its length (uvarint)
// and bytes; a float64 its IEEE 754 bits, little endian, so NaN and infinities survive; a
// slice or map is its length plus one (uvarint; 0 stands for nil, so nil and empty survive),
// then its elements; a map's keys are written sorted, so one value has one encoding.
//
// It replaced encoding/gob, which cost a sixth of the CPU of a saved decision and wrote its
// type descriptions into every row.
//
// Version 2 of a decision's explanation refers to its feature names by the row of
// feature_sets that lists them (uvarint, 0 for none) instead of spelling them out: they are
// the same for every decision a model makes and were half of each sealed explanation.
// Rows written in version 1 still decode.
const (
	codecVersion            byte = 1 // of a transaction's sensitive part
	explanationCodecVersion byte = 2
)

// errCodec means a sealed part did not decode: the database holds something this binary
// did not write.
var errCodec = errors.New("sqlite store: undecodable sealed value")

// sensitive is the part of a transaction sealed at rest.
type sensitive struct {
	Card, DeviceID, IP string
	Attributes         map[string]string
}

// explanation is the part of a decision sealed at rest. Version 2 records FeatureSet (the
// feature_sets row naming the features, 0 when there are none) and leaves the names to the
// store; version 1 rows decode with FeatureNames filled in and FeatureSet 0.
type explanation struct {
	Reasons      []fraud.Reason
	RuleHits     []fraud.RuleHit
	FeatureSet   int64
	FeatureNames []string
	Features     []float64
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// appendLen writes the length of a slice or map, 0 for nil.
func appendLen(b []byte, isNil bool, n int) []byte {
	if isNil {
		return binary.AppendUvarint(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

func (s *sensitive) marshal() []byte {
	b := make([]byte, 0, 64)
	b = append(b, codecVersion)
	b = appendString(b, s.Card)
	b = appendString(b, s.DeviceID)
	b = appendString(b, s.IP)
	b = appendLen(b, s.Attributes == nil, len(s.Attributes))
	keys := make([]string, 0, len(s.Attributes))
	for k := range s.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, s.Attributes[k])
	}
	return b
}

// marshal encodes e in version 2: FeatureNames are not written, FeatureSet stands for them.
func (e *explanation) marshal() []byte {
	b := make([]byte, 0, 256)
	b = append(b, explanationCodecVersion)
	b = appendLen(b, e.Reasons == nil, len(e.Reasons))
	for _, r := range e.Reasons {
		b = appendString(b, r.Feature)
		b = appendFloat(b, r.Value)
		b = appendFloat(b, r.Contribution)
		b = appendString(b, r.Text)
	}
	b = appendLen(b, e.RuleHits == nil, len(e.RuleHits))
	for _, h := range e.RuleHits {
		b = appendString(b, h.Rule)
		b = appendString(b, h.Action)
		b = appendString(b, h.Reason)
	}
	b = binary.AppendUvarint(b, uint64(e.FeatureSet))
	b = appendLen(b, e.Features == nil, len(e.Features))
	for _, f := range e.Features {
		b = appendFloat(b, f)
	}
	return b
}

// reader decodes the format; its first error sticks and every later read returns zero.
type reader struct {
	b       []byte
	version byte
	err     error
}

// newReader starts decoding b, whose version byte must be one of versions.
func newReader(b []byte, versions ...byte) *reader {
	if len(b) == 0 || !slices.Contains(versions, b[0]) {
		return &reader{err: errCodec}
	}
	return &reader{b: b[1:], version: b[0]}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCodec
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errCodec
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) float() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errCodec
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

// length reads a slice or map length: -1 for nil. Each element takes at least minSize
// bytes, so a length the remaining bytes cannot hold is an error, not a huge allocation.
func (r *reader) length(minSize int) int {
	v := r.uvarint()
	if r.err != nil {
		return -1
	}
	if v == 0 {
		return -1
	}
	if v-1 > uint64(len(r.b)/minSize) {
		r.err = errCodec
		return -1
	}
	return int(v - 1)
}

// done returns the reader's error, or an error if bytes are left over.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		return errCodec
	}
	return r.err
}

func (s *sensitive) unmarshal(b []byte) error {
	r := newReader(b, codecVersion)
	s.Card, s.DeviceID, s.IP = r.string(), r.string(), r.string()
	if n := r.length(2); n >= 0 {
		s.Attributes = make(map[string]string, n)
		for range n {
			k := r.string()
			s.Attributes[k] = r.string()
		}
	}
	return r.done()
}

func (e *explanation) unmarshal(b []byte) error {
	r := newReader(b, 1, explanationCodecVersion)
	if n := r.length(18); n >= 0 {
		e.Reasons = make([]fraud.Reason, n)
		for i := range e.Reasons {
			e.Reasons[i] = fraud.Reason{Feature: r.string(), Value: r.float(), Contribution: r.float(), Text: r.string()}
		}
	}
	if n := r.length(3); n >= 0 {
		e.RuleHits = make([]fraud.RuleHit, n)
		for i := range e.RuleHits {
			e.RuleHits[i] = fraud.RuleHit{Rule: r.string(), Action: r.string(), Reason: r.string()}
		}
	}
	if r.version == 1 {
		if n := r.length(1); n >= 0 {
			e.FeatureNames = make([]string, n)
			for i := range e.FeatureNames {
				e.FeatureNames[i] = r.string()
			}
		}
	} else {
		set := r.uvarint()
		if set > math.MaxInt64 {
			r.err = errCodec
		}
		e.FeatureSet = int64(set)
	}
	if n := r.length(8); n >= 0 {
		e.Features = make([]float64, n)
		for i := range e.Features {
			e.Features[i] = r.float()
		}
	}
	return r.done()
}
