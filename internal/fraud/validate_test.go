package fraud

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func validTxn() Transaction {
	return Transaction{
		ID: "tx-1", Timestamp: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Amount: 42.5,
		Currency: "EUR", CustomerID: "c-17", TerminalID: "t-4", Card: "tok_9f2c",
		MerchantCategory: "5411", Channel: ChannelEcommerce, Country: "FR", DeviceID: "d-1",
		IP: "203.0.113.7", Attributes: map[string]string{"campaign": "x"},
	}
}

func TestValidateAcceptsAFullTransaction(t *testing.T) {
	tx := validTxn()
	if err := tx.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Transaction)
		want   []FieldError
	}{
		{"zero amount", func(t *Transaction) { t.Amount = 0 }, []FieldError{{"amount", "must be > 0"}}},
		{"negative amount", func(t *Transaction) { t.Amount = -1 }, []FieldError{{"amount", "must be > 0"}}},
		{"NaN amount", func(t *Transaction) { t.Amount = math.NaN() }, []FieldError{{"amount", "must be a finite number"}}},
		{"huge amount", func(t *Transaction) { t.Amount = 2e9 }, []FieldError{{"amount", "must be <= 1e9"}}},
		{"missing required", func(t *Transaction) { *t = Transaction{} }, []FieldError{
			{"id", reasonRequired}, {"timestamp", reasonRequired}, {"amount", "must be > 0"},
			{"currency", reasonRequired}, {"customer_id", reasonRequired}, {"terminal_id", reasonRequired},
		}},
		{"raw card", func(t *Transaction) { t.Card = "4111111111111111" }, []FieldError{{"card", reasonRawCard}}},
		{"raw card with spaces", func(t *Transaction) { t.Card = "4111 1111 1111 1111" }, []FieldError{{"card", reasonRawCard}}},
		{"raw card inside a token", func(t *Transaction) { t.Card = "tok_4111111111111111" }, []FieldError{{"card", reasonRawCard}}},
		{"raw card as customer", func(t *Transaction) { t.CustomerID = "5500-0000-0000-0004" }, []FieldError{{"customer_id", reasonRawCard}}},
		{"raw card in attribute", func(t *Transaction) { t.Attributes = map[string]string{"note": "pan 4111111111111111"} },
			[]FieldError{{"attributes.note", reasonRawCard}}},
		{"bad currency", func(t *Transaction) { t.Currency = "eur" }, []FieldError{{"currency", "must be an ISO 4217 code (3 upper-case letters)"}}},
		{"bad mcc", func(t *Transaction) { t.MerchantCategory = "54" }, []FieldError{{"merchant_category", "must be a 4-digit merchant category code"}}},
		{"bad channel", func(t *Transaction) { t.Channel = "fax" }, []FieldError{{"channel", "must be one of pos, ecommerce, atm, moto, wallet"}}},
		{"bad country", func(t *Transaction) { t.Country = "FRA" }, []FieldError{{"country", "must be an ISO 3166-1 alpha-2 code (2 upper-case letters)"}}},
		{"bad ip", func(t *Transaction) { t.IP = "999.1.1.1" }, []FieldError{{"ip", "must be an IPv4 or IPv6 address"}}},
		{"id with space", func(t *Transaction) { t.ID = "tx 1" }, []FieldError{{"id", reasonIdentifier}}},
		{"id too long", func(t *Transaction) { t.ID = strings.Repeat("a", 129) }, []FieldError{{"id", reasonIdentifier}}},
		{"bad attribute key", func(t *Transaction) { t.Attributes = map[string]string{"Bad Key": "v"} }, []FieldError{{"attributes", reasonAttributeKey}}},
		{"two bad fields", func(t *Transaction) { t.Amount = 0; t.Country = "x" }, []FieldError{
			{"amount", "must be > 0"}, {"country", "must be an ISO 3166-1 alpha-2 code (2 upper-case letters)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := validTxn()
			tt.mutate(&tx)
			err := tx.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			if len(ve.Fields) != len(tt.want) {
				t.Fatalf("fields = %+v, want %+v", ve.Fields, tt.want)
			}
			for i := range tt.want {
				if ve.Fields[i] != tt.want[i] {
					t.Errorf("field %d = %+v, want %+v", i, ve.Fields[i], tt.want[i])
				}
			}
		})
	}
}

