// Package copyleft is a fixture: a dependency under the GNU GPL v3, which vigil's binary must
// never link, so the licence check has something to refuse.
package copyleft

// Greeting returns a fixed string, so the package is linked into the fixture's binary.
func Greeting() string { return "hello" }
