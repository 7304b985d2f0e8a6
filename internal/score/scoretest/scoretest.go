// Package scoretest builds what tests of the scoring pipeline and of its callers need: the
// embedded stack (SQLite store, in-memory feature state, feature engine, pseudonymiser) and
// small GBDT model files trained on a featuretest history through the protocol `vigil train`
// uses. Only tests import it.
package scoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/seal"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
	"github.com/vigil-fraud/vigil/internal/training"
)

// Stack is the embedded default a pipeline runs on, in a temporary directory.
type Stack struct {
	Dir           string // the test's temporary directory, holding vigil.db
	Store         *sqlite.Store
	State         *memory.State // in memory only
	Engine        *feature.Engine
	Pseudonymizer *fraud.Pseudonymizer // under a random key
}

// NewStack opens a stack that the test's cleanup closes.
func NewStack(t testing.TB) Stack {
	t.Helper()
	dir := t.TempDir()
	sealer, err := seal.New(randomKey(seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(dir, "vigil.db"), Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	state, err := memory.Open(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	eng, err := feature.New(feature.Options{State: state})
	if err != nil {
		t.Fatal(err)
	}
	pseudo, err := fraud.NewPseudonymizer(randomKey(fraud.MinPseudonymKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return Stack{Dir: dir, Store: st, State: state, Engine: eng, Pseudonymizer: pseudo}
}

func randomKey(n int) []byte {
	k := make([]byte, n)
	rand.Read(k) // crypto/rand.Read never fails
	return k
}

var (
	mu     sync.Mutex
	table  *training.Table
	period training.Period
	files  = map[int][]byte{}
)

// ModelFile returns the saved file of a GBDT of at most trees trees, trained (once per test
// binary and tree count) on a 150-customer featuretest history: the training week ends five
// weeks in, with the handbook's 7-day delay and test week after it.
func ModelFile(t testing.TB, trees int) []byte {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if f, ok := files[trees]; ok {
		return f
	}
	ctx := context.Background()
	if table == nil {
		recs := featuretest.Generate(featuretest.Options{Customers: 150, Terminals: 300, Days: 40, Seed: 7})
		period = training.DefaultPeriod(time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 33))
		tab, err := training.Collect(ctx, featuretest.NewReader(recs), training.CollectOptions{From: period.TrainStart, To: period.TestEnd()})
		if err != nil {
			t.Fatal(err)
		}
		table = tab
	}
	f, err := training.Train(ctx, table, period, training.Options{GBDT: model.GBDTOptions{MaxTrees: trees, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := model.Save(&b, f, model.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	files[trees] = b.Bytes()
	return files[trees]
}

// Model is ModelFile loaded, so that it carries its version.
func Model(t testing.TB, trees int) *model.File {
	t.Helper()
	f, err := model.Load(bytes.NewReader(ModelFile(t, trees)), model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