func TestValidationErrorNeverEchoesValues(t *testing.T) {
	tx := validTxn()
	tx.Card = "4111111111111111"
	tx.CustomerID = "secret customer"
	err := tx.Validate()
	if strings.Contains(err.Error(), "4111") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error echoes input: %v", err)
	}
}

func TestContainsCardNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},         // Visa test PAN
		{"4111111111111112", false},        // Luhn-invalid
		{"378282246310005", true},          // Amex, 15 digits
		{"4222222222222", true},            // 13 digits
		{"411111111111", false},            // 12 digits: too short
		{"4111-1111-1111-1111", true},      // dashes
		{"4111 1111 1111 1111", true},      // spaces
		{"4111--1111-1111-1111", false},    // double separator ends the run
		{"x4111111111111111y", true},       // a PAN between letters
		{"74111111111111111", false},       // 17 digits, Luhn-invalid as a whole
		{"tok_9f2c", false},                // token
		{"", false},                        // empty
		{"24111111111111111111111", false}, // 23 digits: an acquirer reference, not a card
		{"c-17", false},
	}
	for _, tt := range tests {
		if got := ContainsCardNumber(tt.in); got != tt.want {
			t.Errorf("ContainsCardNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestOutcomeSeverity(t *testing.T) {
	if !(Approve.Severity() < Review.Severity() && Review.Severity() < Decline.Severity()) {
		t.Fatal("severity order broken")
	}
	if Outcome("x").Severity() != -1 {
		t.Fatal("unknown outcome must have severity -1")
	}
}

// TestCardNumberAsAttributeKeyRefused: a card number is refused as an attribute's key as
// well as its value, and the key is not echoed in the error.
func TestCardNumberAsAttributeKeyRefused(t *testing.T) {
	in := strings.Replace(goodJSON, `"attributes": {}`, `"attributes": {"4111111111111111": "x"}`, 1)
	tx, err := DecodeTransaction([]byte(in))
	if err == nil {
		t.Fatalf("accepted a raw card number as an attribute key: %q", tx.Attributes)
	}
	if strings.Contains(err.Error(), "4111") {
		t.Errorf("the error echoes the key: %v", err)
	}
}

// TestTimestampRangeIsUTC: the 1970-9999 range holds for the instant, whatever the offset
// it was written with.
func TestTimestampRangeIsUTC(t *testing.T) {
	for _, ts := range []string{"1970-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"} {
		in := strings.Replace(goodJSON, "2026-11-24T12:00:00Z", ts, 1)
		if tx, err := DecodeTransaction([]byte(in)); err == nil {
			t.Errorf("%s accepted: UTC %v", ts, tx.Timestamp.UTC())
		}
	}
	in := strings.Replace(goodJSON, "2026-11-24T12:00:00Z", "1970-01-01T00:30:00-01:00", 1)
	if _, err := DecodeTransaction([]byte(in)); err != nil {
		t.Errorf("1970-01-01T01:30Z refused: %v", err)
	}
}

// TestAttributeErrorsAreStable: several bad attributes give one message, in key order.
func TestAttributeErrorsAreStable(t *testing.T) {
	long := strings.Repeat("v", MaxAttributeValue+1)
	in := strings.Replace(goodJSON, `"attributes": {}`,
		`"attributes": {"d": "`+long+`", "b": "`+long+`", "a": "`+long+`", "c": "`+long+`"}`, 1)
	_, first := DecodeTransaction([]byte(in))
	var verr *ValidationError
	if !errors.As(first, &verr) || len(verr.Fields) != 4 || verr.Fields[0].Path != "attributes.a" || verr.Fields[3].Path != "attributes.d" {
		t.Fatalf("errors %v, want attributes.a .. attributes.d in order", first)
	}
	for range 20 {
		if _, err := DecodeTransaction([]byte(in)); err.Error() != first.Error() {
			t.Fatalf("same input, different messages:\n%v\n%v", first, err)
		}
	}
}
