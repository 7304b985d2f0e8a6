//go:build race

package memory

// raceEnabled: the race detector slows the big memory measurement down eightfold.
const raceEnabled = true
