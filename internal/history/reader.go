package history

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// maxLine bounds one line of a JSON Lines file (and of the metadata line).
const maxLine = 1 << 20

// vigilColumns are the columns of vigil's CSV layout, in order.
var vigilColumns = []string{
	"transaction_id", "timestamp", "amount", "currency", "customer_id", "terminal_id", "card",
	"merchant_category", "channel", "country", "device_id", "ip", "fraud", "fraud_scenario",
}

// handbookColumns are the handbook's columns, in its order. Readers find them by name.
var handbookColumns = []string{
	"TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT",
	"TX_TIME_SECONDS", "TX_TIME_DAYS", "TX_FRAUD", "TX_FRAUD_SCENARIO",
}

// HandbookCurrency is the currency given to handbook records, which carry none: ISO 4217's
// code for "no currency".
const HandbookCurrency = "XXX"

// Reader reads the records of one history, in file order. It is not safe for concurrent use.
type Reader struct {
	layout Layout
	meta   Meta
	br     *bufio.Reader
	csv    *csv.Reader
	col    map[string]int // column name -> index, for CSV layouts
	line   int            // JSONL: lines consumed so far
}

// NewReader recognises the layout of r from its first lines and returns a reader
// positioned at the first record. It fails with ErrLayout for an unknown header.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 256<<10), meta: Meta{}}
	first, err := rd.peekLine()
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(first, []byte("#")) {
		line, err := rd.readLine()
		if err != nil {
			return nil, err
		}
		rd.meta = parseMetaLine(string(line[1:]))
		if first, err = rd.peekLine(); err != nil {
			return nil, err
		}
	}
	if bytes.HasPrefix(bytes.TrimSpace(first), []byte("{")) {
		rd.layout = LayoutJSONL
		return rd, rd.readJSONMeta(first)
	}
	return rd, rd.readCSVHeader()
}

// Layout returns the layout recognised.
func (r *Reader) Layout() Layout { return r.layout }

// Meta returns the metadata line of the file (empty when there was none).
func (r *Reader) Meta() Meta { return r.meta }

// Read reads the next record into rec. It returns io.EOF after the last record and a
// *LineError for a bad line; after an error other than io.EOF the reader should not be used.
func (r *Reader) Read(rec *Record) error {
	if r.layout == LayoutJSONL {
		return r.readJSON(rec)
	}
	fields, err := r.csv.Read()
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &LineError{Line: pe.StartLine + r.line, Err: pe.Err}
		}
		return err
	}
	line, _ := r.csv.FieldPos(0)
	line += r.line
	if r.layout == LayoutHandbook {
		err = r.handbookRecord(fields, rec)
	} else {
		err = r.vigilRecord(fields, rec)
	}
	if err != nil {
		return &LineError{Line: line, Err: err}
	}
	if err := rec.Validate(); err != nil {
		return &LineError{Line: line, Err: err}
	}
	return nil
}

func (r *Reader) peekLine() ([]byte, error) {
	for n := 64; ; n *= 2 {
		b, err := r.br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i], nil
		}
		if err != nil {
			if len(b) == 0 {
				return nil, fmt.Errorf("%w: empty file", ErrLayout)
			}
			return b, nil
		}
		if n >= maxLine {
			return nil, fmt.Errorf("line 1: longer than %d bytes", maxLine)
		}
	}
}

func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: read it whole, within maxLine.
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull && len(buf) <= maxLine {
			line, err = r.br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		if len(buf) > maxLine {
			r.line++
			return nil, &LineError{Line: r.line, Err: fmt.Errorf("longer than %d bytes", maxLine)}
		}
		line = buf
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	r.line++
	return bytes.TrimRight(line, "\r\n"), nil
}

// parseMetaLine reads "key=value key=value" pairs.
func parseMetaLine(s string) Meta {
	m := Meta{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if ok && k != "" {
			m[k] = v
		}
	}
	return m
}

func (r *Reader) readCSVHeader() error {
	r.csv = csv.NewReader(r.br)
	r.csv.ReuseRecord = true
	r.csv.FieldsPerRecord = 0 // every row has the header's fields: a cut or padded row is an error
	header, err := r.csv.Read()
	if err != nil {
		return fmt.Errorf("line %d: %w: cannot read the header", r.line+1, ErrLayout)
	}
	headerLine := r.line + 1
	r.col = make(map[string]int, len(header))
	for i, h := range header {
		r.col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	switch {
	case hasAll(r.col, "TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"):
		r.layout = LayoutHandbook
	case hasAll(r.col, vigilColumns[:6]...):
		r.layout = LayoutCSV
	default:
		return fmt.Errorf("line %d: %w: want vigil's columns (%s) or the handbook's (%s)",
			headerLine, ErrLayout, strings.Join(vigilColumns[:6], ","), strings.Join(handbookColumns, ","))
	}
	// r.line stays the number of lines read before the csv reader started (the metadata
	// line, if any): csv line numbers plus r.line are file line numbers.
	return nil
}

func hasAll(col map[string]int, names ...string) bool {
	for _, n := range names {
		if _, ok := col[n]; !ok {
			return false
		}
	}
	return true
}

func (r *Reader) field(fields []string, name string) string {
	i, ok := r.col[name]
	if !ok || i >= len(fields) {
		return ""
	}
	return fields[i]
}

func (r *Reader) vigilRecord(f []string, rec *Record) error {
	var v fraud.ValidationError
	*rec = Record{}
	t := &rec.Transaction
	t.ID = r.field(f, "transaction_id")
	if s := r.field(f, "timestamp"); s != "" {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.Fields = append(v.Fields, fraud.FieldError{Path: "timestamp", Reason: "not RFC 3339 (e.g. 2026-11-24T12:00:00Z)"})
		}
		t.Timestamp = ts
	}
	parseAmount(&v, "amount", r.field(f, "amount"), &t.Amount)
	t.Currency = r.field(f, "currency")
	t.CustomerID = r.field(f, "customer_id")
	t.TerminalID = r.field(f, "terminal_id")
	t.Card = r.field(f, "card")
	t.MerchantCategory = r.field(f, "merchant_category")
	t.Channel = r.field(f, "channel")
	t.Country = r.field(f, "country")
	t.DeviceID = r.field(f, "device_id")
	t.IP = r.field(f, "ip")
	parseFraud(&v, "fraud", r.field(f, "fraud"), &rec.Fraud)
	rec.Scenario = r.field(f, "fraud_scenario")
	if !knownScenario(rec.Scenario) {
		v.Fields = append(v.Fields, fraud.FieldError{Path: "fraud_scenario", Reason: reasonScenario})
	}
	if len(v.Fields) > 0 {
		return &v
	}
	return nil
}

