package model

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// testFile returns a small trained model file (GBDT or logistic).
func testFile(t testing.TB, kind Kind) *File {
	t.Helper()
	d := synthetic(2000, 5, 1)
	f := &File{
		Features:  Features(d.Names),
		Training:  TrainingSummary{Rows: d.Rows, Positives: 40, From: time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC), Source: "synthetic"},
		Metrics:   map[string]float64{"auc_roc": 0.91, "card_precision_at_100": 0.25},
		CreatedAt: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	var err error
	switch kind {
	case KindGBDT:
		o := GBDTOptions{MaxTrees: 6, MaxDepth: 3}.WithDefaults()
		f.GBDTOptions = &o
		f.Model, err = TrainGBDT(context.Background(), d, nil, o, nil)
	case KindLogistic:
		o := LogisticOptions{}.WithDefaults()
		f.LogisticOptions = &o
		f.Model, err = TrainLogistic(context.Background(), d, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func save(t testing.TB, f *File, priv ed25519.PrivateKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Save(&buf, f, SaveOptions{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// envelopeOf wraps content in an envelope with its correct hash, to test the
// checks that come after the hash.
func envelopeOf(content string) []byte {
	return fmt.Appendf(nil, `{"vigil_model":1,"sha256":"%x","content":%s}`, sha256.Sum256([]byte(content)), content)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, kind := range []Kind{KindGBDT, KindLogistic} {
		t.Run(string(kind), func(t *testing.T) {
			f := testFile(t, kind)
			data := save(t, f, testKey)
			if again := save(t, f, testKey); !bytes.Equal(data, again) {
				t.Error("saving the same model twice gives different bytes")
			}
			g, err := Load(bytes.NewReader(data), LoadOptions{PublicKey: testKey.Public().(ed25519.PublicKey)})
			if err != nil {
				t.Fatal(err)
			}
			if g.Kind() != kind || g.Version() != f.Version() || !strings.HasPrefix(g.Version(), string(kind)+"-") || len(g.Version()) != len(kind)+13 {
				t.Errorf("kind %q version %q, saved as %q", g.Kind(), g.Version(), f.Version())
			}
			if !g.Signed || g.SHA256 != f.SHA256 || !g.CreatedAt.Equal(f.CreatedAt) || g.Training != f.Training ||
				g.Metrics["auc_roc"] != 0.91 || len(g.Features) != 5 || g.Features[2] != (Feature{Name: "f02", Version: "1"}) {
				t.Errorf("metadata did not survive: %+v", g)
			}
			if (kind == KindGBDT) != (g.GBDTOptions != nil) || (kind == KindLogistic) != (g.LogisticOptions != nil) {
				t.Errorf("hyper-parameters did not survive: %+v %+v", g.GBDTOptions, g.LogisticOptions)
			}
			d := synthetic(500, 5, 2)
			for i := range d.Rows {
				if a, b := f.Model.Margin(d.Row(i)), g.Model.Margin(d.Row(i)); a != b {
					t.Fatalf("row %d: margin %v before saving, %v after", i, a, b)
				}
			}
		})
	}
}

func TestLoadRefusesEveryFlippedByte(t *testing.T) {
	data := save(t, testFile(t, KindGBDT), testKey)
	pub := testKey.Public().(ed25519.PublicKey)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 1
		if f, err := Load(bytes.NewReader(bad), LoadOptions{PublicKey: pub}); err == nil || f != nil {
			t.Fatalf("byte %d (%q) flipped: Load = %v, %v; want an error", i, data[i], f, err)
		}
	}
}

func TestLoadRefusesTruncatedFiles(t *testing.T) {
	data := save(t, testFile(t, KindLogistic), nil)
	for n := 0; n < len(data)-1; n++ { // the final newline may go
		if f, err := Load(bytes.NewReader(data[:n]), LoadOptions{}); err == nil || f != nil {
			t.Fatalf("first %d of %d bytes: Load = %v, %v; want an error", n, len(data), f, err)
		}
	}
}

func TestLoadSignatures(t *testing.T) {
	f := testFile(t, KindGBDT)
	signed, unsigned := save(t, f, testKey), save(t, f, nil)
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)).Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		data []byte
		key  ed25519.PublicKey
		want error
	}{
		{"signed, right key", signed, pub, nil},
		{"signed, no key", signed, nil, nil},
		{"unsigned, no key", unsigned, nil, nil},
		{"unsigned, key required", unsigned, pub, ErrSignature},
		{"signed, other key", signed, other, ErrSignature},
		{"signature of other content", bytes.Replace(unsigned, []byte(`","content"`),
			fmt.Appendf(nil, `","signature":"%s","content"`, base64.StdEncoding.EncodeToString(ed25519.Sign(testKey, []byte("x")))), 1), pub, ErrSignature},
		{"malformed signature", bytes.Replace(unsigned, []byte(`","content"`), []byte(`","signature":"!!","content"`), 1), pub, ErrSignature},
		{"short key", signed, pub[:31], ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Load(bytes.NewReader(tt.data), LoadOptions{PublicKey: tt.key})
			if !errors.Is(err, tt.want) || (err == nil) != (g != nil) {
				t.Fatalf("Load = %v, %v; want %v", g, err, tt.want)
			}
		})
	}
}

func TestLoadRefusesBadDocuments(t *testing.T) {
	good := save(t, testFile(t, KindGBDT), nil)
	content := string(good[strings.Index(string(good), `"content":`)+len(`"content":`) : len(good)-2])
	if _, err := Load(bytes.NewReader(envelopeOf(content)), LoadOptions{}); err != nil {
		t.Fatalf("re-wrapped content does not load: %v", err)
	}
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrInvalidModel},
		{"not JSON", []byte("hello"), ErrInvalidModel},
		{"trailing data", append(bytes.Clone(good), "{}"...), ErrInvalidModel},
		{"unknown envelope field", bytes.Replace(good, []byte(`{"vigil_model":1,`), []byte(`{"vigil_model":1,"x":1,`), 1), ErrInvalidModel},
		{"envelope version 2", bytes.Replace(good, []byte(`{"vigil_model":1,`), []byte(`{"vigil_model":2,`), 1), ErrUnsupported},
		{"bad hash", bytes.Replace(good, []byte(`"sha256":"`), []byte(`"sha256":"00`), 1), ErrChecksum},
		{"format version 2", envelopeOf(strings.Replace(content, `"format_version":1`, `"format_version":2`, 1)), ErrUnsupported},
		{"unknown kind", envelopeOf(strings.Replace(content, `"kind":"gbdt"`, `"kind":"forest"`, 1)), ErrUnsupported},
		{"unknown content field", envelopeOf(strings.Replace(content, `"kind":"gbdt"`, `"kind":"gbdt","x":1`, 1)), ErrInvalidModel},
		{"feature out of range", envelopeOf(setFirst(content, "feature", "99")), ErrInvalidModel},
		{"child out of range", envelopeOf(setFirst(content, "left", "1000")), ErrInvalidModel},
		{"cycle", envelopeOf(setFirst(content, "right", "0")), ErrInvalidModel},
		{"tree arrays differ", envelopeOf(setFirst(content, "cover", "1,2")), ErrInvalidModel},
		{"no features", envelopeOf(content[:strings.Index(content, `"features":[`)+len(`"features":[`)] + content[strings.Index(content, `],"training"`):]), ErrInvalidModel},
		{"feature version empty", envelopeOf(strings.Replace(content, `"version":"1"`, `"version":""`, 1)), ErrInvalidModel},
		{"feature version a number", envelopeOf(strings.Replace(content, `"version":"1"`, `"version":1`, 1)), ErrInvalidModel},
		{"missing model", envelopeOf(content[:strings.Index(content, `,"gbdt":`)] + "}"), ErrInvalidModel},
		{"positives above rows", envelopeOf(strings.Replace(content, `"positives":40`, `"positives":4000`, 1)), ErrInvalidModel},
		{"null content", envelopeOf("null"), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Load(bytes.NewReader(tt.file), LoadOptions{})
			if !errors.Is(err, tt.want) || f != nil {
				t.Fatalf("Load = %v, %v; want %v", f, err, tt.want)
			}
		})
	}
	if _, err := Load(bytes.NewReader(good), LoadOptions{MaxSize: int64(len(good) - 10)}); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("oversized file: err = %v", err)
	}
}

