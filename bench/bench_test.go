package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestQuantileAndMedian(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if got := median(xs); got != 3 {
		t.Errorf("median = %v, want 3", got)
	}
	if got := median([]float64{1, 2, 3, 4}); got != 2.5 {
		t.Errorf("median even = %v, want 2.5", got)
	}
	if got := quantile(xs, 0.99); got != 5 {
		t.Errorf("p99 = %v, want 5", got)
	}
	if got := quantile(xs, 0.5); got != 3 {
		t.Errorf("p50 = %v, want 3", got)
	}
	if xs[0] != 5 {
		t.Errorf("quantile sorted its input")
	}
	if !math.IsNaN(median(nil)) || !math.IsNaN(quantile(nil, 0.5)) {
		t.Errorf("empty input should give NaN")
	}
	if got := median([]float64{1, math.Inf(1), math.Inf(1)}); !math.IsInf(got, 1) {
		t.Errorf("median with a majority of never = %v, want +Inf", got)
	}
}

func TestRatioAndFormat(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		want string
	}{{3, 2, "1.50×"}, {25, 2, "12.5×"}, {500, 2, "250×"}, {1, 0, "–"}, {math.NaN(), 1, "–"}, {-1, 5, "–"}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{1500 * time.Nanosecond, "1.50 µs"}, {250 * time.Microsecond, "250 µs"}, {2500 * time.Microsecond, "2.50 ms"}, {1500 * time.Millisecond, "1.50 s"}, {-1, "–"}} {
		if got := fmtDur(c.d); got != c.want {
			t.Errorf("fmtDur(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if got := fmtBytes(3 << 19); got != "1.50 MiB" {
		t.Errorf("fmtBytes = %q", got)
	}
	if got := parseKB("1234 kB"); got != 1234*1024 {
		t.Errorf("parseKB = %d", got)
	}
}

func TestParseEntries(t *testing.T) {
	// The kernel prints every child of /proc/PID/task/TID/children as "PID ".
	got := parseEntries([]int{7}, []byte("12 345 6789 "))
	if fmt.Sprint(got) != "[7 12 345 6789]" {
		t.Errorf("parseEntries = %v, want [7 12 345 6789]", got)
	}
	if got := parseEntries(nil, []byte("42")); fmt.Sprint(got) != "[42]" {
		t.Errorf("parseEntries without the trailing space = %v", got)
	}
	if got := parseEntries(nil, nil); len(got) != 0 {
		t.Errorf("parseEntries(empty) = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize([]string{"flushed", "lost", "flushed"}); got != "flushed ×2, lost ×1" {
		t.Errorf("summarize = %q", got)
	}
	if got := summarize(nil); got != "–" {
		t.Errorf("summarize(nil) = %q", got)
	}
}

func TestStormMediansWorstLeft(t *testing.T) {
	s := stormMedians([]StormRun{{Peak: 10, Left: 0, Drain: time.Millisecond}, {Peak: 30, Left: 2, Drain: -1}, {Peak: 20, Left: 0, Drain: 2 * time.Millisecond}})
	if s.peak != 20 || s.left != 2 || s.drain != float64(2*time.Millisecond) {
		t.Errorf("stormMedians = %+v", s)
	}
}

// TestReportRenders renders a report from made-up results: every section
// present, the targets judged from the numbers, no measurement involved.
func TestReportRenders(t *testing.T) {
	sx := &Init{Name: "sexton", Path: "/x/sexton", Argv: []string{"/x/sexton", "--"}}
	gf := &Init{Name: "go-floor", Path: "/x/go-floor", Argv: []string{"/x/go-floor"}, NoRelay: true}
	tn := &Init{Name: "tini", Path: "/usr/bin/tini", Argv: []string{"/usr/bin/tini", "--"}, Pkg: "tini"}
	none := &Init{Name: "no init"}
	e := &Env{Inits: []*Init{sx, gf, tn, none}, Sexton: sx, GoFloor: gf, Tini: tn, Machine: Machine{Versions: map[string]string{"tini": "0.19"}}}
	ms := time.Millisecond
	res := &Results{Env: e, Cfg: quickConfig(), Command: "cd bench && go run .",
		Storm: map[string]map[int][]StormRun{
			"sexton": {2000: {{Init: "sexton", N: 2000, Made: 2000, Peak: 20, Drain: ms, CPU: 90 * ms, Create: 104 * ms, OldestZombie: 25 * ms, Over20ms: 2}}},
			"tini":   {2000: {{Init: "tini", N: 2000, Made: 2000, Peak: 5, Drain: ms, CPU: 100 * ms, Create: 100 * ms, OldestZombie: 3 * ms}}},
		},
		Signals: []SignalRun{{Init: "sexton", Via: []float64{90e3}, Direct: []float64{30e3}}, {Init: "tini", Via: []float64{50e3}, Direct: []float64{30e3}},
			{Init: "go-fwd", Via: []float64{100e3}}},
		Terms:     []SignalRun{{Init: "sexton", Via: []float64{70e3}}, {Init: "tini", Via: []float64{50e3}}},
		Startup:   map[string]*StartupRun{"sexton": {Times: []float64{3e6}}, "go-floor": {Times: []float64{2.5e6}}, "tini": {Times: []float64{2.2e6}}, "no init": {Times: []float64{2e6}}},
		Footprint: []FootprintRun{{Init: "sexton", Size: 1 << 20, Static: true, RSS: 1 << 20, RssAnon: 700 << 10, HWM: 1 << 20, Threads: 4}, {Init: "go-floor", Size: 1 << 20, Static: true, RSS: 2 << 20, RssAnon: 600 << 10, Threads: 4}, {Init: "tini", Size: 30000, RSS: 1 << 20, WakeupsSec: 1, Switches: 10}},
		Mix:       []MixRun{{Init: "sexton", Case: "child exits", React: []float64{1e6, inf}}, {Init: "sexton", Case: "SIGTERM", React: []float64{1e6}, Exit: []float64{2e6}}},
		Shutdown:  []ShutdownRun{{Init: "tini", Times: []float64{1e6}, ExitDesc: "exit 143"}},
		Flush:     []FlushRun{{Init: "sexton", Outcomes: []string{"flushed"}}},
		Exhaust:   []ExhaustRun{{Init: "sexton", Survived: true, Reaped: true, CleanExit: true}},
		Mem:       []MemRun{{Init: "sexton", Min: 2 << 20, Peak: 1900 << 10, FailedAt: "killed by killed", Probes: 12}},
		MemCtl:    "v1",
		RootMod:   RootModule{Requires: []string{"golang.org/x/sys"}},
	}
	out := report(res)
	for _, want := range []string{"## Targets for sexton", "## Orphan storm", "## Signal forwarding latency", "### SIGTERM", "## Mixed signal storm",
		"## Start-up overhead", "## Footprint at rest", "## Memory: peak RSS", "## Shutdown", "### Flush case", "## PID exhaustion", "## Analysis",
		"| storm 2000: init CPU ≤ tini's | 90 ms | tini 100 ms (0.90×) | met |",
		"| storm 2000: the workload's run time ≤ 1.05× tini's | 104 ms | tini 100 ms (1.04×) | met |",
		"| storm 2000: peak unreaped orphans ≤ max(2× tini's, 16) | 20 | tini 5 → limit 16 | **missed** |",
		"| storm 2000: no zombie older than 20 ms at any sample (worst run) | 25 ms | tini 3.00 ms | **missed** |",
		"| start+stop overhead p50 ≤ 1.2× go-floor's | 1.00 ms | go-floor 500 µs (2.00×); tini 200 µs | **missed** |",
		"| idle RSS ≤ 1.5 MiB | 1.00 MiB | go-floor 2.00 MiB | met |",
		"| idle RssAnon ≤ go-floor's + 128 KiB | 700 KiB | go-floor 600 KiB | met |",
		"| threads at rest ≤ 4 | 4 | go-floor 4 | met |",
		"| SIGUSR1 forwarding p50 ≤ 1.5× tini's (or go-fwd's, if go-fwd is over too) | 90 µs | tini 50 µs (1.80×); go-fwd 100 µs (2.00× of tini's) | met at the Go floor |",
		"| SIGTERM forwarding p50 ≤ 1.5× tini's (or go-fwd's, if go-fwd is over too) | 70 µs | tini 50 µs (1.40×) | met |",
		"| binary ≤ 2.0 MiB, static | 1.00 MiB, static | go-floor 1.00 MiB | met |",
		"| the bench's chart library is not in sexton's go.mod | requires golang.org/x/sys | bench/go.mod is its own module | met |",
		"| (issue 13) mixed signal storm, child exit → PID 1 exit ≤ 500ms in every run | worst never |",
		"| sexton | 1.00 MiB | – | – | 2.00 MiB | 1.86 MiB | killed by killed | 12 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestGoModRequires(t *testing.T) {
	mod := "module x\n\ngo 1.26\n\nrequire a.b/c v1.0.0 // why\n\nrequire (\n\t// a comment\n\td.e/f v0.1.0\n\tgonum.org/v1/plot v0.17.0 // indirect\n)\n"
	if got := fmt.Sprint(goModRequires(mod)); got != "[a.b/c d.e/f gonum.org/v1/plot]" {
		t.Errorf("goModRequires = %s", got)
	}
}

func TestSymbolPackage(t *testing.T) {
	for name, want := range map[string]string{
		"runtime.mallocgc": "runtime",
		"github.com/sexton-init/sexton/supervise.(*loop).run": "github.com/sexton-init/sexton/supervise",
		"type:*":                    "type:",
		"go:func.*":                 "go:",
		"internal/strconv.pow10Tab": "internal/strconv",
	} {
		if got := symbolPackage(name); got != want {
			t.Errorf("symbolPackage(%q) = %q, want %q", name, got, want)
		}
	}
	syms := parseNM("  535d70     118992 r go:func.*\n                0 U _cgo_init\n  4a1000  12 T main.main\n")
	if len(syms) != 2 || syms[0].Size != 118992 || syms[0].Name != "go:func.*" || syms[1].Name != "main.main" {
		t.Errorf("parseNM = %+v", syms)
	}
}

// A static binary over 2 MiB is missed, unless the run has its symbol
// table's breakdown by package (the alternative); never met.
func TestBinaryVerdict(t *testing.T) {
	fp := []FootprintRun{{Init: "sexton", Size: 5 << 19, Static: true}}
	for _, c := range []struct {
		bins []BinSize
		want string
	}{
		{nil, "**missed**"},
		{[]BinSize{{Init: "sexton", Err: "go tool nm: exit status 1"}}, "**missed**"},
		{[]BinSize{{Init: "sexton", Pkgs: []PkgSize{{Pkg: "runtime", Size: 1 << 20}}}}, "**over**: what the rest buys is in *Binary size*"},
	} {
		tb := &table{}
		otherTargets(tb, &Results{Footprint: fp, BinSize: c.bins})
		if got := tb.rows[0]; got[0] != "binary ≤ 2.0 MiB, static" || got[3] != c.want {
			t.Errorf("with %+v: row %q, want verdict %q", c.bins, got, c.want)
		}
	}
}
