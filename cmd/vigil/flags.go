package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errHelp is returned when the user asked for --help; it exits 0.
var errHelp = errors.New("help requested")

// newFlagSet returns a flag set whose usage text shows the summary, an example and the
// flags, written to e.stderr.
func newFlagSet(e env, name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: vigil %s %s\n\n", name, synopsis)
		if example != "" {
			fmt.Fprintf(e.stderr, "Example:\n  %s\n\n", strings.ReplaceAll(strings.TrimSpace(example), "\n", "\n  "))
		}
		fmt.Fprintln(e.stderr, "Flags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps flag errors to errUsage and -h to errHelp. Positional
// arguments are refused unless allowArgs.
func parseFlags(fs *flag.FlagSet, args []string, allowArgs bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if !allowArgs && fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "vigil %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
