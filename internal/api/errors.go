package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/score"
)

// The error codes, one per status.
const (
	codeMalformed        = "malformed"              // 400
	codeUnauthenticated  = "unauthenticated"        // 401
	codeForbidden        = "forbidden"              // 403
	codeNotFound         = "not_found"              // 404
	codeMethodNotAllowed = "method_not_allowed"     // 405
	codeConflict         = "conflict"               // 409
	codeTooLarge         = "too_large"              // 413
	codeUnsupportedMedia = "unsupported_media_type" // 415
	codeInvalid          = "invalid"                // 422
	codeRateLimited      = "rate_limited"           // 429
	codeInternal         = "internal"               // 500
	codeUnavailable      = "unavailable"            // 503
)

// errorBody is the one error shape: {"error":{"code","message","fields"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Fields  []fraud.FieldError `json:"fields,omitempty"`
}

// httpError is an error the API decided itself, with its status and a message safe to
// show.
type httpError struct {
	status     int
	code       string
	message    string
	fields     []fraud.FieldError
	retryAfter int // seconds; 0: no Retry-After
}

func (e *httpError) Error() string { return e.message }

func errInternal(requestID string) *httpError {
	return &httpError{status: http.StatusInternalServerError, code: codeInternal,
		message: "internal error, request id " + requestID}
}

// invalid returns a 422 naming one field.
func invalid(path, reason string) error {
	return &fraud.ValidationError{Fields: []fraud.FieldError{{Path: path, Reason: reason}}}
}

// errorFor maps err to the answer: the one place where errors become statuses. Messages
// come from the API or from errors documented as safe to show (*fraud.ValidationError,
// fraud.ErrMalformed's decoders); any other error is internal and answered without its
// text. internal reports that the caller must log err.
func errorFor(err error, requestID string) (e *httpError, internal bool) {
	var he *httpError
	var verr *fraud.ValidationError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he, false
	case errors.As(err, &tooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			message: "the body is larger than " + strconv.FormatInt(tooLarge.Limit, 10) + " bytes"}, false
	case errors.As(err, &verr):
		return &httpError{status: http.StatusUnprocessableEntity, code: codeInvalid,
			message: "the request has invalid fields", fields: safeFields(verr.Fields)}, false
	case errors.Is(err, fraud.ErrMalformed):
		return &httpError{status: http.StatusBadRequest, code: codeMalformed, message: err.Error()}, false
	case errors.Is(err, score.ErrNoModel):
		return &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
			message: "no model is loaded", retryAfter: 5}, false
	case errors.Is(err, model.ErrInvalidModel), errors.Is(err, model.ErrChecksum),
		errors.Is(err, model.ErrSignature), errors.Is(err, model.ErrUnsupported):
		return &httpError{status: http.StatusUnprocessableEntity, code: codeInvalid,
			message: "the model cannot be served: its file fails its checks or its features are not this engine's"}, false
	case errors.Is(err, fraud.ErrNotFound):
		return &httpError{status: http.StatusNotFound, code: codeNotFound, message: "not found"}, false
	case errors.Is(err, fraud.ErrConflict):
		return &httpError{status: http.StatusConflict, code: codeConflict,
			message: "the request conflicts with what is stored"}, false
	case errors.Is(err, fraud.ErrInvalid):
		return &httpError{status: http.StatusUnprocessableEntity, code: codeInvalid, message: "invalid input"}, false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
			message: "the request was cancelled or timed out", retryAfter: 1}, false
	}
	return errInternal(requestID), true
}

// fail answers r with err, logging internal errors with the request id.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := errorFor(err, requestID(r))
	if internal {
		s.log.Error("internal error", logKeyRequestID, requestID(r), logKeyRoute, r.Pattern, logKeyError, err)
	}
	s.writeError(w, r, e)
}

// writeError writes e in the error shape.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *httpError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.code != codeRateLimited && e.code != codeInternal { // rate limits are counted by RateLimited
		s.o.Metrics.Rejected(e.code)
	}
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: e.code, Message: e.message, Fields: e.fields}})
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

// itemError is the error of one item of a batch, in the error shape's inner form.
func (s *Server) itemError(r *http.Request, err error) *errorDetail {
	e, internal := errorFor(err, requestID(r))
	if internal {
		s.log.Error("internal error in a batch item", logKeyRequestID, requestID(r), logKeyError, err)
	}
	return &errorDetail{Code: e.code, Message: e.message, Fields: e.fields}
}

// safeFields returns fields with every path that holds a card number replaced: a client may
// send a PAN as a field name, and fraud.DecodeTransaction names unknown fields by their key.
func safeFields(fields []fraud.FieldError) []fraud.FieldError {
	var out []fraud.FieldError
	for i, f := range fields {
		path, reason := f.Path, f.Reason
		if fraud.ContainsCardNumber(path) {
			path = "(unnamed field)"
		}
		if fraud.ContainsCardNumber(reason) {
			reason = "refused"
		}
		if (path != f.Path || reason != f.Reason) && out == nil {
			out = slices.Clone(fields)
		}
		if out != nil {
			out[i] = fraud.FieldError{Path: path, Reason: reason}
		}
	}
	if out == nil {
		return fields
	}
	return out
}
