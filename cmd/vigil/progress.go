package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports the advance of long work (generate, features, train, replay): a bar
// redrawn in place on a terminal, plain lines every few seconds otherwise (CI logs, pipes).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	label    string
	total    int64
	unit     string
	start    time.Time
	last     time.Time
	interval time.Duration
	done     bool
}

// newProgress starts a progress display of total units (0 if unknown) on w.
func newProgress(w io.Writer, label string, total int64, unit string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	interval := 5 * time.Second
	if tty {
		interval = 100 * time.Millisecond
	}
	now := time.Now()
	return &progress{w: w, tty: tty, label: label, total: total, unit: unit, start: now, last: now, interval: interval}
}

// Set reports that n units are done; it redraws at most every interval.
func (p *progress) Set(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.done || now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	p.draw(n, now)
}

// Finish draws the final state and ends the line.
func (p *progress) Finish(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	p.draw(n, time.Now())
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(n int64, now time.Time) {
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed
	}
	var line string
	if p.total > 0 {
		frac := float64(n) / float64(p.total)
		frac = max(0, min(frac, 1))
		const width = 30
		filled := int(frac * width)
		eta := ""
		if rate > 0 && n < p.total {
			eta = fmt.Sprintf(" eta %s", (time.Duration(float64(p.total-n)/rate) * time.Second).Round(time.Second))
		}
		line = fmt.Sprintf("%s [%s%s] %5.1f%% %d/%d %s %.0f/s%s", p.label,
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), 100*frac, n, p.total, p.unit, rate, eta)
	} else {
		line = fmt.Sprintf("%s %d %s %.0f/s %.1fs", p.label, n, p.unit, rate, elapsed)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}
