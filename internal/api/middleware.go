package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// Log keys.
const (
	logKeyRequestID = "request_id"
	logKeyRoute     = "route"
	logKeyMethod    = "method"
	logKeyStatus    = "status"
	logKeyDuration  = "duration_ms"
	logKeyError     = "error"
	logKeyAction    = "action"
	logKeyPanic     = "panic"
	logKeyStack     = "stack"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAPIKey
)

// requestID returns the id ServeHTTP gave r.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID).(string)
	return id
}

// caller returns the key that authenticated r (nil on public routes).
func caller(r *http.Request) *fraud.APIKey {
	k, _ := r.Context().Value(ctxAPIKey).(*fraud.APIKey)
	return k
}

// actor is the audit actor of r: "key:<key id>".
func actor(r *http.Request) string {
	if k := caller(r); k != nil {
		return "key:" + k.ID
	}
	return "system"
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// responseHeaders are set on every response, their keys in canonical form and their values
// shared (net/http only reads them; Header.Set and Add replace or copy a value, never write
// into it): setting them cost five allocations a request through Header.Set.
var responseHeaders = []struct {
	key   string
	value []string
}{
	{"Content-Type", []string{"application/json; charset=utf-8"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Cache-Control", []string{"no-store"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
}

// ServeHTTP is the outermost layer: security headers and request id, recover, metrics and
// logging, the concurrency limit, then the route (whose own layers wrap adds).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	h := w.Header()
	for _, kv := range responseHeaders {
		h[kv.key] = kv.value
	}
	h["X-Request-Id"] = []string{id}
	r = r.WithContext(context.WithValue(r.Context(), ctxRequestID, id))
	sw := &statusWriter{ResponseWriter: w}
	_, pattern := s.mux.Handler(r)
	route := routeLabel(pattern)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
				panic(v)
			}
			s.log.Error("panic serving a request", logKeyRequestID, id, logKeyRoute, route,
				logKeyPanic, panicText(v), logKeyStack, string(debug.Stack()))
			if !sw.wrote {
				s.writeError(sw, r, errInternal(id))
			}
		}
		d := time.Since(start)
		s.o.Metrics.ObserveRequest(route, methodLabel(r.Method), sw.code(), d)
		level := slog.LevelDebug
		switch {
		case sw.code() >= 500:
			level = slog.LevelWarn
		case sw.code() >= 400:
			level = slog.LevelInfo
		}
		s.log.LogAttrs(r.Context(), level, "request", slog.String(logKeyRequestID, id),
			slog.String(logKeyMethod, methodLabel(r.Method)), slog.String(logKeyRoute, route),
			slog.Int(logKeyStatus, sw.code()), slog.Float64(logKeyDuration, float64(d.Microseconds())/1000))
	}()
	if route != "/healthz" {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			s.writeError(sw, r, &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
				message: "too many requests in flight; retry shortly", retryAfter: 1})
			return
		}
	}
	if pattern == "" {
		// No route: the mux answers 404 or 405 (with Allow); put it in the error shape.
		s.mux.ServeHTTP(&unmatchedWriter{statusWriter: sw, s: s, r: r}, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// panicText describes a panic value without formatting arbitrary data into the log.
func panicText(v any) string {
	switch v := v.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "non-error panic value"
}

// wrap adds a route's own layers: API key, rate limit, permission, body limit.
func (s *Server) wrap(rt route) http.Handler {
	limit := s.o.MaxBody
	if rt.maxBody > limit {
		limit = rt.maxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.public {
			key, err := s.authenticate(r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if err := s.limiter.allow(key.ID); err != nil {
				s.o.Metrics.RateLimited()
				s.fail(w, r, err)
				return
			}
			if !rt.permits(key.Role) {
				s.fail(w, r, &httpError{status: http.StatusForbidden, code: codeForbidden,
					message: "this key's role may not do this"})
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxAPIKey, key))
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := rt.h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authenticate checks r's bearer key. A refused key is 401 whatever the reason (the
// reason is not told); a store that cannot be read is 503.
func (s *Server) authenticate(r *http.Request) (*fraud.APIKey, error) {
	token, err := apikey.ParseBearer(r.Header.Get("Authorization"))
	if err == nil {
		var key *fraud.APIKey
		key, err = s.o.Keys.Authenticate(r.Context(), token)
		if err == nil {
			return key, nil
		}
	}
	if errors.Is(err, apikey.ErrUnauthenticated) {
		return nil, &httpError{status: http.StatusUnauthorized, code: codeUnauthenticated,
			message: "a valid API key is required: Authorization: Bearer <key>"}
	}
	s.log.Error("authenticating a key failed", logKeyRequestID, requestID(r), logKeyError, err)
	return nil, &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
		message: "cannot check API keys now; retry shortly", retryAfter: 1}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// unmatchedWriter replaces the mux's plain-text 404 and 405 with the error shape.
type unmatchedWriter struct {
	*statusWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (w *unmatchedWriter) WriteHeader(code int) {
	var err *httpError
	switch code {
	case http.StatusNotFound:
		err = &httpError{status: code, code: codeNotFound, message: "no such endpoint"}
	case http.StatusMethodNotAllowed:
		err = &httpError{status: code, code: codeMethodNotAllowed, message: "method not allowed on this endpoint"}
	default:
		w.statusWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.s.writeError(w.statusWriter, w.r, err)
}

func (w *unmatchedWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.statusWriter.Write(b)
}
