package main

import (
	"os"
	"testing"

	"github.com/sexton-init/sexton/procfs"
)

// sampleStat is a /proc/PID/stat line with a command name that holds spaces
// and parentheses, the case ParseStat must get right.
const sampleStat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 12 34 0 0 20 0 3 0 987654 12345678 456 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0"

// goBenchmarks are the testing.B benchmarks of sexton's hot functions; the
// bench command runs them with testing.Benchmark, `cd bench && go test -bench .`
// runs them too (gobench_test.go).
var goBenchmarks = []struct {
	Name string
	F    func(b *testing.B)
}{
	{"procfs.ParseStat", benchParseStat},
	{"procfs.ReadStat (self)", benchReadStat},
	{"procfs.Scan (/proc)", benchScan},
}

func benchParseStat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := procfs.ParseStat(sampleStat); err != nil {
			b.Fatal(err)
		}
	}
}

func benchReadStat(b *testing.B) {
	b.ReportAllocs()
	pid := os.Getpid()
	for b.Loop() {
		if _, err := procfs.ReadStat("/proc", pid); err != nil {
			b.Fatal(err)
		}
	}
}

func benchScan(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := procfs.Scan("/proc"); err != nil {
			b.Fatal(err)
		}
	}
}
