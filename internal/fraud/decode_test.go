package fraud

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const goodJSON = `{"id": "tx-1", "timestamp": "2026-11-24T12:00:00Z", "amount": 42.50,
  "currency": "EUR", "customer_id": "c-17", "terminal_id": "t-4", "card": "tok_9f2c",
  "merchant_category": "5411", "channel": "ecommerce", "country": "FR", "device_id": "d-1",
  "ip": "203.0.113.7", "attributes": {}}`

func TestDecodeTransaction(t *testing.T) {
	tx, err := DecodeTransaction([]byte(goodJSON))
	if err != nil {
		t.Fatalf("DecodeTransaction: %v", err)
	}
	want := validTxn()
	want.Attributes = map[string]string{}
	if tx.ID != want.ID || !tx.Timestamp.Equal(want.Timestamp) || tx.Amount != want.Amount ||
		tx.Card != want.Card || tx.IP != want.IP || tx.Channel != want.Channel {
		t.Fatalf("got %+v, want %+v", tx, want)
	}
}

func TestDecodeTransactionErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		malformed bool
		want      string // the ValidationError message
	}{
		{"not json", `{"id": `, true, ""},
		{"array", `[1,2]`, true, ""},
		{"trailing", `{"id":"a"} {}`, true, ""},
		{"empty", ``, true, ""},
		{"unknown field", strings.Replace(goodJSON, `"attributes": {}`, `"color": "red"`, 1), false, "color: unknown field"},
		{"duplicate field", `{"id":"a","id":"b"}`, false, "id: duplicate field"},
		{"timestamp not RFC 3339", strings.Replace(goodJSON, "2026-11-24T12:00:00Z", "24/11/2026", 1), false,
			"timestamp: not RFC 3339 (e.g. 2026-11-24T12:00:00Z)"},
		{"amount as string", strings.Replace(goodJSON, "42.50", `"42.50"`, 1), false, "amount: must be a JSON number"},
		{"amount zero", strings.Replace(goodJSON, "42.50", `0`, 1), false, "amount: must be > 0"},
		{"type error beside a validation error", strings.Replace(strings.Replace(goodJSON, "42.50", `"1"`, 1), `"FR"`, `"fr"`, 1), false,
			"amount: must be a JSON number; country: must be an ISO 3166-1 alpha-2 code (2 upper-case letters)"},
		{"null required field", strings.Replace(goodJSON, `"tx-1"`, `null`, 1), false, "id: required"},
		{"amount overflow", strings.Replace(goodJSON, "42.50", `1e999`, 1), false, "amount: must be a finite number"},
		{"id as number", strings.Replace(goodJSON, `"tx-1"`, `7`, 1), false, "id: must be a string"},
		{"raw card", strings.Replace(goodJSON, "tok_9f2c", "4111111111111111", 1), false,
			"card: looks like a raw card number (Luhn-valid 13-19 digits); send a token"},
		{"attributes not strings", strings.Replace(goodJSON, `"attributes": {}`, `"attributes": {"a": 1}`, 1), false,
			"attributes: must be an object of string values"},
		{"type errors and missing fields together", `{"amount": "x", "bogus": 1}`, false,
			"bogus: unknown field; id: required; timestamp: required; amount: must be a JSON number; currency: required; customer_id: required; terminal_id: required"},
		{"unknown field with odd name is not echoed", `{"<script>": 1}`, false,
			"(unnamed field): unknown field; id: required; timestamp: required; amount: required; currency: required; customer_id: required; terminal_id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTransaction([]byte(tt.in))
			if err == nil {
				t.Fatal("want an error")
			}
			if tt.malformed {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v (%T), want *ValidationError", err, err)
			}
			if ve.Error() != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", ve.Error(), tt.want)
			}
		})
	}
}

func TestDecodeTransactionExtra(t *testing.T) {
	in := strings.Replace(goodJSON, `"attributes": {}`, `"fraud": true`, 1)
	_, extras, err := DecodeTransactionExtra([]byte(in), []string{"fraud"})
	if err != nil {
		t.Fatal(err)
	}
	if string(extras["fraud"]) != "true" {
		t.Fatalf("extras = %v", extras)
	}
}

// FuzzDecodeTransaction checks that no input makes the decoder panic, that every failure is
// either malformed or a validation error, and that what it accepts is valid and survives a
// round trip through encoding/json.
func FuzzDecodeTransaction(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/transactions/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := DecodeTransaction(data)
		if err != nil {
			var ve *ValidationError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &ve) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if ve != nil && len(ve.Fields) == 0 {
				t.Fatal("validation error without fields")
			}
			return
		}
		if err := tx.Validate(); err != nil {
			t.Fatalf("accepted an invalid transaction: %v", err)
		}
		if tx.Timestamp.IsZero() || tx.Timestamp.Year() < 1970 || tx.Timestamp.After(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("timestamp out of range: %v", tx.Timestamp)
		}
	})
}

