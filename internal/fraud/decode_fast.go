package fraud

import (
	"encoding/json"
	"time"
)

// wireTransaction is the shape the fast path decodes into. Every field is typed as the API
// requires, so any type mismatch makes encoding/json fail and the detailed path take over.
type wireTransaction struct {
	ID               string            `json:"id"`
	Timestamp        string            `json:"timestamp"`
	Amount           float64           `json:"amount"`
	Currency         string            `json:"currency"`
	CustomerID       string            `json:"customer_id"`
	TerminalID       string            `json:"terminal_id"`
	Card             string            `json:"card"`
	MerchantCategory string            `json:"merchant_category"`
	Channel          string            `json:"channel"`
	Country          string            `json:"country"`
	DeviceID         string            `json:"device_id"`
	IP               string            `json:"ip"`
	Attributes       map[string]string `json:"attributes"`
}

// decodeFast decodes a well-formed, valid transaction in one pass. It reports false when
// anything is off (syntax, a type, an unknown, duplicate or differently cased key, a bad
// timestamp, a validation error): the caller then runs the detailed decoder, which names
// every problem. For input it accepts, the result equals the detailed decoder's (fuzzed:
// FuzzDecodeFastMatchesDetailed).
func decodeFast(data []byte) (Transaction, bool) {
	if !topLevelKeysExact(data) {
		return Transaction{}, false
	}
	var w wireTransaction
	if err := json.Unmarshal(data, &w); err != nil {
		return Transaction{}, false
	}
	t := Transaction{
		ID: w.ID, Amount: w.Amount, Currency: w.Currency, CustomerID: w.CustomerID,
		TerminalID: w.TerminalID, Card: w.Card, MerchantCategory: w.MerchantCategory,
		Channel: w.Channel, Country: w.Country, DeviceID: w.DeviceID, IP: w.IP, Attributes: w.Attributes,
	}
	if w.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, w.Timestamp)
		if err != nil {
			return Transaction{}, false
		}
		t.Timestamp = ts
	}
	if t.Amount == 0 {
		t.Amount = 0 // keep -0 out, as the detailed path does
	}
	if t.Validate() != nil {
		return Transaction{}, false
	}
	return t, true
}

// topLevelKeysExact reports whether data is one JSON object whose keys are all transaction
// fields, spelled exactly (encoding/json would match "ID" to id), each at most once, and
// whose values are not null (the detailed path treats null as absent, encoding/json as
// "leave as is": the same result, but keep one definition). It scans bytes without
// allocating and gives up (false) on anything unusual; the detailed decoder decides then.
func topLevelKeysExact(data []byte) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	var seen uint32
	depth := 0
	expectKey := false
	for ; i < len(data); i++ {
		c := data[i]
		switch c {
		case '{', '[':
			depth++
			expectKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
			expectKey = false
		case ',':
			expectKey = depth == 1
		case '"':
			end := i + 1
			for end < len(data) && data[end] != '"' {
				if data[end] == '\\' {
					if depth == 1 && expectKey {
						return false // escaped characters in a key: let the detailed path judge
					}
					end++
				}
				end++
			}
			if end >= len(data) {
				return false
			}
			if depth == 1 && expectKey {
				bit := fieldBit(data[i+1 : end])
				if bit == 0 || seen&bit != 0 {
					return false
				}
				seen |= bit
				expectKey = false
				j := skipSpace(data, end+1)
				if j < len(data) && data[j] == ':' {
					j = skipSpace(data, j+1)
					if j+4 <= len(data) && string(data[j:j+4]) == "null" {
						return false
					}
				}
			}
			i = end
		}
	}
	return depth == 0
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// fieldBit returns the bit of a transaction field name, 0 for anything else.
func fieldBit(name []byte) uint32 {
	for k, f := range transactionFields {
		if string(name) == f {
			return 1 << k
		}
	}
	return 0
}
