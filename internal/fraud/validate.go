package fraud

import (
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Limits enforced by Validate. They bound memory and storage per transaction.
const (
	MaxIDLength        = 128
	MaxAttributes      = 32
	MaxAttributeKey    = 64
	MaxAttributeValue  = 256
	MaxAmount          = 1e9
	cardDigitsMin      = 13
	cardDigitsMax      = 19
	reasonRawCard      = "looks like a raw card number (Luhn-valid 13-19 digits); send a token"
	reasonRequired     = "required"
	reasonIdentifier   = "must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + = -"
	reasonAttributeKey = "keys must be 1-64 characters of a-z 0-9 _ . -"
)

// panChecked lists the identifier fields where a raw card number has been seen misused
// (a PAN as customer id or device id). Transaction and terminal ids are not checked:
// acquirers' merchant ids are often 15 numeric digits and would be refused by mistake.
var panChecked = map[string]bool{"customer_id": true, "card": true, "device_id": true}

var validChannels = map[string]bool{
	ChannelPOS: true, ChannelEcommerce: true, ChannelATM: true, ChannelMOTO: true, ChannelWallet: true,
}

// Validate checks every field of t and returns a *ValidationError listing each bad one by its
// JSON path, or nil. It never includes the rejected values in the error.
func (t *Transaction) Validate() error {
	var v ValidationError
	checkID(&v, "id", t.ID, true)
	if t.Timestamp.IsZero() {
		v.add("timestamp", reasonRequired)
	} else if y := t.Timestamp.UTC().Year(); y < 1970 || y > 9999 {
		v.add("timestamp", "must be between 1970 and 9999")
	}
	switch {
	case math.IsNaN(t.Amount) || math.IsInf(t.Amount, 0):
		v.add("amount", "must be a finite number")
	case t.Amount <= 0:
		v.add("amount", "must be > 0")
	case t.Amount > MaxAmount:
		v.add("amount", "must be <= 1e9")
	}
	if t.Currency == "" {
		v.add("currency", reasonRequired)
	} else if !isUpperAlpha(t.Currency, 3) {
		v.add("currency", "must be an ISO 4217 code (3 upper-case letters)")
	}
	checkID(&v, "customer_id", t.CustomerID, true)
	checkID(&v, "terminal_id", t.TerminalID, true)
	if t.Card != "" {
		if len(t.Card) <= MaxIDLength && ContainsCardNumber(t.Card) {
			v.add("card", reasonRawCard)
		} else {
			checkID(&v, "card", t.Card, false)
		}
	}
	if t.MerchantCategory != "" && !isDigits(t.MerchantCategory, 4) {
		v.add("merchant_category", "must be a 4-digit merchant category code")
	}
	if t.Channel != "" && !validChannels[t.Channel] {
		v.add("channel", "must be one of pos, ecommerce, atm, moto, wallet")
	}
	if t.Country != "" && !isUpperAlpha(t.Country, 2) {
		v.add("country", "must be an ISO 3166-1 alpha-2 code (2 upper-case letters)")
	}
	checkID(&v, "device_id", t.DeviceID, false)
	if t.IP != "" {
		if _, err := netip.ParseAddr(t.IP); err != nil {
			v.add("ip", "must be an IPv4 or IPv6 address")
		}
	}
	checkAttributes(&v, t.Attributes)
	return v.orNil()
}

func checkID(v *ValidationError, path, s string, required bool) {
	if s == "" {
		if required {
			v.add(path, reasonRequired)
		}
		return
	}
	if !isIdentifier(s) {
		v.add(path, reasonIdentifier)
		return
	}
	if panChecked[path] && ContainsCardNumber(s) {
		v.add(path, reasonRawCard)
	}
}

func checkAttributes(v *ValidationError, attrs map[string]string) {
	if len(attrs) > MaxAttributes {
		v.add("attributes", "at most "+strconv.Itoa(MaxAttributes)+" entries")
		return
	}
	if len(attrs) == 0 {
		return
	}
	// In key order, so that one input gives one error message.
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		val := attrs[k]
		if !isAttributeKey(k) {
			v.add("attributes", reasonAttributeKey)
			continue
		}
		if ContainsCardNumber(k) {
			v.add("attributes", reasonRawCard) // the key is not echoed in the path
			continue
		}
		p := "attributes." + k
		switch {
		case len(val) > MaxAttributeValue:
			v.add(p, "must be at most "+strconv.Itoa(MaxAttributeValue)+" bytes")
		case !utf8.ValidString(val):
			v.add(p, "must be valid UTF-8")
		case ContainsCardNumber(val):
			v.add(p, reasonRawCard)
		}
	}
}

// isIdentifier reports whether s is 1-128 bytes of a conservative identifier alphabet.
func isIdentifier(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '@', c == '/', c == '+', c == '=', c == '-':
		default:
			return false
		}
	}
	return true
}

// IsIdentifier reports whether s is a valid identifier (ids, customers, terminals, tokens).
func IsIdentifier(s string) bool { return isIdentifier(s) }

func isAttributeKey(s string) bool {
	if len(s) == 0 || len(s) > MaxAttributeKey {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func isUpperAlpha(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ReasonCardInText is why a free-text field (a label's source, a case's note or assignee, a
// key's name) that holds something looking like a card number is refused: that text is
// stored, listed, answered back and copied into the audit log, which is never erased.
const ReasonCardInText = "looks like a raw card number (Luhn-valid 13-19 digits); free text must not carry one"

// ContainsCardNumber reports whether s holds something that looks like a primary account
// number: a run of 13 to 19 digits, optionally separated by single spaces or dashes, that
// passes the Luhn check, so "tok_4111111111111111" is caught. Longer digit runs are not
// card numbers (acquirer reference numbers have 23 digits) and are not refused. It runs in
// linear time and does not allocate.
func ContainsCardNumber(s string) bool {
	var digits [cardDigitsMax]byte
	n := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			if c >= '0' && c <= '9' {
				if n < cardDigitsMax {
					digits[n] = c - '0'
				}
				n++
				continue
			}
			if (c == ' ' || c == '-') && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' &&
				s[i-1] >= '0' && s[i-1] <= '9' {
				continue // a single separator inside a run
			}
		}
		if n >= cardDigitsMin && n <= cardDigitsMax && luhnValid(digits[:n]) {
			return true
		}
		n = 0
	}
	return false
}

func luhnValid(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i])
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}
