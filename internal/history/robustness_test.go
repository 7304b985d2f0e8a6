package history

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRowsMustMatchTheHeader: a row cut short (a file truncated mid-row: its fraud label
// would read as "not fraud") or padded is an error with its line, in both layouts.
func TestRowsMustMatchTheHeader(t *testing.T) {
	for name, row := range map[string]string{
		"truncated before fraud": "1,2018-04-01T00:00:31Z,230.5,EUR,4961,3412",
		"extra field":            "1,2018-04-01T00:00:31Z,230.5,EUR,4961,3412,,,,,,,1,high_amount,surplus",
	} {
		in := "# classification=synthetic\n" + strings.Join(vigilColumns, ",") + "\n" + row + "\n"
		rd, err := NewReader(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		var rec Record
		if err = rd.Read(&rec); err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
			t.Errorf("%s: err = %v, want an error on line 3", name, err)
		}
	}
	rd, err := NewReader(strings.NewReader(handbookSample + "4,4,2018-04-01 00:10:00,4128,8737,264.98\n"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		var rec Record
		err := rd.Read(&rec)
		if err == io.EOF {
			t.Fatal("a handbook row without TX_FRAUD was accepted")
		}
		if err != nil {
			return
		}
	}
}

// TestLongMetadataLineIsAnError: a metadata line over the line limit is refused, not a panic.
func TestLongMetadataLineIsAnError(t *testing.T) {
	in := "# classification=synthetic note=" + strings.Repeat("x", maxLine+10) + "\n" + strings.Join(vigilColumns, ",") + "\n"
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("NewReader panicked: %v", p)
		}
	}()
	if _, err := NewReader(strings.NewReader(in)); err == nil {
		t.Fatal("want an error")
	}
}

// TestUnknownScenarioRefused: fraud_scenario is one of the known names or empty; anything
// else (it is copied into tables people open in spreadsheets) is refused with its field.
func TestUnknownScenarioRefused(t *testing.T) {
	bad := `=HYPERLINK("http://attacker.example/","open")`
	csvIn := "# classification=synthetic\n" + strings.Join(vigilColumns, ",") + "\n" +
		`1,2018-04-01T00:00:31Z,230.5,EUR,4961,3412,,,,,,,1,"` + strings.ReplaceAll(bad, `"`, `""`) + "\"\n"
	jsonIn := `{"id":"1","timestamp":"2018-04-01T00:00:31Z","amount":230.5,"currency":"EUR","customer_id":"4961","terminal_id":"3412","fraud":true,"fraud_scenario":"x"}` + "\n"
	for name, in := range map[string]string{"csv": csvIn, "jsonl": jsonIn} {
		rd, err := NewReader(strings.NewReader(in))
		if err != nil {
			t.Fatal(name, err)
		}
		var rec Record
		if err := rd.Read(&rec); err == nil || !strings.Contains(err.Error(), "fraud_scenario") {
			t.Errorf("%s: err = %v, want a fraud_scenario error", name, err)
		}
	}
}

// TestFailedCommitLeavesNoTempFile: a history that cannot be moved into place (here, onto a
// directory) leaves no temporary copy of itself behind.
func TestFailedCommitLeavesNoTempFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, LayoutCSV, Meta{"classification": "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	tmp := f.pf.Name()
	t.Cleanup(func() { os.Remove(tmp) })
	recs := sampleRecords()
	if err := f.Write(&recs[0]); err != nil {
		t.Fatal(err)
	}
	if f.Commit() == nil {
		t.Fatal("commit onto a directory succeeded")
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Fatalf("left %s behind", tmp)
	}
}