// FuzzDecodeFastMatchesDetailed checks that the one-pass decoder never accepts what the
// detailed decoder refuses, and that what it accepts decodes to the same transaction.
func FuzzDecodeFastMatchesDetailed(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/transactions/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"ID":"x","timestamp":"2026-11-24T12:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t"}`))
	f.Add([]byte(`{"id":"x","id":"y","timestamp":"2026-11-24T12:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t"}`))
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-24T12:00:00Z","amount":"1","currency":"EUR","customer_id":"c","terminal_id":"t"}`))
	f.Add([]byte(`{"i\u0064":"x","timestamp":"2026-11-24T12:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t"}`))
	f.Add([]byte(`{"id":"t\u0031","timestamp":"2026-11-24T12:00:00Z","amount":1e2,"currency":"EUR","customer_id":"c","terminal_id":"t","attributes":{"k":"a","k":"b"}}`))
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-24T12:00:00Z","amount":-0.0e-0,"currency":"EUR","customer_id":"c\xff","terminal_id":"t"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeFast(data)
		slow, _, err := DecodeTransactionExtra(data, nil)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast path accepted what the detailed decoder refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast and detailed decoders differ:\n fast %+v\n slow %+v", fast, slow)
		}
	})
}

func TestDecodeFastTakesTheCommonPath(t *testing.T) {
	if _, ok := decodeFast([]byte(goodJSON)); !ok {
		t.Fatal("a valid transaction must take the fast path")
	}
	for _, in := range []string{
		strings.Replace(goodJSON, `"id"`, `"ID"`, 1),               // case variant: encoding/json would accept it
		strings.Replace(goodJSON, `"card"`, `"id"`, 1),             // duplicate
		strings.Replace(goodJSON, `"attributes": {}`, `"x": 1`, 1), // unknown
		strings.Replace(goodJSON, "42.50", `"42.50"`, 1),           // amount as a string
		strings.Replace(goodJSON, `"tx-1"`, `null`, 1),             // null
	} {
		if _, ok := decodeFast([]byte(in)); ok {
			t.Errorf("fast path accepted %s", in)
		}
		if _, err := DecodeTransaction([]byte(in)); err == nil {
			t.Errorf("DecodeTransaction accepted %s", in)
		}
	}
}

// The fast path leaves what it does not handle itself to the detailed decoder, which gives
// the same answer as before: escapes, invalid UTF-8 and every number JSON refuses.
func TestDecodeFastDeclinesTheUnusual(t *testing.T) {
	for _, tt := range []struct {
		in    string
		valid bool
	}{
		{strings.Replace(goodJSON, `"tx-1"`, `"tx-\u0031"`, 1), true},
		{strings.Replace(goodJSON, `"c-17"`, "\"c-\xff\"", 1), false}, // invalid UTF-8: not an id
		{strings.Replace(goodJSON, `"attributes": {}`, `"attributes": {"k": "a", "k": "b"}`, 1), true},
		{strings.Replace(goodJSON, "42.50", "42.", 1), false},
		{strings.Replace(goodJSON, "42.50", "042.5", 1), false},
		{strings.Replace(goodJSON, "42.50", "+42.5", 1), false},
		{strings.Replace(goodJSON, "42.50", "4e", 1), false},
		{strings.Replace(goodJSON, "42.50", "1e400", 1), false},
		{strings.Replace(goodJSON, "42.50", "0x2a", 1), false},
		{goodJSON + " x", false},
		{"{}", false},
	} {
		fast, ok := decodeFast([]byte(tt.in))
		slow, _, err := DecodeTransactionExtra([]byte(tt.in), nil)
		if (err == nil) != tt.valid {
			t.Errorf("detailed decoder on %s: err = %v, want valid %v", tt.in, err, tt.valid)
		}
		if ok && (err != nil || !reflect.DeepEqual(fast, slow)) {
			t.Errorf("fast path accepted %s as %+v; detailed: %+v, %v", tt.in, fast, slow, err)
		}
		if tt.valid {
			got, err := DecodeTransaction([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(got, slow) {
				t.Errorf("DecodeTransaction(%s) = %+v, %v; want %+v", tt.in, got, err, slow)
			}
		}
	}
	// The common case with a duplicate attribute key keeps the last value, as encoding/json does.
	tx, ok := decodeFast([]byte(strings.Replace(goodJSON, `"attributes": {}`, `"attributes": {"k": "a", "k": "b"}`, 1)))
	if !ok || tx.Attributes["k"] != "b" {
		t.Errorf("attributes with a repeated key: %v, %v", tx.Attributes, ok)
	}
}

func BenchmarkDecodeTransaction(b *testing.B) {
	data := []byte(goodJSON)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTransaction(data); err != nil {
			b.Fatal(err)
		}
	}
}
