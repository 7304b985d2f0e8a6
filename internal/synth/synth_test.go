package synth

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// small is a quick simulation with every scenario and the extras made frequent enough to
// appear in a few days.
var small = Options{
	Customers: 300, Terminals: 600, Days: 20, Seed: 7,
	CardTestingPerDay: 2, AccountTakeoverPerDay: 2, TravelPerDay: 3,
}

// collect runs g and returns a copy of every record.
func collect(t testing.TB, g *Generator) ([]history.Record, Summary) {
	t.Helper()
	var recs []history.Record
	sum, err := g.Run(context.Background(), func(r *history.Record) error {
		recs = append(recs, *r)
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return recs, sum
}

func mustNew(t testing.TB, o Options) *Generator {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return g
}

// csvBytes writes a whole run in vigil's CSV layout.
func csvBytes(t *testing.T, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := history.NewWriter(&buf, history.LayoutCSV, history.Meta{"classification": "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustNew(t, o).Run(context.Background(), w.Write, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	a, b := csvBytes(t, small), csvBytes(t, small)
	if !bytes.Equal(a, b) {
		t.Fatal("the same options and seed gave different bytes")
	}
	other := small
	other.Seed++
	if bytes.Equal(a, csvBytes(t, other)) {
		t.Fatal("different seeds gave the same bytes")
	}
	// One generator run twice, and twice concurrently, gives the same records too.
	g := mustNew(t, small)
	first, _ := collect(t, g)
	done := make(chan []history.Record, 2)
	for range 2 {
		go func() {
			var recs []history.Record
			_, _ = g.Run(context.Background(), func(r *history.Record) error { recs = append(recs, *r); return nil }, nil)
			done <- recs
		}()
	}
	for range 2 {
		again := <-done
		if len(again) != len(first) {
			t.Fatalf("second run: %d records, first %d", len(again), len(first))
		}
		for i := range first {
			if !reflect.DeepEqual(first[i], again[i]) {
				t.Fatalf("record %d differs between runs:\n%+v\n%+v", i, first[i], again[i])
			}
		}
	}
}

var docRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func TestRecordsValid(t *testing.T) {
	g := mustNew(t, small)
	recs, sum := collect(t, g)
	if sum.Rows != len(recs) || sum.Rows == 0 {
		t.Fatalf("summary rows %d, records %d", sum.Rows, len(recs))
	}
	frauds := 0
	for i := range recs {
		r := &recs[i]
		if err := r.Validate(); err != nil {
			t.Fatalf("record %d does not validate: %v\n%+v", i, err, r)
		}
		if r.ID != strconv.Itoa(i) {
			t.Fatalf("record %d has id %q", i, r.ID)
		}
		if i > 0 && r.Timestamp.Before(recs[i-1].Timestamp) {
			t.Fatalf("record %d is earlier than record %d", i, i-1)
		}
		if r.Currency != "EUR" || r.Card == "" || r.MerchantCategory == "" || r.Channel == "" || r.Country == "" {
			t.Fatalf("record %d lacks a field: %+v", i, r)
		}
		if fraud.ContainsCardNumber(r.Card) || fraud.ContainsCardNumber(r.DeviceID) {
			t.Fatalf("record %d carries a card number: %+v", i, r)
		}
		if r.IP != "" {
			a := netip.MustParseAddr(r.IP)
			inDocs := false
			for _, p := range docRanges {
				inDocs = inDocs || p.Contains(a)
			}
			if !inDocs {
				t.Fatalf("record %d: IP %s is outside the documentation ranges", i, r.IP)
			}
		}
		if (r.Channel == fraud.ChannelEcommerce) != (r.IP != "") {
			t.Fatalf("record %d: channel %s with IP %q (want an IP exactly for e-commerce)", i, r.Channel, r.IP)
		}
		if (r.Channel == fraud.ChannelEcommerce || r.Channel == fraud.ChannelWallet) != (r.DeviceID != "") {
			t.Fatalf("record %d: channel %s with device %q", i, r.Channel, r.DeviceID)
		}
		if r.Fraud != (r.Scenario != "") {
			t.Fatalf("record %d: fraud %v with scenario %q", i, r.Fraud, r.Scenario)
		}
		if r.Fraud {
			frauds++
		}
	}
	if frauds != sum.Frauds {
		t.Fatalf("summary frauds %d, counted %d", sum.Frauds, frauds)
	}
	n := 0
	for _, c := range sum.ByScenario {
		n += c
	}
	if n != sum.Frauds || sum.Days != small.Days || sum.Customers != small.Customers || sum.Terminals != small.Terminals {
		t.Fatalf("summary inconsistent: %+v", sum)
	}
}

func TestIdentifiersNeverCardNumbers(t *testing.T) {
	g := mustNew(t, Options{Customers: 20000, Terminals: 10, Days: 1})
	seen := map[string]bool{}
	for _, c := range g.customers {
		ids := []string{c.card}
		for _, d := range c.devices {
			ids = append(ids, d.id)
		}
		for _, id := range ids {
			if !fraud.IsIdentifier(id) || fraud.ContainsCardNumber(id) {
				t.Fatalf("bad identifier %q", id)
			}
			if seen[id] {
				t.Fatalf("identifier %q given twice", id)
			}
			seen[id] = true
		}
	}
}

func TestRunStops(t *testing.T) {
	g := mustNew(t, small)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := g.Run(ctx, func(*history.Record) error { return nil }, nil)
	if !errors.Is(err, context.Canceled) || sum.Rows != 0 {
		t.Fatalf("cancelled run: %+v, %v (want 0 rows, context.Canceled)", sum, err)
	}

	// Cancelled midway: it stops before the next day.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	sum, err = g.Run(ctx, func(*history.Record) error { return nil }, func(day, days int) {
		if day == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || sum.Days != 3 {
		t.Fatalf("run cancelled after day 3: %+v, %v", sum, err)
	}

	boom := errors.New("disk full")
	n := 0
	sum, err = g.Run(context.Background(), func(*history.Record) error {
		if n++; n == 10 {
			return boom
		}
		return nil
	}, nil)
	if err != boom || sum.Rows != 9 {
		t.Fatalf("emit failing at the 10th record: %+v, %v (want 9 rows and the emit error)", sum, err)
	}
}

func TestProgress(t *testing.T) {
	var calls []int
	_, err := mustNew(t, Options{Customers: 10, Terminals: 10, Days: 4}).Run(context.Background(),
		func(*history.Record) error { return nil }, func(day, days int) {
			if days != 4 {
				t.Errorf("progress days = %d", days)
			}
			calls = append(calls, day)
		})
	if err != nil || len(calls) != 4 || calls[3] != 4 {
		t.Fatalf("progress calls %v, err %v", calls, err)
	}
}

func TestOptions(t *testing.T) {
	g := mustNew(t, Options{})
	o := g.Options()
	if o.Customers != 5000 || o.Terminals != 10000 || o.Days != 183 || o.Radius != 5 ||
		!o.Start.Equal(DefaultStart) || o.Scenarios.String() != "all" {
		t.Fatalf("defaults: %+v", o)
	}
	bad := []Options{
		{Customers: -1}, {Terminals: -5}, {Days: -1}, {Days: MaxDays + 1}, {Radius: -1},
		{Customers: MaxCustomers + 1}, {TravelPerDay: -1}, {CardTestingPerDay: 1e6},
		{Scenarios: 1 << 10},
	}
	for _, o := range bad {
		if _, err := New(o); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("New(%+v) = %v, want an error wrapping fraud.ErrInvalid", o, err)
		}
	}
}

func TestParseScenarios(t *testing.T) {
	tests := []struct {
		in   string
		want ScenarioSet
		str  string
	}{
		{"handbook", Handbook, "handbook"},
		{"all", All, "all"},
		{"extras", Extras, "extras"},
		{"none", NoScenarios, "none"},
		{"handbook,card_testing", Handbook | CardTesting, "high_amount,compromised_terminal,compromised_customer,card_testing"},
		{" High_Amount , impossible_travel", HighAmount | ImpossibleTravel, "high_amount,impossible_travel"},
		{"handbook,extras", All, "all"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseScenarios(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseScenarios(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.str {
				t.Fatalf("String() = %q, want %q", got.String(), tt.str)
			}
			back, err := ParseScenarios(got.String())
			if err != nil || back.effective() != got.effective() {
				t.Fatalf("round trip of %q: %v, %v", got.String(), back, err)
			}
		})
	}
	for _, in := range []string{"", "bogus", "handbook,", "none,handbook", "1"} {
		if _, err := ParseScenarios(in); err == nil {
			t.Errorf("ParseScenarios(%q) succeeded", in)
		}
	}
	if ScenarioSet(0).String() != "all" || !ScenarioSet(0).Has(CardTesting) || NoScenarios.Has(HighAmount) {
		t.Fatal("the zero set must mean the default (all), NoScenarios nothing")
	}
}

func TestNearbyMatchesBruteForce(t *testing.T) {
	cs := newCustomers(200, 3)
	ts := newTerminals(2000, 3)
	for _, radius := range []float64{0.3, 5, 17.5, 60, 150} {
		n := newNearby(cs, ts, radius)
		for c := range cs {
			var want []int
			for i, tm := range ts {
				dx, dy := tm.x-cs[c].x, tm.y-cs[c].y
				if dx*dx+dy*dy < radius*radius {
					want = append(want, i)
				}
			}
			got := n.of(c)
			if len(got) != len(want) {
				t.Fatalf("radius %v customer %d: %d terminals, brute force %d", radius, c, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("radius %v customer %d: terminals %v, want %v", radius, c, got, want)
				}
			}
		}
	}
}

func TestPoisson(t *testing.T) {
	r := newStream(1, 99)
	for _, lambda := range []float64{0.3, 2, 3.9, 50} {
		const n = 200000
		var sum, sq float64
		for range n {
			x := float64(poisson(r, lambda))
			sum += x
			sq += x * x
		}
		mean := sum / n
		variance := sq/n - mean*mean
		// The mean of n draws has a standard error of sqrt(lambda/n); allow 5 of them.
		if d := mean - lambda; d*d > 25*lambda/n {
			t.Errorf("lambda %v: mean %v", lambda, mean)
		}
		if variance < 0.95*lambda || variance > 1.05*lambda {
			t.Errorf("lambda %v: variance %v", lambda, variance)
		}
	}
}
