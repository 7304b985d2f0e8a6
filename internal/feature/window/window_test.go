package window

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func TestRing(t *testing.T) {
	var r ring[int]
	var want []int
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 5000 {
		switch k := rng.IntN(10); {
		case k < 5:
			r.push(step)
			want = append(want, step)
		case k < 7 && len(want) > 0:
			if got := r.popFront(); got != want[0] {
				t.Fatalf("step %d: popFront = %d, want %d", step, got, want[0])
			}
			want = want[1:]
			r.shrink()
		default:
			i := rng.IntN(len(want) + 1)
			r.insert(i, -step)
			want = slices.Insert(want, i, -step)
		}
		if r.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, r.len(), len(want))
		}
		for i, w := range want {
			if *r.at(i) != w {
				t.Fatalf("step %d: at(%d) = %d, want %d", step, i, *r.at(i), w)
			}
		}
		if len(r.buf) > 8 && len(want) > 0 && len(r.buf) > 4*len(want)+16 {
			t.Fatalf("step %d: capacity %d for %d events", step, len(r.buf), len(want))
		}
	}
}

func obs(sec uint32, cents uint64, id, terminal string) Observation {
	return Observation{Time: sec, Cents: cents, IDHash: Hash(id), TerminalHash: Hash(terminal), Customer: "c", Terminal: terminal}
}

func TestCustomerOrderAndExpiry(t *testing.T) {
	lim := DefaultLimits
	var c Customer
	base := uint32(1_600_000_000)
	for _, s := range []uint32{100, 50, 300, 300, 200} { // out of order, a tie
		o := obs(base+s, uint64(s), strconv.Itoa(int(s)), "t1")
		c.Add(&o, &lim)
	}
	var times []uint32
	for i := range c.Len() {
		times = append(times, c.At(i).Time-base)
	}
	if !slices.Equal(times, []uint32{50, 100, 200, 300, 300}) {
		t.Fatalf("times %v", times)
	}
	if last, ok := c.Last(); !ok || last != base+300 {
		t.Fatalf("Last = %d, %v", last, ok)
	}
	// An event 31 days later pushes every earlier one past the horizon.
	o := obs(base+300+lim.CustomerHorizon, 7, "x", "t2")
	c.Add(&o, &lim)
	if c.Len() != 1 || c.At(0).Cents() != 7 || c.At(0).TerminalHash() != hash24(Hash("t2")) {
		t.Fatalf("after expiry: %d events, first %+v", c.Len(), *c.At(0))
	}
	// Too old to matter: dropped, and the newest facts stay.
	old := obs(base, 1, "old", "t3")
	c.Add(&old, &lim)
	if c.Len() != 1 {
		t.Fatalf("an event older than the horizon was kept")
	}
	// Large amounts keep their 40 bits.
	big := obs(base+300+lim.CustomerHorizon, 100_000_000_000, "big", "t2")
	c.Add(&big, &lim)
	if got := c.At(1).Cents(); got != 100_000_000_000 {
		t.Fatalf("cents %d", got)
	}
}

func TestCustomerDevicesAndCountry(t *testing.T) {
	lim := DefaultLimits
	var c Customer
	if c.HasDevices() || c.KnowsDevice(5) {
		t.Fatal("empty history knows a device")
	}
	for i, d := range []uint32{1, 3, 5, 7, 9, 3} {
		o := Observation{Time: uint32(1000 + i), DeviceHash: d, Country: [2]byte{'F', 'R'}}
		c.Add(&o, &lim)
	}
	// Most recent distinct: 3, 9, 7, 5 (1 was pushed out).
	for d, want := range map[uint32]bool{3: true, 9: true, 7: true, 5: true, 1: false, 0: false} {
		if c.KnowsDevice(d) != want {
			t.Errorf("KnowsDevice(%d) = %v, want %v", d, !want, want)
		}
	}
	late := Observation{Time: 10, Country: [2]byte{'D', 'E'}}
	c.Add(&late, &lim)
	if c.Country() != [2]byte{'F', 'R'} {
		t.Errorf("a late transaction changed the newest country to %q", c.Country())
	}
}

