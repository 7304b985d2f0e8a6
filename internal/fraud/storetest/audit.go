package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func runAudit(t *testing.T, s Stores) {
	if s.Audit == nil {
		t.Skip("no AuditStore")
	}
	as := s.Audit
	_, err := as.LastAudit(ctx)
	wantErr(t, "LastAudit of an empty log", err, fraud.ErrNotFound)
	entry := func(seq uint64) fraud.AuditEntry {
		return fraud.AuditEntry{Seq: seq, Time: base.Add(time.Duration(seq) * time.Second), Actor: "key:k1",
			Action: "key.create", Target: "key:k" + string(rune('0'+seq)), Details: `{"role":"analyst"}`,
			PrevHash: bytes.Repeat([]byte{byte(seq - 1)}, 32), Hash: bytes.Repeat([]byte{byte(seq)}, 32)}
	}
	wantErr(t, "first entry not 1", as.AppendAudit(ctx, entry(2)), fraud.ErrConflict)
	for seq := uint64(1); seq <= 5; seq++ {
		must(t, "AppendAudit", as.AppendAudit(ctx, entry(seq)))
	}
	wantErr(t, "repeat", as.AppendAudit(ctx, entry(5)), fraud.ErrConflict)
	wantErr(t, "rewrite", as.AppendAudit(ctx, entry(3)), fraud.ErrConflict)
	wantErr(t, "gap", as.AppendAudit(ctx, entry(7)), fraud.ErrConflict)
	wantErr(t, "seq 0", as.AppendAudit(ctx, fraud.AuditEntry{Time: base, Action: "x"}), fraud.ErrInvalid)
	wantErr(t, "no action", as.AppendAudit(ctx, fraud.AuditEntry{Seq: 6, Time: base}), fraud.ErrInvalid)

	last, err := as.LastAudit(ctx)
	must(t, "LastAudit", err)
	sameEntry(t, *last, entry(5))

	scan := func(from uint64) []fraud.AuditEntry {
		var out []fraud.AuditEntry
		must(t, "ScanAudit", as.ScanAudit(ctx, from, func(e fraud.AuditEntry) error {
			out = append(out, e)
			return nil
		}))
		return out
	}
	for _, from := range []uint64{0, 1, 3, 5, 6} {
		got := scan(from)
		first := max(from, 1)
		if want := 5 - int(first) + 1; len(got) != max(want, 0) {
			t.Fatalf("scan from %d: %d entries, want %d", from, len(got), max(want, 0))
		}
		for i, e := range got {
			sameEntry(t, e, entry(first+uint64(i)))
		}
	}
	stop := errors.New("stop")
	var n int
	err = as.ScanAudit(ctx, 1, func(fraud.AuditEntry) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("ScanAudit with a stopping fn: err %v after %d entries, want stop after 2", err, n)
	}

	// Concurrent appenders that read the last entry and retry on conflict all get in, in order.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				for {
					last, err := as.LastAudit(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					err = as.AppendAudit(ctx, entry(last.Seq+1))
					if err == nil {
						break
					}
					if !errors.Is(err, fraud.ErrConflict) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	got := scan(1)
	if len(got) != 25 {
		t.Fatalf("%d entries after concurrent appends, want 25", len(got))
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
	}
}

func sameEntry(t *testing.T, got, want fraud.AuditEntry) {
	t.Helper()
	if got.Seq != want.Seq || !got.Time.Equal(want.Time) || got.Actor != want.Actor || got.Action != want.Action ||
		got.Target != want.Target || got.Details != want.Details || !bytes.Equal(got.PrevHash, want.PrevHash) ||
		!bytes.Equal(got.Hash, want.Hash) {
		t.Errorf("audit entry\n got %+v\nwant %+v", got, want)
	}
}
