//go:build unix

package memory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the file in Options.Dir that the process using the directory holds locked.
const lockName = "LOCK"

// dirLock is an exclusive advisory lock (flock) on a state directory, held from Open to Close.
// The kernel releases it when the process exits, however it exits.
type dirLock struct{ f *os.File }

// lockDir creates dir if needed and locks it, without waiting: a directory another State
// holds (in this process or another) fails with an error wrapping ErrLocked.
func lockDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Clean(filepath.Join(dir, lockName)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock feature state directory: %w", err)
	}
	if err := tighten(dir); err != nil {
		_ = f.Close() // the tightening error is the one to report
		return nil, err
	}
	return &dirLock{f: f}, nil
}

// tighten gives dir mode 0700 and its files mode 0600 where an earlier version left them
// more open (directories it made were 0750): the feature state describes people's
// payments, and only the process that owns it should read it.
func tighten(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("feature state directory: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile: nothing to tighten
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(filepath.Join(dir, e.Name()), 0o600); err != nil {
				return fmt.Errorf("feature state file %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// release unlocks the directory. The lock file stays: removing it would race with a process
// that just opened it.
func (l *dirLock) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close() // closing the only descriptor releases the flock
}
