module github.com/vigil-fraud/vigil

go 1.26
