package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

func init() {
	register(command{
		name:    "features",
		summary: "replay a history through the feature engine and write its feature table (CSV)",
		run:     runFeatures,
	})
}

const featuresExample = `vigil features --data handbook.csv --out features.csv --columns handbook
vigil features --data history.jsonl --out features.csv --label-delay 240h --json`

// featuresReport is what features prints with --json, as its last line.
type featuresReport struct {
	Data           string  `json:"data"`
	Out            string  `json:"out"`
	Columns        string  `json:"columns"`
	Features       int     `json:"features"`
	FeatureSet     string  `json:"feature_set"`
	LabelDelay     string  `json:"label_delay"`
	Rows           int64   `json:"rows"`
	Labels         int64   `json:"labels"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	RowsPerSecond  float64 `json:"rows_per_second"`
}

func runFeatures(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "features", "--data FILE --out FILE [flags]", featuresExample)
	data := fs.String("data", "", "the history to replay, in file order: vigil CSV, JSON Lines or the handbook's CSV (required)")
	out := fs.String("out", "", "the feature table to write, CSV, one row per transaction (required)")
	columns := fs.String("columns", "vigil", "vigil: vigil's names and every feature;\nhandbook: the handbook's fifteen inputs named as it names them, with TRANSACTION_ID, TX_DATETIME,\nCUSTOMER_ID, TERMINAL_ID, TX_FRAUD and TX_FRAUD_SCENARIO")
	delay := fs.Duration("label-delay", feature.DefaultLabelDelay, "how long after a transaction its ground truth reaches the feature state;\nup to 168h (the terminal windows' 7-day delay) the terminal risk is exactly the handbook's")
	noLabels := fs.Bool("no-labels", false, "feed no ground truth at all (terminal risk stays 0)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last line")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "vigil features: "+format+"\n", a...)
		return errUsage
	}
	switch {
	case *data == "":
		return usageErr("--data FILE is required")
	case *out == "":
		return usageErr("--out FILE is required")
	case *columns != "vigil" && *columns != "handbook":
		return usageErr("--columns must be vigil or handbook, got %q", *columns)
	case *delay < time.Second:
		return usageErr("--label-delay must be at least 1s, got %v (use --no-labels for none)", *delay)
	}
	handbook := *columns == "handbook"

	began := time.Now()
	r, err := history.Open(*data)
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	defer r.Close()
	total, _ := countLines(*data)

	st, err := memory.Open(memory.Options{})
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	defer st.Close()
	eng, err := feature.New(feature.Options{State: st})
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}

	pf, err := renameio.NewPendingFile(*out, renameio.WithPermissions(0o640))
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	defer pf.Cleanup() // removes the temporary file unless it was committed

	// Three stages, so parsing, the engine and formatting use the cores there are: a reader
	// goroutine parses records ahead, Replay runs the engine here (in file order, the only
	// order that is point in time), a writer goroutine formats and writes the rows.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := readAhead(runCtx, r)
	tw := newTableWriter(pf, handbook)
	p := newProgress(e.stderr, "features", total, "rows")
	stats, err := feature.Replay(runCtx, in, eng, feature.ReplayOptions{
		LabelDelay: *delay,
		NoLabels:   *noLabels,
		Progress:   func(n int64) { p.Set(n) },
	}, tw.row)
	p.Finish(stats.Records)
	cancel() // stops the reader if Replay stopped early
	if werr := tw.close(); err == nil {
		err = werr
	}
	if err == nil {
		err = pf.CloseAtomicallyReplace()
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("features: interrupted after %d rows; %s not written", stats.Records, *out)
		}
		var le *history.LineError
		if errors.As(err, &le) {
			return fmt.Errorf("features: %s: %w; %s not written", *data, err, *out)
		}
		return fmt.Errorf("features: %s not written: %w", *out, err)
	}

	elapsed := time.Since(began).Seconds()
	rep := featuresReport{
		Data: *data, Out: *out, Columns: *columns, Features: tw.nf, FeatureSet: feature.Version,
		LabelDelay: delay.String(), Rows: stats.Records, Labels: stats.Labels,
		ElapsedSeconds: elapsed, RowsPerSecond: float64(stats.Records) / max(elapsed, 1e-9),
	}
	if *noLabels {
		rep.LabelDelay = "none"
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d rows x %d features (%s columns, feature set %s)\n",
		rep.Out, rep.Rows, rep.Features, rep.Columns, rep.FeatureSet)
	fmt.Fprintf(e.stdout, "  labels fed %d (delay %s)\n", rep.Labels, rep.LabelDelay)
	fmt.Fprintf(e.stdout, "  elapsed    %s (%.0f rows/s)\n", time.Duration(elapsed*float64(time.Second)).Round(time.Millisecond), rep.RowsPerSecond)
	return nil
}

// batchSize is the number of records handed from one stage to the next at a time.
const batchSize = 1024

// aheadReader reads records in a goroutine, a batch ahead of its user.
type aheadReader struct {
	full  chan recordBatch
	free  chan []history.Record
	cur   recordBatch
	i     int
	final error // the error that ended the stream (io.EOF at the end)
}

type recordBatch struct {
	recs []history.Record
	err  error // after recs: io.EOF or the reader's error
}

// readAhead starts reading r; the goroutine stops at the end of r, on an error, or when ctx
// is done.
func readAhead(ctx context.Context, r feature.RecordReader) *aheadReader {
	a := &aheadReader{full: make(chan recordBatch, 4), free: make(chan []history.Record, 5)}
	for range 5 {
		a.free <- make([]history.Record, batchSize)
	}
	go func() {
		for {
			var recs []history.Record
			select {
			case recs = <-a.free:
			case <-ctx.Done():
				return
			}
			b := recordBatch{recs: recs[:0]}
			for len(b.recs) < batchSize {
				b.recs = b.recs[:len(b.recs)+1]
				if err := r.Read(&b.recs[len(b.recs)-1]); err != nil {
					b.recs, b.err = b.recs[:len(b.recs)-1], err
					break
				}
			}
			select {
			case a.full <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return a
}

// Read returns the next record (feature.RecordReader).
func (a *aheadReader) Read(rec *history.Record) error {
	for a.i == len(a.cur.recs) {
		if a.final != nil {
			return a.final
		}
		if a.cur.recs != nil {
			a.free <- a.cur.recs[:cap(a.cur.recs)]
		}
		a.cur, a.i = <-a.full, 0
		a.final = a.cur.err
	}
	*rec = a.cur.recs[a.i]
	a.i++
	return nil
}

// tableWriter formats and writes the feature table in a goroutine, one CSV row per record.
type tableWriter struct {
	handbook bool
	nf       int // features written per row
	batch    []tableRow
	full     chan []tableRow
	free     chan []tableRow
	done     chan error
	failed   error
}

// tableRow is what a row needs of a record and its features.
type tableRow struct {
	id, customer, terminal, scenario string
	ts                               time.Time
	fraud                            bool
	features                         [feature.NumFeatures]float64
}

func newTableWriter(w io.Writer, handbook bool) *tableWriter {
	t := &tableWriter{handbook: handbook, nf: feature.NumFeatures,
		full: make(chan []tableRow, 4), free: make(chan []tableRow, 5), done: make(chan error, 1)}
	if handbook {
		t.nf = feature.HandbookCount
	}
	for range 4 {
		t.free <- make([]tableRow, 0, batchSize)
	}
	t.batch = make([]tableRow, 0, batchSize)
	go t.write(bufio.NewWriterSize(w, 1<<20))
	return t
}

// write is the writer goroutine: it writes the header, then every batch until full is
// closed, and reports how that went on done. On a write error it stops at once.
func (t *tableWriter) write(w *bufio.Writer) {
	cols := append([]string(nil), vigilKeys...)
	cols = append(cols, feature.Names()...)
	if t.handbook {
		cols = append(append([]string(nil), handbookKeys...), feature.HandbookNames()...)
	}
	_, err := w.WriteString(strings.Join(cols, ",") + "\n")
	var b []byte
	for batch := range t.full {
		for i := 0; i < len(batch) && err == nil; i++ {
			b = t.appendRow(b[:0], &batch[i])
			_, err = w.Write(b)
		}
		if err != nil {
			t.done <- err
			return
		}
		t.free <- batch[:0]
	}
	t.done <- w.Flush()
}

// row queues the row of one record (the callback of feature.Replay).
func (t *tableWriter) row(rec *history.Record, f []float64) error {
	if t.failed != nil {
		return t.failed
	}
	t.batch = append(t.batch, tableRow{id: rec.ID, customer: rec.CustomerID, terminal: rec.TerminalID,
		scenario: rec.Scenario, ts: rec.Timestamp, fraud: rec.Fraud})
	copy(t.batch[len(t.batch)-1].features[:], f)
	if len(t.batch) == batchSize {
		select {
		case t.full <- t.batch:
		case err := <-t.done: // the writer stopped early: it failed
			t.failed = err
			return err
		}
		select {
		case t.batch = <-t.free:
		case err := <-t.done:
			t.failed = err
			return err
		}
	}
	return nil
}

// close writes what is queued, waits for the writer and returns its first error.
func (t *tableWriter) close() error {
	if t.failed != nil {
		return t.failed
	}
	if len(t.batch) > 0 {
		select {
		case t.full <- t.batch:
		case err := <-t.done:
			return err
		}
	}
	close(t.full)
	return <-t.done
}

// handbookKeys are the columns written before the handbook's inputs, as its transformed
// data names them.
var handbookKeys = []string{"TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_FRAUD", "TX_FRAUD_SCENARIO"}

// vigilKeys are the columns written before the features in vigil's naming.
var vigilKeys = []string{"transaction_id", "timestamp", "customer_id", "terminal_id", "fraud", "fraud_scenario"}

func (t *tableWriter) appendRow(b []byte, r *tableRow) []byte {
	b = appendCSVField(b, r.id)
	b = append(b, ',')
	if t.handbook {
		b = r.ts.UTC().AppendFormat(b, history.HandbookTimeLayout)
	} else {
		b = r.ts.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	b = append(b, ',')
	b = appendCSVField(b, r.customer)
	b = append(b, ',')
	b = appendCSVField(b, r.terminal)
	b = append(b, ',')
	if r.fraud {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	b = append(b, ',')
	if t.handbook {
		b = strconv.AppendInt(b, int64(history.HandbookScenarioCode(r.scenario)), 10)
	} else {
		b = appendCSVField(b, r.scenario)
	}
	for _, v := range r.features[:t.nf] {
		b = append(b, ',')
		b = appendValue(b, v)
	}
	return append(b, '\n')
}

// appendValue writes a feature value: integers without a fraction, other numbers in their
// shortest exact decimal form, a missing value as NaN.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendCSVField appends s as one CSV field, quoted only when it must be.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// countLines counts the lines of a file, for the progress bar's total (a header line or two
// too many does not matter there).
func countLines(path string) (int64, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator names the file to read
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
