package apikey

import (
	"errors"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func TestParseExpiry(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * day},
		{"1d", day},
		{"12h", 12 * time.Hour},
		{"30m", 30 * time.Minute},
		{"730d", MaxExpiry},
		{"17520h", MaxExpiry},
		{"1051200m", MaxExpiry},
		{"007d", 7 * day},
	} {
		got, err := ParseExpiry(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "d", "0d", "0", "-1d", "+1d", "1", "90", "1w", "1s", "1y", "1D", " 1d", "1d ", "1 d",
		"1.5d", "1e3d", "731d", "17521h", "1051201m", "99999999999d", "never", "0x10d", "90dd",
	} {
		if got, err := ParseExpiry(in); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want ErrInvalid", in, got, err)
		}
	}
}
