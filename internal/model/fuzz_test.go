package model

import (
	"bytes"
	"crypto/ed25519"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzLoad from freshly saved models")

// FuzzLoad feeds arbitrary bytes to Load, both as a whole file and as the
// content of an envelope with a correct hash (random bytes almost never pass
// the hash, and the document decoder behind it deserves fuzzing too). Load
// must never panic, and a model it accepts must be usable and save again.
func FuzzLoad(f *testing.F) {
	for _, kind := range []Kind{KindGBDT, KindLogistic} {
		f.Add(save(f, testFile(f, kind), nil))
	}
	pub := testKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range [][]byte{data, envelopeOf(string(data))} {
			for _, o := range []LoadOptions{{}, {PublicKey: pub}} {
				m, err := Load(bytes.NewReader(file), o)
				if (m == nil) == (err == nil) {
					t.Fatalf("Load = %v, %v: exactly one must be nil", m, err)
				}
				if err != nil {
					continue
				}
				checkUsable(t, m)
			}
		}
	})
}

// checkUsable predicts, explains and re-saves a loaded model.
func checkUsable(t *testing.T, f *File) {
	t.Helper()
	n := len(f.Features)
	x, contrib := make([]float64, n), make([]float64, n)
	for _, v := range []float64{0, math.NaN(), math.Inf(1), -1e300} {
		for j := range x {
			x[j] = v
		}
		p := f.Model.Predict(x)
		margin, _ := f.Model.Explain(x, contrib)
		if math.IsNaN(p) || margin != f.Model.Margin(x) {
			t.Fatalf("loaded model predicts %v, Explain margin %v vs Margin %v", p, margin, f.Model.Margin(x))
		}
	}
	var buf bytes.Buffer
	if err := Save(&buf, f, SaveOptions{}); err != nil {
		t.Fatalf("a loaded model does not save: %v", err)
	}
	if _, err := Load(&buf, LoadOptions{}); err != nil {
		t.Fatalf("a re-saved model does not load: %v", err)
	}
}

// TestWriteFuzzSeeds rewrites the committed seed corpus when run with
// -update-fuzz-seeds: valid files of both kinds, a signed one, the content of
// one alone, and broken variants.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzLoad")
	}
	gbdt, logistic := save(t, testFile(t, KindGBDT), nil), save(t, testFile(t, KindLogistic), nil)
	signed := save(t, testFile(t, KindGBDT), testKey)
	content := gbdt[bytes.Index(gbdt, []byte(`"content":`))+len(`"content":`) : len(gbdt)-2]
	seeds := map[string][]byte{
		"gbdt":            gbdt,
		"logistic":        logistic,
		"signed":          signed,
		"content_only":    content,
		"truncated":       gbdt[:len(gbdt)/2],
		"bad_hash":        bytes.Replace(gbdt, []byte(`"sha256":"`), []byte(`"sha256":"0`), 1),
		"format_version2": []byte(strings.Replace(string(content), `"format_version":1`, `"format_version":2`, 1)),
		"empty_object":    []byte("{}"),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
