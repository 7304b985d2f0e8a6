module github.com/vigil-fraud/vigil

go 1.26.0

require (
	github.com/google/renameio/v2 v2.0.2 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)
