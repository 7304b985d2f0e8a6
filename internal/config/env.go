package config

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// The environment modes, the values of VIGIL_ENV.
const (
	Development = "development"
	Production  = "production"
)

// EnvVar is the variable that selects the environment mode.
const EnvVar = "VIGIL_ENV"

// ParseEnv reads an environment mode: "" is Development; anything other than Development or
// Production is an error naming EnvVar.
func ParseEnv(s string) (string, error) {
	switch s {
	case "", Development:
		return Development, nil
	case Production:
		return Production, nil
	}
	return "", fmt.Errorf("%s=%q: want %s or %s", EnvVar, s, Development, Production)
}

// EnvName returns the environment variable of a flag: "VIGIL_" followed by the flag's name
// upper-cased with '-' turned into '_' (data-dir: VIGIL_DATA_DIR).
func EnvName(flagName string) string {
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// BindEnv sets every flag of fs that was not given on the command line from its variable
// (EnvName) when getenv returns a non-empty value for it. Call it after fs.Parse. It fails
// with one error per variable whose value the flag refuses, naming the variable; the value
// is quoted only when the flag's name does not look like a secret's (see secretish).
func BindEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := EnvName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			if secretish(f.Name) {
				errs = append(errs, fmt.Errorf("%s: invalid value for --%s", name, f.Name))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: invalid value for --%s: %v", name, v, f.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// secretish reports whether a flag's name looks like it may hold a secret, whose value an
// error must not repeat.
func secretish(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"key", "secret", "token", "password", "passwd", "credential", "auth"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
