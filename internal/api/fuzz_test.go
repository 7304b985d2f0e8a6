package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzScoreBody sends arbitrary bodies to POST /v1/score: the server never answers 500, and
// every answer that is not a decision is the error shape. Seeds: testdata/fuzz/FuzzScoreBody.
func FuzzScoreBody(f *testing.F) {
	fx := newFixture(f, fixtureOptions{maxBody: 16 << 10})
	h := fx.api.Handler()
	auth := "Bearer " + fx.key["scorer"]
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/score", bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body)
		case rec.Code == http.StatusOK:
			var res scoreResult
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.DecisionID == "" {
				t.Fatalf("200 without a decision: %s", rec.Body)
			}
		default:
			var e errorBody
			dec := json.NewDecoder(rec.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%d not in the error shape: %v", rec.Code, err)
			}
		}
	})
}
