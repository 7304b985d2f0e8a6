package fraud

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrMalformed means the input is not the JSON object expected (syntax error, wrong
// top-level type, trailing data). It differs from ErrInvalid: the input could not be read
// at all, so no field can be named.
var ErrMalformed = errors.New("malformed input")

// transactionFields lists the JSON fields of a Transaction in document order; errors are
// reported in this order so that messages are stable.
var transactionFields = [...]string{
	"id", "timestamp", "amount", "currency", "customer_id", "terminal_id", "card",
	"merchant_category", "channel", "country", "device_id", "ip", "attributes",
}

// DecodeTransaction reads one transaction from a JSON object, strictly: unknown and
// duplicate fields are refused, every field must have its JSON type, timestamps must be
// RFC 3339, amounts JSON numbers. It then validates the result.
//
// It returns an error wrapping ErrMalformed when data is not one JSON object, or a
// *ValidationError naming every bad field. It never panics, whatever data holds.
func DecodeTransaction(data []byte) (Transaction, error) {
	if t, ok := decodeFast(data); ok {
		return t, nil
	}
	t, _, err := DecodeTransactionExtra(data, nil)
	return t, err
}

// DecodeTransactionExtra is DecodeTransaction that also accepts the fields named in extra
// (for example a history file's "fraud" label) and returns their raw JSON values, which
// the caller must check. Other unknown fields are still refused.
func DecodeTransactionExtra(data []byte, extra []string) (Transaction, map[string]json.RawMessage, error) {
	var t Transaction
	raw, err := objectFields(data)
	if err != nil {
		return t, nil, err
	}
	var unknown, bad ValidationError
	var extras map[string]json.RawMessage
	for key, val := range raw {
		switch {
		case isTransactionField(key):
		case slices.Contains(extra, key):
			if extras == nil {
				extras = make(map[string]json.RawMessage, len(extra))
			}
			extras[key] = val
		default:
			unknown.add(safePath(key), "unknown field")
		}
	}
	sort.Slice(unknown.Fields, func(i, j int) bool { return unknown.Fields[i].Path < unknown.Fields[j].Path })
	for _, name := range transactionFields {
		if val, ok := raw[name]; ok && !isNull(val) {
			decodeField(&bad, &t, name, val)
		}
	}
	// One round trip names every problem: type errors first per field, then what validation
	// finds in the fields that decoded, with absent required fields called "required".
	var checked *ValidationError
	if err := t.Validate(); err != nil {
		checked = err.(*ValidationError)
	}
	out := unknown
	for _, name := range transactionFields {
		if bad.has(name) {
			for _, f := range bad.Fields {
				if f.Path == name {
					out.add(f.Path, f.Reason)
				}
			}
			continue
		}
		if checked == nil {
			continue
		}
		for _, f := range checked.Fields {
			if f.Path != name && !strings.HasPrefix(f.Path, name+".") {
				continue
			}
			if val, ok := raw[name]; (!ok || isNull(val)) && isRequired(name) {
				f.Reason = reasonRequired
			}
			out.add(f.Path, f.Reason)
		}
	}
	return t, extras, out.orNil()
}

func isRequired(field string) bool {
	switch field {
	case "id", "timestamp", "amount", "currency", "customer_id", "terminal_id":
		return true
	}
	return false
}

func (e *ValidationError) has(path string) bool {
	for _, f := range e.Fields {
		if f.Path == path {
			return true
		}
	}
	return false
}

func decodeField(v *ValidationError, t *Transaction, name string, val json.RawMessage) {
	str := func(dst *string) {
		if err := json.Unmarshal(val, dst); err != nil {
			v.add(name, "must be a string")
		}
	}
	switch name {
	case "id":
		str(&t.ID)
	case "timestamp":
		var s string
		if err := json.Unmarshal(val, &s); err != nil {
			v.add(name, "not RFC 3339 (must be a string like 2026-11-24T12:00:00Z)")
			return
		}
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.add(name, "not RFC 3339 (e.g. 2026-11-24T12:00:00Z)")
			return
		}
		t.Timestamp = ts
	case "amount":
		if len(val) == 0 || !(val[0] == '-' || val[0] >= '0' && val[0] <= '9') {
			v.add(name, "must be a JSON number")
			return
		}
		f, err := strconv.ParseFloat(string(val), 64)
		if err != nil {
			v.add(name, "must be a finite number")
			return
		}
		t.Amount = f
		if t.Amount == 0 {
			t.Amount = 0 // keep -0 out of storage
		}
	case "currency":
		str(&t.Currency)
	case "customer_id":
		str(&t.CustomerID)
	case "terminal_id":
		str(&t.TerminalID)
	case "card":
		str(&t.Card)
	case "merchant_category":
		str(&t.MerchantCategory)
	case "channel":
		str(&t.Channel)
	case "country":
		str(&t.Country)
	case "device_id":
		str(&t.DeviceID)
	case "ip":
		str(&t.IP)
	case "attributes":
		var m map[string]string
		if err := json.Unmarshal(val, &m); err != nil {
			v.add(name, "must be an object of string values")
			return
		}
		t.Attributes = m
	}
}

// objectFields splits one JSON object into its fields, refusing duplicates and trailing data.
func objectFields(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, syntaxMessage(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: expected a JSON object", ErrMalformed)
	}
	fields := make(map[string]json.RawMessage, 16)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrMalformed, syntaxMessage(err))
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrMalformed, syntaxMessage(err))
		}
		if _, dup := fields[key]; dup {
			return nil, &ValidationError{Fields: []FieldError{{Path: safePath(key), Reason: "duplicate field"}}}
		}
		fields[key] = val
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("%w: %s", ErrMalformed, syntaxMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrMalformed)
	}
	return fields, nil
}

// syntaxMessage describes a decoding error without echoing the input.
func syntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON"
	}
	return "invalid JSON"
}

func isTransactionField(key string) bool {
	for _, f := range transactionFields {
		if f == key {
			return true
		}
	}
	return false
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// safePath returns key for use in an error path if it is a plain short name, otherwise a
// placeholder, so that error messages never echo arbitrary client bytes.
func safePath(key string) string {
	if ContainsCardNumber(key) {
		return "(unnamed field)"
	}
	if isAttributeKey(key) || (len(key) <= MaxAttributeKey && isIdentifier(key)) {
		return key
	}
	return "(unnamed field)"
}
