package fraud

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func testKey() []byte { return bytes.Repeat([]byte{7}, 32) }

func TestPseudonymizer(t *testing.T) {
	p, err := NewPseudonymizer(testKey())
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Pseudonym("c-17"), p.Pseudonym("c-17")
	if a != b {
		t.Fatalf("not deterministic: %q vs %q", a, b)
	}
	if strings.Contains(a, "c-17") || !IsPseudonym(a) || !IsIdentifier(a) {
		t.Fatalf("bad pseudonym %q", a)
	}
	if p.Pseudonym("c-18") == a {
		t.Fatal("two ids share a pseudonym")
	}
	if p.Pseudonym("") != "" {
		t.Fatal("empty id must stay empty")
	}
	if p.Pseudonym(a) == a {
		t.Fatal("a pseudonym-shaped input must be hashed too")
	}
	other, _ := NewPseudonymizer(bytes.Repeat([]byte{8}, 32))
	if other.Pseudonym("c-17") == a {
		t.Fatal("different keys give the same pseudonym")
	}
}

func TestPseudonymizerRefusesShortKey(t *testing.T) {
	if _, err := NewPseudonymizer(make([]byte, 31)); err == nil {
		t.Fatal("want an error for a 31-byte key")
	}
}

func TestPseudonymizerApply(t *testing.T) {
	p, _ := NewPseudonymizer(testKey())
	tx := validTxn()
	p.Apply(&tx)
	for name, v := range map[string]string{"customer": tx.CustomerID, "card": tx.Card, "device": tx.DeviceID, "ip": tx.IP} {
		if !IsPseudonym(v) {
			t.Errorf("%s not pseudonymised: %q", name, v)
		}
	}
	if tx.ID != "tx-1" || tx.TerminalID != "t-4" {
		t.Error("transaction and terminal ids must stay")
	}
	for _, v := range []string{tx.CustomerID, tx.Card, tx.DeviceID, tx.IP} {
		if !IsIdentifier(v) || strings.Contains(v, "203.0.113.7") {
			t.Errorf("pseudonym %q is not a plain identifier", v)
		}
	}
}

func TestPseudonymizerConcurrent(t *testing.T) {
	p, _ := NewPseudonymizer(testKey())
	want := p.Pseudonym("c-1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if p.Pseudonym("c-1") != want {
					t.Error("concurrent pseudonym differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkPseudonym(b *testing.B) {
	p, _ := NewPseudonymizer(testKey())
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Pseudonym("customer-000017")
	}
}
