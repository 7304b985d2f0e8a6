package apikey

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// ParseExpiry parses a key lifetime for `vigil keys create --expires`: a positive decimal
// number of days, hours or minutes, "90d", "12h", "30m". There is no "never": every key
// expires, so a zero, a negative, another unit, a sign, spaces or more than MaxExpiry fail
// with an error wrapping fraud.ErrInvalid (it quotes s, which is not a secret).
func ParseExpiry(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("expiry %q: %s: %w", s, why, fraud.ErrInvalid)
	}
	if len(s) < 2 || len(s) > 12 {
		return bad("want a number and a unit d, h or m, e.g. 90d")
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'd':
		unit = 24 * time.Hour
	case 'h':
		unit = time.Hour
	case 'm':
		unit = time.Minute
	default:
		return bad("want a unit d, h or m")
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return bad("want a positive whole number")
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return bad("want a positive whole number")
	}
	if n > int64(MaxExpiry/unit) {
		return bad("at most " + strconv.FormatInt(int64(MaxExpiry/unit), 10) + string(s[len(s)-1]))
	}
	return time.Duration(n) * unit, nil
}
