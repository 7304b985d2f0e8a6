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
	return &dirLock{f: f}, nil
}

// release unlocks the directory. The lock file stays: removing it would race with a process
// that just opened it.
func (l *dirLock) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close() // closing the only descriptor releases the flock
}
