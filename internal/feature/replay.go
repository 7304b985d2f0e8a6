package feature

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// DefaultLabelDelay is the default delay after which Replay feeds a transaction's ground truth
// to the state: the terminal windows' delay, so every label a terminal window can see is
// known, as in the handbook.
const DefaultLabelDelay = 7 * 24 * time.Hour

// RecordReader reads history records in order; *history.Reader and *history.FileReader are
// RecordReaders. Read returns io.EOF after the last record.
type RecordReader interface {
	Read(rec *history.Record) error
}

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// LabelDelay is how long after its transaction's time a record's ground truth (Fraud) is
	// fed to the engine with Label (default DefaultLabelDelay). A label due at time d reaches
	// the state before the first record whose time is at least d is computed. With a delay of
	// at most 7 days (the terminal delay) the features are those of a state that knows every
	// label: the handbook's definition. Longer delays leave recent frauds unknown, as in
	// production.
	LabelDelay time.Duration
	// NoLabels feeds no label at all (terminal risk stays 0).
	NoLabels bool
	// AllLabels feeds the ground truth of legitimate transactions too. By default only
	// frauds are fed: an unlabelled transaction counts as legitimate in every feature, so
	// legitimate labels change no feature value, and skipping them saves a state lookup per
	// record (a fifth of the replay's time).
	AllLabels bool
	// Progress, when set, is called with the number of records done about every 65,536
	// records and once at the end.
	Progress func(records int64)
}

// ReplayStats counts what Replay did.
type ReplayStats struct {
	Records int64 // records read, computed and added
	Labels  int64 // labels fed
}

// Replay runs the records of r, in their order, through e exactly as serving would: for each
// record, the labels that are due by its time are fed with Label, its features are computed
// with Compute and passed to fn, then it is added with Update. fn's features slice is reused:
// it is valid only during the call. This is how training data is made, so training and
// serving share one engine and cannot drift apart.
//
// Replay stops at the first error: a bad record (the reader's *history.LineError), a failing
// engine or fn (returned as is), or ctx being done (ctx.Err()), checked every 4,096 records.
// The engine's state then holds what was replayed so far.
func Replay(ctx context.Context, r RecordReader, e *Engine, opts ReplayOptions, fn func(rec *history.Record, features []float64) error) (ReplayStats, error) {
	delay := opts.LabelDelay
	if delay == 0 {
		delay = DefaultLabelDelay
	}
	delaySec := int64((delay + time.Second - 1) / time.Second)
	var (
		st       ReplayStats
		rec      history.Record
		features = make([]float64, NumFeatures)
		pending  labelQueue
		lt       fraud.Transaction // scratch for Label
		clock    int64             // the newest record time so far: labels due by it are fed
		started  bool
	)
	for {
		if st.Records&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if opts.Progress != nil && st.Records&65535 == 0 && st.Records > 0 {
				opts.Progress(st.Records)
			}
		}
		err := r.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, err
		}
		sec := rec.Timestamp.Unix()
		if !started || sec > clock {
			clock, started = sec, true
		}
		for pending.len() > 0 && pending.min().due <= clock {
			l := pending.pop()
			lt = fraud.Transaction{ID: l.id, Timestamp: time.Unix(l.sec, 0), CustomerID: l.customer, TerminalID: l.terminal}
			if err := e.Label(ctx, &lt, l.fraud); err != nil {
				return st, fmt.Errorf("label: %w", err)
			}
			st.Labels++
		}
		if err := e.Compute(ctx, &rec.Transaction, features); err != nil {
			return st, fmt.Errorf("transaction %s: %w", rec.ID, err)
		}
		if err := fn(&rec, features); err != nil {
			return st, err
		}
		if err := e.Update(ctx, &rec.Transaction); err != nil {
			return st, fmt.Errorf("transaction %s: %w", rec.ID, err)
		}
		st.Records++
		if !opts.NoLabels && (rec.Fraud || opts.AllLabels) {
			pending.push(pendingLabel{due: sec + delaySec, seq: st.Records, sec: sec, id: rec.ID,
				customer: rec.CustomerID, terminal: rec.TerminalID, fraud: rec.Fraud})
		}
	}
	if opts.Progress != nil {
		opts.Progress(st.Records)
	}
	return st, nil
}

// pendingLabel is a ground truth waiting for its due time.
type pendingLabel struct {
	due, seq, sec          int64
	id, customer, terminal string
	fraud                  bool
}

// labelQueue is a min-heap of pending labels by due time, then by arrival (so labels due at
// the same second are fed in record order).
type labelQueue struct{ h []pendingLabel }

func (q *labelQueue) len() int           { return len(q.h) }
func (q *labelQueue) min() *pendingLabel { return &q.h[0] }
func (q *labelQueue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	return a.due < b.due || a.due == b.due && a.seq < b.seq
}

func (q *labelQueue) push(l pendingLabel) {
	q.h = append(q.h, l)
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *labelQueue) pop() pendingLabel {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = pendingLabel{}
	q.h = q.h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}
