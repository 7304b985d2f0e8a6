//go:build profile

// Profiling for performance work, compiled in only with `go build -tags profile`: with
// VIGIL_CPUPROFILE=FILE set, the process writes a CPU profile of its whole life to FILE,
// ending on SIGINT or SIGTERM (vigil serve's own shutdown signals). Release builds have none
// of it (docs/PERFORMANCE.md, "Profiling the server").
package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	path := os.Getenv("VIGIL_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		pprof.StopCPUProfile()
		f.Close()
		signal.Reset(s.(syscall.Signal))
		_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
	}()
}
