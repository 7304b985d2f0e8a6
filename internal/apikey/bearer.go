package apikey

import "strings"

// MaxHeaderLen bounds the Authorization header ParseBearer reads: longer values are refused
// before any other work.
const MaxHeaderLen = 512

// ParseBearer returns the token of an `Authorization: Bearer TOKEN` header value. The scheme
// is matched case-insensitively and must be followed by exactly one space; the token is one
// or more RFC 6750 b64token characters (A-Z a-z 0-9 - . _ ~ + / then optional '='), with no
// surrounding or inner whitespace. It fails with ErrMissing for an empty header and
// ErrMalformed for anything else it refuses (a longer value than MaxHeaderLen, another
// scheme, a bad token); the error never contains the header. It does not check that the
// token is a well-formed key: Authenticate does.
func ParseBearer(header string) (string, error) {
	if header == "" {
		return "", ErrMissing
	}
	const scheme = "bearer "
	if len(header) > MaxHeaderLen || len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return "", ErrMalformed
	}
	token := header[len(scheme):]
	i := 0
	for i < len(token) && isTokenChar(token[i]) {
		i++
	}
	if i == 0 {
		return "", ErrMalformed
	}
	for j := i; j < len(token); j++ {
		if token[j] != '=' {
			return "", ErrMalformed
		}
	}
	return token, nil
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}