func TestTerminalLabel(t *testing.T) {
	lim := DefaultLimits
	var tm Terminal
	a, b, c := obs(1000, 1, "a", "t"), obs(1000, 1, "b", "t"), obs(2000, 1, "c", "t")
	for _, o := range []*Observation{&a, &b, &c} {
		tm.Add(o, &lim)
	}
	frauds := func() (n int) {
		for i := range tm.Len() {
			if tm.At(i).Fraud() {
				n++
			}
		}
		return n
	}
	if !tm.Label(&b, true) || frauds() != 1 || !tm.At(1).Fraud() || tm.At(0).Labelled() {
		t.Fatal("label of b did not mark b alone")
	}
	tm.Label(&b, true) // idempotent
	if frauds() != 1 {
		t.Fatal("a repeated label counted twice")
	}
	tm.Label(&b, false) // the last label wins
	if frauds() != 0 || !tm.At(1).Labelled() {
		t.Fatal("relabelling as legitimate did not clear the fraud")
	}
	unknown := obs(1500, 1, "zz", "t")
	if tm.Label(&unknown, true) || frauds() != 0 {
		t.Fatal("a label for an unknown transaction marked something")
	}
}

func TestFolding(t *testing.T) {
	lim := Limits{MaxEvents: 8}.WithDefaults()
	var tm Terminal
	var c Customer
	base := uint32(10 * Day)
	var all []Observation
	for i := range 30 {
		o := obs(base+uint32(i)*3600, 100, strconv.Itoa(i), "t") // one an hour
		tm.Add(&o, &lim)
		c.Add(&o, &lim)
		all = append(all, o)
	}
	if tm.Len() != 8 || !tm.IsFolded() || c.Len() != 8 || !c.IsFolded() {
		t.Fatalf("%d terminal events, %d customer events, folded %v %v", tm.Len(), c.Len(), tm.IsFolded(), c.IsFolded())
	}
	// 22 events folded: hours 0-21 of day 10. The whole day counts whole.
	if n, s := c.Folded(int64(base)-1, int64(base)+Day-1); n != 22 || s != 2200 {
		t.Fatalf("folded day: %v events, %v cents", n, s)
	}
	// Half the day: half the folded events (spread evenly by assumption).
	if n, _ := c.Folded(int64(base)+Day/2-1, int64(base)+Day); n != 11 {
		t.Fatalf("half day: %v", n)
	}
	// A fraud label of a folded event counts once per label, at most the day's count.
	if !tm.Label(&all[3], true) {
		t.Fatal("label of a folded event not applied")
	}
	if n, f := tm.Folded(0, int64(base)+Day); n != 22 || f != 1 {
		t.Fatalf("folded frauds %v of %v", f, n)
	}
	// Folded days expire with the horizon.
	later := obs(base+40*Day, 1, "late", "t")
	tm.Add(&later, &lim)
	c.Add(&later, &lim)
	if tm.IsFolded() || c.IsFolded() || tm.Len() != 1 || c.Len() != 1 {
		t.Fatal("folded days outlived the horizon")
	}
}

// checkTotals fails unless the running totals match the events kept.
func checkTotals(t *testing.T, c *Customer, tm *Terminal) {
	t.Helper()
	var cents uint64
	for i := range c.Len() {
		cents += c.At(i).Cents()
	}
	frauds := 0
	for i := range tm.Len() {
		if tm.At(i).Fraud() {
			frauds++
		}
	}
	if cents != c.Cents() || frauds != tm.Frauds() {
		t.Fatalf("totals: cents %d (kept %d), frauds %d (kept %d)", c.Cents(), cents, tm.Frauds(), frauds)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	lim := Limits{MaxEvents: 16}.WithDefaults()
	var c Customer
	var tm Terminal
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		o := obs(uint32(1e9+rng.IntN(20*Day)), uint64(rng.IntN(1e6)), strconv.Itoa(i), strconv.Itoa(rng.IntN(5)))
		o.DeviceHash = uint32(rng.IntN(6))
		o.Country = [2]byte{'A' + byte(rng.IntN(3)), 'Z'}
		c.Add(&o, &lim)
		tm.Add(&o, &lim)
		if rng.IntN(4) == 0 {
			tm.Label(&o, rng.IntN(2) == 0)
		}
		checkTotals(t, &c, &tm)
	}
	cb, _ := c.AppendBinary(nil)
	tb, _ := tm.AppendBinary(nil)
	var c2 Customer
	var t2 Terminal
	if err := c2.UnmarshalBinary(cb); err != nil {
		t.Fatal(err)
	}
	if err := t2.UnmarshalBinary(tb); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, &c2, &t2)
	cb2, _ := c2.AppendBinary(nil)
	tb2, _ := t2.AppendBinary(nil)
	if !bytes.Equal(cb, cb2) || !bytes.Equal(tb, tb2) {
		t.Fatal("decode then encode changed the blob")
	}
	if err := c2.UnmarshalBinary(tb); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a terminal blob decoded as a customer: %v", err)
	}
	if err := t2.UnmarshalBinary(nil); err != nil || t2.Len() != 0 {
		t.Errorf("empty blob: %v, %d events", err, t2.Len())
	}
	var empty Customer
	if b, _ := empty.AppendBinary(nil); len(b) != 0 {
		t.Errorf("empty customer encodes to %d bytes", len(b))
	}
}

