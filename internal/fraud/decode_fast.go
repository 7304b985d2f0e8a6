package fraud

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeFast decodes a well-formed, valid transaction in one pass over its bytes, without
// reflection. It reports false when anything is off or merely unusual (syntax, a type, an
// unknown, duplicate or differently cased key, a null, an escaped character or invalid
// UTF-8 in a string, a number out of range, a bad timestamp, a validation error): the caller
// then runs the detailed decoder, which decides and names every problem. For input it
// accepts, the result equals the detailed decoder's (fuzzed: FuzzDecodeFastMatchesDetailed).
// It replaced a key scan followed by encoding/json, which was a fifth of an in-process
// decision.
func decodeFast(data []byte) (Transaction, bool) {
	var (
		t    Transaction
		ts   string
		seen uint32
		ok   bool
	)
	// Where each string field goes, in transactionFields' order; amount and attributes
	// (nil here) have their own readers.
	strs := [len(transactionFields)]*string{&t.ID, &ts, nil, &t.Currency, &t.CustomerID, &t.TerminalID,
		&t.Card, &t.MerchantCategory, &t.Channel, &t.Country, &t.DeviceID, &t.IP, nil}
	p := fastParser{b: data}
	if !p.byte('{') {
		return Transaction{}, false
	}
	for {
		key, kok := p.plainString()
		if !kok || !p.byte(':') {
			return Transaction{}, false
		}
		k := fieldIndex(key)
		if k < 0 || seen&(1<<k) != 0 {
			return Transaction{}, false
		}
		seen |= 1 << k
		switch transactionFields[k] {
		case "amount":
			t.Amount, ok = p.number()
		case "attributes":
			t.Attributes, ok = p.attributes()
		default:
			*strs[k], ok = p.str()
		}
		if !ok {
			return Transaction{}, false
		}
		if p.byte(',') {
			continue
		}
		if !p.byte('}') {
			return Transaction{}, false
		}
		break
	}
	if p.skip(); p.i != len(p.b) {
		return Transaction{}, false // trailing data
	}
	if ts != "" {
		parsed, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return Transaction{}, false
		}
		t.Timestamp = parsed
	}
	if t.Amount == 0 {
		t.Amount = 0 // keep -0 out, as the detailed path does
	}
	if t.Validate() != nil {
		return Transaction{}, false
	}
	return t, true
}

// fastParser reads the subset of JSON decodeFast accepts; every method reports false on
// anything outside it.
type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) skip() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c after optional white space.
func (p *fastParser) byte(c byte) bool {
	p.skip()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters whose bytes are valid
// UTF-8, so that its bytes are its value, and returns them (aliasing the input).
func (p *fastParser) plainString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

func (p *fastParser) str() (string, bool) {
	s, ok := p.plainString()
	return string(s), ok
}

// number reads a JSON number (RFC 8259 grammar, checked here: strconv alone would also take
// "+1", "0x10", "1_0", "Inf" or ".5") into a float64, as encoding/json does.
func (p *fastParser) number() (float64, bool) {
	p.skip()
	start, b := p.i, p.b
	i := p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return 0, false // out of range: encoding/json refuses it too; let the detailed path say so
	}
	p.i = i
	return f, true
}

// attributes reads an object of plain strings. Like encoding/json, a repeated key keeps its
// last value and {} gives an empty, non-nil map.
func (p *fastParser) attributes() (map[string]string, bool) {
	if !p.byte('{') {
		return nil, false
	}
	m := map[string]string{}
	if p.byte('}') {
		return m, true
	}
	for {
		k, ok := p.plainString()
		if !ok || !p.byte(':') {
			return nil, false
		}
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		m[string(k)] = v
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			return m, true
		}
		return nil, false
	}
}

// fieldIndex returns the place of a transaction field name in transactionFields, -1 for
// anything else.
func fieldIndex(name []byte) int {
	for k, f := range transactionFields {
		if string(name) == f {
			return k
		}
	}
	return -1
}
