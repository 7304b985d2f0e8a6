package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// openAPIDocument is the API's OpenAPI 3.1 description, written by hand beside the routes
// (a test keeps the two in step).
//
//go:embed openapi.json
var openAPIDocument []byte

type status struct {
	Status string `json:"status"`
}

// healthz answers that the process serves HTTP (liveness).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, status{Status: "ok"})
}

// readyz answers whether the server can score: a model is loaded and Options.Ready (the
// store...) passes. A failure names the part, never the cause's text.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	var notReady []fraud.FieldError
	if err := s.o.Pipeline.Ready(); err != nil {
		notReady = append(notReady, fraud.FieldError{Path: "model", Reason: "no model loaded"})
	}
	if s.o.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.o.Ready(ctx); err != nil {
			s.log.Warn("not ready", logKeyRequestID, requestID(r), logKeyError, err)
			notReady = append(notReady, fraud.FieldError{Path: "dependencies", Reason: "not reachable"})
		}
	}
	if len(notReady) > 0 {
		return &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
			message: "not ready", fields: notReady, retryAfter: 5}
	}
	return writeJSON(w, http.StatusOK, status{Status: "ready"})
}

// openapi serves the OpenAPI document.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDocument)
	return nil
}

// metrics serves the Prometheus metrics, to admin keys only: they describe traffic and
// outcomes, which is business information.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.o.Metrics == nil {
		return &httpError{status: http.StatusNotFound, code: codeNotFound, message: "metrics are not enabled"}
	}
	s.o.Metrics.Handler().ServeHTTP(w, r)
	return nil
}