func FuzzUnmarshal(f *testing.F) {
	lim := Limits{MaxEvents: 8}.WithDefaults()
	var c Customer
	var tm Terminal
	for i := range 20 {
		o := obs(uint32(1e9+i*5000), uint64(i), strconv.Itoa(i), "t")
		o.DeviceHash = 3
		c.Add(&o, &lim)
		tm.Add(&o, &lim)
	}
	cb, _ := c.AppendBinary(nil)
	tb, _ := tm.AppendBinary(nil)
	f.Add(cb)
	f.Add(tb)
	f.Add([]byte{1, 'C'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Customer
		if c.UnmarshalBinary(b) == nil {
			out, _ := c.AppendBinary(nil)
			var again Customer
			if err := again.UnmarshalBinary(out); err != nil {
				t.Fatalf("re-decoding a decoded customer: %v", err)
			}
		}
		var tm Terminal
		if tm.UnmarshalBinary(b) == nil {
			out, _ := tm.AppendBinary(nil)
			var again Terminal
			if err := again.UnmarshalBinary(out); err != nil {
				t.Fatalf("re-decoding a decoded terminal: %v", err)
			}
		}
	})
}

func TestObserve(t *testing.T) {
	tx := fraud.Transaction{ID: "x", Timestamp: time.Date(2018, 4, 1, 0, 0, 31, 900e6, time.UTC), Amount: 57.16,
		CustomerID: "596", TerminalID: "3156", DeviceID: "d", Country: "FR"}
	o, err := Observe(&tx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Time != uint32(time.Date(2018, 4, 1, 0, 0, 31, 0, time.UTC).Unix()) || o.Cents != 5716 || o.DeviceHash == 0 ||
		o.Country != [2]byte{'F', 'R'} || o.Customer != "596" || o.Terminal != "3156" {
		t.Fatalf("%+v", o)
	}
	for _, bad := range []fraud.Transaction{
		{Timestamp: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Timestamp: time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Timestamp: time.Unix(0, 0), Amount: -1},
		{Timestamp: time.Unix(0, 0), Amount: 2e9},
	} {
		if _, err := Observe(&bad); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
	if Hash("596") != Hash("596") || Hash("596") == Hash("597") {
		t.Error("Hash is not a function of its input")
	}
}

func TestLargeFlag(t *testing.T) {
	lim := DefaultLimits
	base := uint32(1_600_000_000)
	var c Customer
	var tm Terminal
	add := func(sec uint32, cents uint64, id string) *Observation {
		t.Helper()
		o := obs(sec, cents, id, "t")
		c.Add(&o, &lim)
		tm.Add(&o, &lim)
		return &o
	}
	// Ten payments of 10.00 on days 0-9, and one of 500.00 on day 25 (a recent surge that the
	// old baseline must not see): on day 35 the baseline (day 5, day 21] holds days 6-9.
	for d := range uint32(10) {
		if o := add(base+d*Day, 1000, "old"+strconv.Itoa(int(d))); o.Large {
			t.Fatalf("day %d: no baseline yet, but flagged large", d)
		}
	}
	if o := add(base+25*Day, 50000, "surge"); !o.Large {
		t.Fatal("day 25: 500.00 against a baseline of days 0-9 at 10.00: not flagged")
	}
	for _, tc := range []struct {
		cents uint64
		large bool
	}{
		{2000, false}, // exactly 2 times the mean: not more
		{2001, true},
		{500, false},
	} {
		o := obs(base+35*Day, tc.cents, "p"+strconv.FormatUint(tc.cents, 10), "t")
		var probe Customer
		b, _ := c.AppendBinary(nil)
		if err := probe.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		probe.Add(&o, &lim)
		if o.Large != tc.large {
			t.Errorf("%d cents against a mean of 1000: Large = %v, want %v", tc.cents, o.Large, tc.large)
		}
	}
	big := add(base+35*Day, 2001, "big")
	if !big.Large {
		t.Fatal("2001 cents against a mean of 1000: not flagged")
	}
	last := tm.At(tm.Len() - 1)
	if !last.Large() || last.Fraud() {
		t.Fatalf("terminal event: large %v, fraud %v", last.Large(), last.Fraud())
	}
	if !tm.Label(big, true) || !last.Large() || !last.Fraud() {
		t.Fatalf("labelled fraud: large %v, fraud %v", last.Large(), last.Fraud())
	}
	if tm.At(0).Large() {
		t.Error("the first event is flagged large")
	}

	// The flag survives the codec, and a blob written before the flag existed (bit 2 of aux
	// clear) decodes with every event not large.
	b, _ := tm.AppendBinary(nil)
	var t2 Terminal
	if err := t2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if e := t2.At(t2.Len() - 1); !e.Large() || !e.Fraud() || !e.Labelled() {
		t.Errorf("decoded: large %v, fraud %v, labelled %v", e.Large(), e.Fraud(), e.Labelled())
	}
	old := []byte{blobVersion, kindTerminal, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(old[3:], base)
	binary.LittleEndian.PutUint32(old[7:], hash24(Hash("x"))<<8|flagFraud|flagLabelled)
	if err := t2.UnmarshalBinary(old); err != nil {
		t.Fatal(err)
	}
	if e := t2.At(0); t2.Len() != 1 || e.Large() || !e.Fraud() || !e.Labelled() || t2.Frauds() != 1 {
		t.Errorf("pre-flag blob: %d events, large %v, fraud %v, labelled %v", t2.Len(), e.Large(), e.Fraud(), e.Labelled())
	}
}

// TestSweepDue checks SweepDue's prediction against what Sweep does, on histories with and
// without folded days, at times before, across and after their events' expiry.
func TestSweepDue(t *testing.T) {
	lim := Limits{MaxEvents: 8}.WithDefaults()
	base := uint32(10 * Day)
	for _, events := range []int{0, 1, 5, 30} { // 30 > MaxEvents: folded days
		var c Customer
		var tm Terminal
		for i := range events {
			o := obs(base+uint32(i)*7200, 100, strconv.Itoa(i), "t") // one every two hours
			c.Add(&o, &lim)
			tm.Add(&o, &lim)
		}
		for dt := int64(0); dt <= 60*Day; dt += 3 * 3600 {
			now := int64(base) + dt
			check := func(name string, h interface {
				AppendBinary([]byte) ([]byte, error)
			}, due func() (bool, bool), sweep func() bool) {
				t.Helper()
				drops, empty := due()
				before, _ := h.AppendBinary(nil)
				gotEmpty := sweep()
				after, _ := h.AppendBinary(nil)
				if changed := string(before) != string(after); changed != drops || gotEmpty != empty {
					t.Fatalf("%s, %d events, now base+%ds: SweepDue %v/%v, Sweep changed %v, empty %v",
						name, events, dt, drops, empty, changed, gotEmpty)
				}
			}
			var cc Customer // Sweep changes them: check on copies, each from the unswept history
			var tc Terminal
			cb, _ := c.AppendBinary(nil)
			tb, _ := tm.AppendBinary(nil)
			if err := cc.UnmarshalBinary(cb); err != nil {
				t.Fatal(err)
			}
			if err := tc.UnmarshalBinary(tb); err != nil {
				t.Fatal(err)
			}
			check("customer", &cc, func() (bool, bool) { return cc.SweepDue(now, &lim) }, func() bool { return cc.Sweep(now, &lim) })
			check("terminal", &tc, func() (bool, bool) { return tc.SweepDue(now, &lim) }, func() bool { return tc.Sweep(now, &lim) })
		}
	}
}
