package apikey

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBearer(t *testing.T) {
	long := strings.Repeat("a", MaxHeaderLen-len("Bearer "))
	for _, tc := range []struct {
		header, want string
		err          error
	}{
		{"Bearer vgl_abc", "vgl_abc", nil},
		{"bearer vgl_abc", "vgl_abc", nil},
		{"BEARER vgl_abc", "vgl_abc", nil},
		{"Bearer abc+/~.-_==", "abc+/~.-_==", nil},
		{"Bearer " + long, long, nil},
		{"", "", ErrMissing},
		{"Bearer " + long + "a", "", ErrMalformed},
		{"Bearer", "", ErrMalformed},
		{"Bearer ", "", ErrMalformed},
		{"Bearer  vgl_abc", "", ErrMalformed},
		{"Bearer\tvgl_abc", "", ErrMalformed},
		{" Bearer vgl_abc", "", ErrMalformed},
		{"Bearer vgl_abc ", "", ErrMalformed},
		{"Bearer vgl abc", "", ErrMalformed},
		{"Bearer vgl_abc\n", "", ErrMalformed},
		{"Bearer ==", "", ErrMalformed},
		{"Bearer a=b", "", ErrMalformed},
		{"Bearer vgl_ä", "", ErrMalformed},
		{"Basic dXNlcjpwYXNz", "", ErrMalformed},
		{"Bearervgl_abc", "", ErrMalformed},
		{"Token vgl_abc", "", ErrMalformed},
	} {
		got, err := ParseBearer(tc.header)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q, %v", tc.header, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("ParseBearer(%q): %v does not wrap ErrUnauthenticated", tc.header, err)
		}
	}
}