func (r *Reader) handbookRecord(f []string, rec *Record) error {
	var v fraud.ValidationError
	*rec = Record{}
	t := &rec.Transaction
	t.ID = r.field(f, "TRANSACTION_ID")
	t.Currency = HandbookCurrency
	if s := r.field(f, "TX_DATETIME"); s != "" {
		ts, err := time.Parse(HandbookTimeLayout, s)
		if err != nil {
			v.Fields = append(v.Fields, fraud.FieldError{Path: "TX_DATETIME", Reason: "must look like 2018-04-01 00:00:31"})
		}
		t.Timestamp = ts
	}
	t.CustomerID = r.field(f, "CUSTOMER_ID")
	t.TerminalID = r.field(f, "TERMINAL_ID")
	parseAmount(&v, "TX_AMOUNT", r.field(f, "TX_AMOUNT"), &t.Amount)
	parseFraud(&v, "TX_FRAUD", r.field(f, "TX_FRAUD"), &rec.Fraud)
	if s := r.field(f, "TX_FRAUD_SCENARIO"); s != "" {
		code, err := strconv.Atoi(s)
		name, ok := handbookName(code)
		if err != nil || !ok {
			v.Fields = append(v.Fields, fraud.FieldError{Path: "TX_FRAUD_SCENARIO", Reason: "must be an integer scenario code 0-6"})
		}
		rec.Scenario = name
	}
	if len(v.Fields) > 0 {
		return &v
	}
	return nil
}

func parseAmount(v *fraud.ValidationError, path, s string, dst *float64) {
	if s == "" {
		return // Validate reports it as required
	}
	a, err := strconv.ParseFloat(s, 64)
	if err != nil {
		v.Fields = append(v.Fields, fraud.FieldError{Path: path, Reason: "must be a number"})
		return
	}
	*dst = a
}

func parseFraud(v *fraud.ValidationError, path, s string, dst *bool) {
	switch s {
	case "0", "false", "":
		*dst = false
	case "1", "true":
		*dst = true
	default:
		v.Fields = append(v.Fields, fraud.FieldError{Path: path, Reason: "must be 0 or 1"})
	}
}

// jsonExtras are the fields a JSON Lines record carries beside the transaction's own.
var jsonExtras = []string{"fraud", "fraud_scenario"}

func (r *Reader) readJSONMeta(first []byte) error {
	var probe struct {
		Meta map[string]string `json:"_meta"`
	}
	if json.Unmarshal(first, &probe) == nil && probe.Meta != nil {
		if _, err := r.readLine(); err != nil {
			return err
		}
		for k, v := range probe.Meta {
			r.meta[k] = v
		}
	}
	return nil
}

func (r *Reader) readJSON(rec *Record) error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		t, extras, err := fraud.DecodeTransactionExtra(line, jsonExtras)
		if err != nil {
			return &LineError{Line: r.line, Err: err}
		}
		*rec = Record{Transaction: t}
		if raw, ok := extras["fraud"]; ok {
			if err := json.Unmarshal(raw, &rec.Fraud); err != nil {
				return &LineError{Line: r.line, Err: &fraud.ValidationError{Fields: []fraud.FieldError{{Path: "fraud", Reason: "must be true or false"}}}}
			}
		}
		if raw, ok := extras["fraud_scenario"]; ok {
			if err := json.Unmarshal(raw, &rec.Scenario); err != nil {
				return &LineError{Line: r.line, Err: &fraud.ValidationError{Fields: []fraud.FieldError{{Path: "fraud_scenario", Reason: "must be a string"}}}}
			}
			if !knownScenario(rec.Scenario) {
				return &LineError{Line: r.line, Err: &fraud.ValidationError{Fields: []fraud.FieldError{{Path: "fraud_scenario", Reason: reasonScenario}}}}
			}
		}
		return nil
	}
}

// FileReader is a Reader over a file it owns.
type FileReader struct {
	*Reader
	f *os.File
}

// Open opens the history at path and recognises its layout.
func Open(path string) (*FileReader, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator names the file to read
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &FileReader{Reader: r, f: f}, nil
}

// Close closes the file.
func (r *FileReader) Close() error { return r.f.Close() }
