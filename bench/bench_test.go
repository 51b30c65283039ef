package main

import (
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

func TestCountEntries(t *testing.T) {
	// The kernel prints every child of /proc/PID/task/TID/children as "PID ".
	if got := countEntries([]byte("12 345 6789 ")); got != 3 {
		t.Errorf("countEntries = %d, want 3", got)
	}
	if got := countEntries(nil); got != 0 {
		t.Errorf("countEntries(empty) = %d", got)
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
// present, the targets judged, no measurement involved.
func TestReportRenders(t *testing.T) {
	sx := &Init{Name: "sexton", Path: "/x/sexton", Argv: []string{"/x/sexton", "--"}}
	tn := &Init{Name: "tini", Path: "/usr/bin/tini", Argv: []string{"/usr/bin/tini", "--"}, Pkg: "tini"}
	none := &Init{Name: "no init"}
	e := &Env{Inits: []*Init{sx, tn, none}, Sexton: sx, Tini: tn, Machine: Machine{Versions: map[string]string{"tini": "0.19"}}}
	res := &Results{Env: e, Cfg: quickConfig(), Command: "go run ./bench",
		Storm: map[string]map[int][]StormRun{
			"sexton": {2000: {{Init: "sexton", N: 2000, Made: 2000, Peak: 3, Drain: time.Millisecond}}},
			"tini":   {2000: {{Init: "tini", N: 2000, Made: 2000, Peak: 5, Drain: time.Millisecond}}},
		},
		Signals:   []SignalRun{{Init: "sexton", Via: []float64{90e3}, Direct: []float64{30e3}}, {Init: "tini", Via: []float64{50e3}, Direct: []float64{30e3}}},
		Startup:   map[string]*StartupRun{"sexton": {Times: []float64{3e6}}, "tini": {Times: []float64{2.5e6}}, "no init": {Times: []float64{2e6}}},
		Footprint: []FootprintRun{{Init: "sexton", Size: 1 << 20, Static: true, RSS: 2 << 20}, {Init: "tini", Size: 30000, RSS: 1 << 20, WakeupsSec: 1}},
		Shutdown:  []ShutdownRun{{Init: "tini", Times: []float64{1e6}, ExitDesc: "exit 143"}},
		Flush:     []FlushRun{{Init: "sexton", Outcomes: []string{"flushed"}}},
		Exhaust:   []ExhaustRun{{Init: "sexton", Survived: true, Reaped: true, CleanExit: true}},
	}
	out := report(res)
	for _, want := range []string{"## Targets for sexton", "## Orphan storm", "## Signal latency", "## Start-up overhead",
		"## Footprint", "## Shutdown", "### Flush case", "## PID exhaustion", "## Analysis",
		"| signal latency p50 ≤ 1.5× tini's | 90 µs (1.80×) | 50 µs | **missed** |",
		"| start-up overhead under 1 ms (median) | 1.00 ms | 500 µs | **missed** |",
		"| peak unreaped orphans, storm of 2000 ≤ tini's (medians) | 3 | 5 | met |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
