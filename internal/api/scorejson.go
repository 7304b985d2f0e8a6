package api

import (
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends r as encoding/json would marshal it, byte for byte (TestScoreResultJSON
// and FuzzScoreResultJSON compare the two), without reflection: the answer to every scored
// transaction is encoded here, and json.Marshal was 5-7% of the server's processor time.
func (r *scoreResult) appendJSON(b []byte) []byte {
	b = append(b, `{"decision":`...)
	b = appendJSONString(b, string(r.Decision))
	b = append(b, `,"score":`...)
	b = appendJSONFloat(b, r.Score)
	b = append(b, `,"reasons":`...)
	if r.Reasons == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Reasons {
			if i > 0 {
				b = append(b, ',')
			}
			x := &r.Reasons[i]
			b = append(b, `{"feature":`...)
			b = appendJSONString(b, x.Feature)
			b = append(b, `,"value":`...)
			b = appendJSONFloat(b, x.Value)
			b = append(b, `,"contribution":`...)
			b = appendJSONFloat(b, x.Contribution)
			b = append(b, `,"text":`...)
			b = appendJSONString(b, x.Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"rule_hits":`...)
	if r.RuleHits == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.RuleHits {
			if i > 0 {
				b = append(b, ',')
			}
			x := &r.RuleHits[i]
			b = append(b, `{"rule":`...)
			b = appendJSONString(b, x.Rule)
			b = append(b, `,"action":`...)
			b = appendJSONString(b, x.Action)
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, x.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"model_version":`...)
	b = appendJSONString(b, r.ModelVersion)
	b = append(b, `,"rules_version":`...)
	b = appendJSONString(b, r.RulesVersion)
	b = append(b, `,"decision_id":`...)
	b = appendJSONString(b, r.DecisionID)
	b = append(b, `,"transaction_id":`...)
	b = appendJSONString(b, r.TransactionID)
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendInt(b, r.LatencyMicros, 10)
	b = append(b, `,"replayed":`...)
	b = strconv.AppendBool(b, r.Replayed)
	return append(b, '}')
}

// writeScoreResult writes r with status 200, as writeJSON would.
func writeScoreResult(w http.ResponseWriter, r *scoreResult) error {
	writeBody(w, http.StatusOK, r.appendJSON(make([]byte, 0, 1024)))
	return nil
}

// appendJSONFloat formats f as encoding/json does: the shortest representation, in
// exponent form below 1e-6 and from 1e21 on, with a two-digit exponent at least. f must be
// finite (newScoreResult makes sure of it).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0') // unreachable from newScoreResult; never invalid JSON
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on: control
// characters, quote and backslash escaped, <, > and & as \u003c, \u003e and \u0026, U+2028
// and U+2029 escaped, and invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
