package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Writer writes records in one layout. It buffers; call Flush (or use File, which does).
type Writer struct {
	layout Layout
	w      *bufio.Writer
	buf    []byte
	start  time.Time // handbook layout: the origin of TX_TIME_SECONDS and TX_TIME_DAYS
}

// NewWriter writes the metadata line (if meta is not empty) and the header of layout to w.
// For the handbook layout, meta["start"] (YYYY-MM-DD) sets the day TX_TIME_DAYS counts
// from; without it, the first record's day does.
func NewWriter(w io.Writer, layout Layout, meta Meta) (*Writer, error) {
	wr := &Writer{layout: layout, w: bufio.NewWriterSize(w, 256<<10)}
	if s := meta["start"]; s != "" && layout == LayoutHandbook {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("meta start: want YYYY-MM-DD")
		}
		wr.start = t
	}
	switch layout {
	case LayoutCSV, LayoutHandbook:
		if len(meta) > 0 {
			wr.w.WriteString("#")
			for _, k := range meta.keys() {
				fmt.Fprintf(wr.w, " %s=%s", k, strings.ReplaceAll(meta[k], " ", "_"))
			}
			wr.w.WriteString("\n")
		}
		cols := vigilColumns
		if layout == LayoutHandbook {
			cols = handbookColumns
		}
		wr.w.WriteString(strings.Join(cols, ","))
		wr.w.WriteString("\n")
	case LayoutJSONL:
		if len(meta) > 0 {
			b, err := json.Marshal(map[string]Meta{"_meta": meta})
			if err != nil {
				return nil, err
			}
			wr.w.Write(b)
			wr.w.WriteString("\n")
		}
	default:
		return nil, fmt.Errorf("unknown layout %d", layout)
	}
	return wr, nil
}

// jsonRecord is a Record's JSON Lines shape: the transaction's own fields (encoding/json
// writes the amount in its shortest exact form), then the ground truth.
type jsonRecord struct {
	fraud.Transaction
	Fraud    bool   `json:"fraud"`
	Scenario string `json:"fraud_scenario,omitempty"`
}

// Write writes one record. Amounts are written in their shortest exact form.
func (w *Writer) Write(r *Record) error {
	b := w.buf[:0]
	switch w.layout {
	case LayoutJSONL:
		jr := jsonRecord{Transaction: r.Transaction, Fraud: r.Fraud, Scenario: r.Scenario}
		jr.Timestamp = jr.Timestamp.UTC()
		out, err := json.Marshal(&jr)
		if err != nil {
			return err
		}
		b = append(append(b, out...), '\n')
	case LayoutCSV:
		b = appendField(b, r.ID)
		b = append(b, ',')
		b = r.Timestamp.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.Amount, 'f', -1, 64)
		for _, s := range [...]string{r.Currency, r.CustomerID, r.TerminalID, r.Card, r.MerchantCategory,
			r.Channel, r.Country, r.DeviceID, r.IP} {
			b = append(b, ',')
			b = appendField(b, s)
		}
		b = append(b, ',')
		b = appendBool01(b, r.Fraud)
		b = append(b, ',')
		b = appendField(b, r.Scenario)
		b = append(b, '\n')
	case LayoutHandbook:
		if w.start.IsZero() {
			w.start = r.Timestamp.UTC().Truncate(24 * time.Hour)
		}
		secs := int64(r.Timestamp.UTC().Sub(w.start) / time.Second)
		b = appendField(b, r.ID)
		b = append(b, ',')
		b = r.Timestamp.UTC().AppendFormat(b, HandbookTimeLayout)
		b = append(b, ',')
		b = appendField(b, r.CustomerID)
		b = append(b, ',')
		b = appendField(b, r.TerminalID)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.Amount, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, secs, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(DayOf(w.start, r.Timestamp)), 10)
		b = append(b, ',')
		b = appendBool01(b, r.Fraud)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(HandbookScenarioCode(r.Scenario)), 10)
		b = append(b, '\n')
	}
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

func appendBool01(b []byte, v bool) []byte {
	if v {
		return append(b, '1')
	}
	return append(b, '0')
}

// appendField appends s as one CSV field, quoted only when it must be.
func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] != ' ' && s[0] != '\t')) {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// File writes a history to a path atomically: the data goes to a temporary file beside it
// and replaces path only on Commit, so a failed run leaves nothing half-written behind.
type File struct {
	*Writer
	pf *renameio.PendingFile
}

// Create starts writing a history to path in layout.
func Create(path string, layout Layout, meta Meta) (*File, error) {
	pf, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o640))
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(pf, layout, meta)
	if err != nil {
		pf.Cleanup()
		return nil, err
	}
	return &File{Writer: w, pf: pf}, nil
}

// Commit flushes, syncs and moves the file into place.
func (f *File) Commit() error {
	if err := f.Flush(); err != nil {
		f.pf.Cleanup()
		return err
	}
	if err := f.pf.CloseAtomicallyReplace(); err != nil {
		f.pf.Cleanup() // the temporary file holds the whole history: never leave it behind
		return err
	}
	return nil
}

// Abort discards everything written. It is safe to call after Commit (it does nothing).
func (f *File) Abort() { f.pf.Cleanup() }
