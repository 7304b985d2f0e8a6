package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// readBody reads r's body (already bounded by the body limit) after checking that its
// media type is one of types; an absent Content-Type is taken as the first of them.
func readBody(r *http.Request, types ...string) (body []byte, mediaType string, err error) {
	mediaType = types[0]
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !contains(types, mt) {
			return nil, "", &httpError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia,
				message: "Content-Type must be " + strings.Join(types, " or ")}
		}
		mediaType = mt
	}
	body, err = io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("%w: the body could not be read", fraud.ErrMalformed)
	}
	return body, mediaType, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decodeJSON reads r's JSON body into dst strictly: one object, no unknown field, every
// field of its type. Errors never echo the body.
func decodeJSON(r *http.Request, dst any) error {
	body, _, err := readBody(r, "application/json")
	if err != nil {
		return err
	}
	return unmarshalStrict(body, dst)
}

// unmarshalStrict decodes one JSON object from data into dst, refusing unknown fields and
// trailing data.
func unmarshalStrict(data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: the body is empty; send a JSON object", fraud.ErrMalformed)
	}
	if t := bytes.TrimSpace(data); t[0] != '{' {
		return fmt.Errorf("%w: expected a JSON object", fraud.ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON object", fraud.ErrMalformed)
	}
	return nil
}

var plainField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// jsonError turns an encoding/json error into a malformed or a field error that does not
// echo the input.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: invalid JSON at byte %d", fraud.ErrMalformed, syntax.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: unexpected end of JSON", fraud.ErrMalformed)
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			return fmt.Errorf("%w: expected a JSON object", fraud.ErrMalformed)
		}
		return invalid(path, "must be a JSON "+jsonType(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if !plainField.MatchString(name) {
			name = "(unnamed field)"
		}
		return invalid(name, "unknown field")
	}
	return fmt.Errorf("%w: invalid JSON", fraud.ErrMalformed)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	}
	return "number"
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	writeBody(w, status, body)
	return nil
}

// writeBody writes an encoded JSON body, ended by a newline, with status.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// finite replaces NaN and ±Inf, which JSON cannot carry, with 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// nullable is f, or nil (JSON null) when f is NaN or infinite.
func nullable(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
