package rules

import (
	"errors"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// FuzzParse feeds arbitrary bytes to Parse, the decoder of the API's PUT /v1/rules: it must
// never panic, must refuse with a *fraud.ValidationError or accept a set that evaluates
// without panicking. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(DefaultSource())
	f.Add([]byte(header + rule("a", "score > 0.5", "review")))
	opts := testOptions()
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, err := Parse(src, opts)
		if err != nil {
			var verr *fraud.ValidationError
			if !errors.As(err, &verr) || len(verr.Fields) == 0 {
				t.Fatalf("error %T %v is not a non-empty *fraud.ValidationError", err, err)
			}
			return
		}
		if rs.Version() != Version(src) {
			t.Fatalf("version %s, want %s", rs.Version(), Version(src))
		}
		th := rs.Thresholds()
		if th.Review < 0 || th.Decline > 1 || th.Review > th.Decline {
			t.Fatalf("accepted thresholds %+v", th)
		}
		res := rs.Evaluate(Input{Transaction: testTxn(), Score: 0.5,
			Lists: NewLists(map[string][]string{"big": {"a", "b"}})})
		if res.Outcome.Severity() < 0 {
			t.Fatalf("outcome %q", res.Outcome)
		}
	})
}
