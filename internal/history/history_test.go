package history

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func sampleRecords() []Record {
	t0 := time.Date(2018, 4, 1, 0, 0, 31, 0, time.UTC)
	return []Record{
		{Transaction: fraud.Transaction{ID: "0", Timestamp: t0, Amount: 57.16, Currency: "EUR", CustomerID: "596",
			TerminalID: "3156", Card: "tok_a1", MerchantCategory: "5411", Channel: "pos", Country: "FR",
			DeviceID: "d-1", IP: "192.0.2.1"}},
		{Transaction: fraud.Transaction{ID: "1", Timestamp: t0.Add(26 * time.Hour), Amount: 230.5, Currency: "EUR",
			CustomerID: "4961", TerminalID: "3412"}, Fraud: true, Scenario: ScenarioHighAmount},
		{Transaction: fraud.Transaction{ID: "2", Timestamp: t0.Add(50 * time.Hour), Amount: 0.01, Currency: "EUR",
			CustomerID: "2", TerminalID: "t-1", Attributes: map[string]string{"k": "v"}}, Fraud: true, Scenario: ScenarioCardTesting},
	}
}

func readAll(t *testing.T, r io.Reader) (*Reader, []Record) {
	t.Helper()
	rd, err := NewReader(r)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []Record
	for {
		var rec Record
		err := rd.Read(&rec)
		if err == io.EOF {
			return rd, out
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	meta := Meta{"classification": "synthetic", "seed": "1", "start": "2018-04-01"}
	for _, layout := range []Layout{LayoutCSV, LayoutJSONL, LayoutHandbook} {
		t.Run(layout.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, layout, meta)
			if err != nil {
				t.Fatal(err)
			}
			in := sampleRecords()
			if layout == LayoutHandbook {
				in[2].TerminalID = "7" // the handbook layout carries plain ids
			}
			for i := range in {
				if err := w.Write(&in[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			rd, got := readAll(t, &buf)
			if rd.Layout() != layout {
				t.Errorf("layout = %v, want %v", rd.Layout(), layout)
			}
			if rd.Meta().Classification() != "synthetic" || rd.Meta()["seed"] != "1" {
				t.Errorf("meta = %v", rd.Meta())
			}
			if len(got) != len(in) {
				t.Fatalf("read %d records, want %d", len(got), len(in))
			}
			for i := range in {
				want := in[i]
				if layout == LayoutHandbook { // the handbook keeps only its own columns
					want.Transaction = fraud.Transaction{ID: want.ID, Timestamp: want.Timestamp, Amount: want.Amount,
						Currency: HandbookCurrency, CustomerID: want.CustomerID, TerminalID: want.TerminalID}
				}
				if layout == LayoutCSV {
					want.Attributes = nil // CSV has no attributes column
				}
				g := got[i]
				if g.ID != want.ID || !g.Timestamp.Equal(want.Timestamp) || g.Amount != want.Amount ||
					g.Currency != want.Currency || g.CustomerID != want.CustomerID || g.TerminalID != want.TerminalID ||
					g.Card != want.Card || g.IP != want.IP || g.Country != want.Country || g.Fraud != want.Fraud ||
					g.Scenario != want.Scenario || len(g.Attributes) != len(want.Attributes) {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want)
				}
			}
		})
	}
}

// The handbook's own files, as exported from its pandas frames, often carry a leading
// unnamed index column and no metadata line.
const handbookSample = `,TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO
0,0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0
1,1,2018-04-01 00:02:10,4961,3412,81.51,130,0,0,0
2,2,2018-04-01 00:07:56,2,1365,146.0,476,0,0,0
3,3,2018-04-01 00:09:29,4128,8737,264.98,569,0,1,1
`

func TestReadHandbookLayout(t *testing.T) {
	rd, got := readAll(t, strings.NewReader(handbookSample))
	if rd.Layout() != LayoutHandbook {
		t.Fatalf("layout = %v", rd.Layout())
	}
	if len(got) != 4 {
		t.Fatalf("got %d records", len(got))
	}
	r := got[3]
	if r.ID != "3" || r.CustomerID != "4128" || r.TerminalID != "8737" || r.Amount != 264.98 ||
		!r.Fraud || r.Scenario != ScenarioHighAmount || !r.Timestamp.Equal(time.Date(2018, 4, 1, 0, 9, 29, 0, time.UTC)) {
		t.Fatalf("record = %+v", r)
	}
}

func TestBadLinesAreNamed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"handbook bad date", strings.Replace(handbookSample, "2018-04-01 00:02:10", "01/04/2018", 1),
			"line 3: TX_DATETIME: must look like 2018-04-01 00:00:31"},
		{"handbook negative amount", strings.Replace(handbookSample, "146.0", "-1", 1), "line 4: amount: must be > 0"},
		{"handbook bad label", strings.Replace(handbookSample, "264.98,569,0,1,1", "264.98,569,0,yes,1", 1), "line 5: TX_FRAUD: must be 0 or 1"},
		{"vigil csv raw card", "# classification=synthetic\n" + strings.Join(vigilColumns, ",") +
			"\n0,2018-04-01T00:00:31Z,1,EUR,c,t,4111111111111111,,,,,,0,\n",
			"line 3: card: looks like a raw card number (Luhn-valid 13-19 digits); send a token"},
		{"csv quote error", strings.Join(vigilColumns, ",") + "\n0,\"x,1\n", "line 2:"},
		{"jsonl unknown field", `{"_meta":{"classification":"synthetic"}}` + "\n" +
			`{"id":"1","timestamp":"2018-04-01T00:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t","fraud":false}` + "\n" +
			`{"id":"2","timestamp":"2018-04-01T00:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t","colour":1}` + "\n",
			"line 3: colour: unknown field"},
		{"jsonl malformed", `{"id":"1",` + "\n", "line 1: malformed input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			for {
				var rec Record
				err = rd.Read(&rec)
				if err != nil {
					break
				}
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T), want *LineError", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestUnknownHeader(t *testing.T) {
	_, err := NewReader(strings.NewReader("a,b,c\n1,2,3\n"))
	if !errors.Is(err, ErrLayout) {
		t.Fatalf("err = %v, want ErrLayout", err)
	}
	if _, err := NewReader(strings.NewReader("")); !errors.Is(err, ErrLayout) {
		t.Fatalf("empty: err = %v, want ErrLayout", err)
	}
}

func TestCreateIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.csv")
	f, err := Create(path, LayoutCSV, Meta{"classification": "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	recs := sampleRecords()
	if err := f.Write(&recs[0]); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("abort left files: %v", entries)
	}
	f, _ = Create(path, LayoutCSV, Meta{"classification": "synthetic"})
	for i := range recs {
		f.Write(&recs[i])
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // harmless after Commit
	fr, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	n := 0
	for {
		var r Record
		if err := fr.Read(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(recs) {
		t.Fatalf("read back %d records, want %d", n, len(recs))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("want exactly the committed file, got %v", entries)
	}
}

func TestLayoutOf(t *testing.T) {
	for path, want := range map[string]Layout{"a.csv": LayoutCSV, "b.JSONL": LayoutJSONL, "c.ndjson": LayoutJSONL} {
		if got, err := LayoutOf(path); err != nil || got != want {
			t.Errorf("LayoutOf(%q) = %v, %v", path, got, err)
		}
	}
	if _, err := LayoutOf("x.parquet"); err == nil {
		t.Error("want an error for .parquet")
	}
}

func TestDayOf(t *testing.T) {
	start := time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		t    time.Time
		want int
	}{
		{start, 0}, {start.Add(86399 * time.Second), 0}, {start.Add(86400 * time.Second), 1},
		{start.Add(-time.Second), -1}, {start.Add(-86400 * time.Second), -1}, {start.Add(-86401 * time.Second), -2},
	} {
		if got := DayOf(start, tt.t); got != tt.want {
			t.Errorf("DayOf(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

// FuzzReader checks that no file content makes the reader panic or loop, and that every
// failure is a line error or a layout error.
func FuzzReader(f *testing.F) {
	f.Add([]byte(handbookSample))
	f.Add([]byte("# classification=synthetic\n" + strings.Join(vigilColumns, ",") + "\n0,2018-04-01T00:00:31Z,1,EUR,c,t,,,,,,,0,\n"))
	f.Add([]byte(`{"_meta":{"classification":"synthetic"}}` + "\n" +
		`{"id":"1","timestamp":"2018-04-01T00:00:00Z","amount":1,"currency":"EUR","customer_id":"c","terminal_id":"t","fraud":true}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i <= len(data)+1; i++ {
			var rec Record
			err := rd.Read(&rec)
			if err == io.EOF {
				return
			}
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error is not a *LineError: %T %v", err, err)
				}
				return
			}
			if err := rec.Validate(); err != nil {
				t.Fatalf("returned an invalid record: %v", err)
			}
		}
		t.Fatal("reader returned more records than input bytes")
	})
}

func BenchmarkReadHandbookCSV(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, LayoutHandbook, nil)
	rec := sampleRecords()[0]
	rec.TerminalID = "3156"
	for i := range 10000 {
		rec.Timestamp = rec.Timestamp.Add(time.Duration(i) * time.Second)
		w.Write(&rec)
	}
	w.Flush()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		var r Record
		for rd.Read(&r) == nil {
		}
	}
}
