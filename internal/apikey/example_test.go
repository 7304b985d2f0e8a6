package apikey_test

import (
	"errors"
	"fmt"

	"github.com/vigil-fraud/vigil/internal/apikey"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// The HTTP middleware's whole decision, without the store: read the header, then (after
// Manager.Authenticate) ask the table.
func Example() {
	_, err := apikey.ParseBearer("Basic dXNlcjpwYXNz")
	fmt.Println(errors.Is(err, apikey.ErrUnauthenticated))
	fmt.Println(apikey.Allowed(fraud.RoleScorer, apikey.PermScore))
	fmt.Println(apikey.Allowed(fraud.RoleAdmin, apikey.PermScore))
	fmt.Println(apikey.Allowed(fraud.RoleAnalyst, apikey.PermLabelsWrite))
	// Output:
	// true
	// true
	// false
	// true
}

func ExampleParseExpiry() {
	d, err := apikey.ParseExpiry("90d")
	fmt.Println(d, err)
	_, err = apikey.ParseExpiry("0d")
	fmt.Println(errors.Is(err, fraud.ErrInvalid))
	// Output:
	// 2160h0m0s <nil>
	// true
}
