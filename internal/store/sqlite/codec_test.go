package sqlite

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func TestCodecRoundTrip(t *testing.T) {
	sens := []sensitive{
		{},
		{Attributes: map[string]string{}},
		{Card: "p1_c", DeviceID: "p1_d", IP: "p1_i", Attributes: map[string]string{"b": "2", "a": "", "": "empty key"}},
	}
	for i, s := range sens {
		var got sensitive
		if err := got.unmarshal(s.marshal()); err != nil {
			t.Fatalf("sensitive %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("sensitive %d: got %+v, want %+v", i, got, s)
		}
	}
	// One value, one encoding, whatever the map's iteration order.
	if a, b := sens[2].marshal(), sens[2].marshal(); !bytes.Equal(a, b) {
		t.Error("two encodings of one value differ")
	}
	expls := []explanation{
		{},
		{Reasons: []fraud.Reason{}, RuleHits: []fraud.RuleHit{}, FeatureSet: 1, Features: []float64{}},
		{
			Reasons:    []fraud.Reason{{Feature: "f", Value: math.Inf(-1), Contribution: -0.5, Text: "ü"}},
			RuleHits:   []fraud.RuleHit{{Rule: "r", Action: "decline", Reason: ""}, {}},
			FeatureSet: math.MaxInt64,
			Features:   []float64{1, math.NaN(), math.Inf(1), math.Copysign(0, -1)},
		},
	}
	for i, e := range expls {
		var got explanation
		if err := got.unmarshal(e.marshal()); err != nil {
			t.Fatalf("explanation %d: %v", i, err)
		}
		// Compare re-encodings: byte equality also holds for NaN and keeps nil apart from empty.
		if !bytes.Equal(got.marshal(), e.marshal()) || (got.Features == nil) != (e.Features == nil) ||
			(got.Reasons == nil) != (e.Reasons == nil) || got.FeatureSet != e.FeatureSet {
			t.Errorf("explanation %d: got %+v, want %+v", i, got, e)
		}
	}
}

// marshalV1 encodes e as explanations were written before version 2, names spelled out.
func marshalV1(e *explanation) []byte {
	b := []byte{1}
	b = appendLen(b, e.Reasons == nil, len(e.Reasons))
	for _, r := range e.Reasons {
		b = appendFloat(appendFloat(appendString(b, r.Feature), r.Value), r.Contribution)
		b = appendString(b, r.Text)
	}
	b = appendLen(b, e.RuleHits == nil, len(e.RuleHits))
	for _, h := range e.RuleHits {
		b = appendString(appendString(appendString(b, h.Rule), h.Action), h.Reason)
	}
	b = appendLen(b, e.FeatureNames == nil, len(e.FeatureNames))
	for _, n := range e.FeatureNames {
		b = appendString(b, n)
	}
	b = appendLen(b, e.Features == nil, len(e.Features))
	for _, f := range e.Features {
		b = appendFloat(b, f)
	}
	return b
}

// Explanations written in version 1 decode, names included; version 2 writes none.
func TestCodecReadsVersion1(t *testing.T) {
	for i, e := range []explanation{
		{},
		{FeatureNames: []string{}, Features: []float64{}},
		{
			Reasons:      []fraud.Reason{{Feature: "amount", Value: 420, Contribution: 1.5, Text: "amount 420.00"}},
			RuleHits:     []fraud.RuleHit{{Rule: "big", Action: "review", Reason: "large"}},
			FeatureNames: []string{"amount", "customer_count_1d"},
			Features:     []float64{420, 3},
		},
	} {
		var got explanation
		if err := got.unmarshal(marshalV1(&e)); err != nil {
			t.Fatalf("version 1 explanation %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("version 1 explanation %d: got %+v, want %+v", i, got, e)
		}
	}
	named := explanation{FeatureSet: 3, FeatureNames: []string{"amount_spelled_out"}}
	if b := named.marshal(); bytes.Contains(b, []byte("amount_spelled_out")) || b[0] != explanationCodecVersion {
		t.Errorf("version 2 encoding %x spells out the names or has the wrong version", b)
	}
}

func TestCodecRefusesDamage(t *testing.T) {
	full := (&explanation{Reasons: []fraud.Reason{{Feature: "f", Text: "t"}}, Features: []float64{1, 2}}).marshal()
	for n := range full {
		var e explanation
		if err := e.unmarshal(full[:n]); err == nil {
			t.Errorf("truncated to %d bytes: decoded", n)
		}
	}
	var e explanation
	if err := e.unmarshal(append(bytes.Clone(full), 0)); err == nil {
		t.Error("trailing byte: decoded")
	}
	huge := []byte{explanationCodecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if err := e.unmarshal(huge); err == nil {
		t.Error("huge count: decoded")
	}
	// A feature set number beyond int64.
	beyond := append([]byte{explanationCodecVersion, 0, 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0)
	if err := e.unmarshal(beyond); err == nil {
		t.Errorf("feature set beyond int64: decoded as %d", e.FeatureSet)
	}
	if err := e.unmarshal([]byte{3, 0, 0, 0, 0}); err == nil {
		t.Error("unknown version 3: decoded")
	}
}

// FuzzUnmarshal checks the decoders never panic nor allocate beyond their input, and that
// what decodes re-encodes to bytes that decode to the same value. (Not to the input bytes:
// a uvarint may be written with redundant bytes, testdata/fuzz holds such an input.)
func FuzzUnmarshal(f *testing.F) {
	f.Add((&explanation{Reasons: []fraud.Reason{{Feature: "f"}}, Features: []float64{math.NaN()}}).marshal())
	f.Add((&sensitive{Card: "c", Attributes: map[string]string{"k": "v"}}).marshal())
	f.Add([]byte{codecVersion, 0, 0, 0, 0})
	f.Add(marshalV1(&explanation{FeatureNames: []string{"a"}, Features: []float64{1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e explanation
		if e.unmarshal(b) == nil {
			var again explanation
			if err := again.unmarshal(e.marshal()); err != nil || !bytes.Equal(again.marshal(), e.marshal()) {
				t.Errorf("explanation does not round trip: %x", b)
			}
		}
		var s sensitive
		if s.unmarshal(b) == nil {
			var again sensitive
			if err := again.unmarshal(s.marshal()); err != nil || !reflect.DeepEqual(again, s) {
				t.Errorf("sensitive does not round trip: %x", b)
			}
		}
	})
}