// setFirst replaces the first element of the first array named key.
func setFirst(content, key, value string) string {
	start := strings.Index(content, `"`+key+`":[`) + len(key) + 4
	end := start + strings.IndexAny(content[start:], ",]")
	return content[:start] + value + content[end:]
}

func TestSaveRefusesInconsistentFiles(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *File)
	}{
		{"features differ", func(f *File) { f.Features[0].Name = "other" }},
		{"feature missing", func(f *File) { f.Features = f.Features[1:] }},
		{"no model", func(f *File) { f.Model = nil }},
		{"NaN metric", func(f *File) { f.Metrics["auc_roc"] = math.NaN() }},
		{"negative rows", func(f *File) { f.Training.Rows = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFile(t, KindGBDT)
			tt.change(f)
			if err := Save(&bytes.Buffer{}, f, SaveOptions{}); err == nil {
				t.Fatal("Save succeeded")
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	for _, s := range []string{
		hex.EncodeToString(pub),
		base64.StdEncoding.EncodeToString(pub),
		base64.RawURLEncoding.EncodeToString(pub) + "\n",
	} {
		got, err := ParsePublicKey(s)
		if err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{hex.EncodeToString(testKey.Seed()), base64.StdEncoding.EncodeToString(testKey)} {
		got, err := ParsePrivateKey(s)
		if err != nil || !got.Equal(testKey) {
			t.Errorf("ParsePrivateKey(%q) = %v", s, err)
		}
	}
	bad := bytes.Clone(testKey)
	bad[40] ^= 1
	for _, s := range []string{"", "abc", hex.EncodeToString(pub[:31]), base64.StdEncoding.EncodeToString(bad)} {
		if _, err := ParsePrivateKey(s); !errors.Is(err, ErrSignature) {
			t.Errorf("ParsePrivateKey(%q): err = %v", s, err)
		}
	}
	if _, err := ParsePublicKey("zz"); !errors.Is(err, ErrSignature) {
		t.Errorf("ParsePublicKey(zz): err = %v", err)
	}
}
