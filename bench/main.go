// Command bench compares sexton with tini, tini-static, dumb-init,
// catatonit, the smallest Go inits (go-floor, go-fwd: bench/contenders) and
// no init at all, each as PID 1 of a fresh PID namespace, in one run, and
// writes docs/benchmarks.md (plus the orphan-storm chart next to it).
//
// The bench is a module of its own (so that its chart library stays out of
// sexton's go.mod). Run it as root from its directory:
//
//	cd bench && go run . -out ../docs/benchmarks.md
//
// It compiles its C workload helper with gcc, builds sexton and the Go
// floor contenders the way sexton ships, installs missing peers with
// apt-get (unless -install=false) and says which are missing otherwise.
// Every scenario is bounded in time and kills its namespaces and removes its
// cgroups when done. -quick makes a short smoke run whose report says so.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Config is the size of a run.
type Config struct {
	Quick         bool
	Sizes         []int // orphan storm sizes
	StormRuns     []int // runs per size
	Signals       int   // SIGUSR1 per init
	TermRuns      int   // SIGTERM runs per init
	MixRounds     int   // mixed storm rounds
	StartupRounds int
	Settle        time.Duration
	Window        time.Duration
	ShutdownRuns  int
	FlushRuns     int
}

func fullConfig() Config {
	return Config{Sizes: []int{20000, 100000}, StormRuns: []int{3, 3}, Signals: 2000, TermRuns: 100, MixRounds: 3, StartupRounds: 300,
		Settle: 2 * time.Second, Window: 10 * time.Second, ShutdownRuns: 20, FlushRuns: 3}
}

func quickConfig() Config {
	return Config{Quick: true, Sizes: []int{2000, 5000}, StormRuns: []int{1, 1}, Signals: 200, TermRuns: 10, MixRounds: 1, StartupRounds: 30,
		Settle: time.Second, Window: 2 * time.Second, ShutdownRuns: 3, FlushRuns: 1}
}

// Results is everything one run measured.
type Results struct {
	Env       *Env
	Cfg       Config
	Command   string
	Chart     string // chart file name, relative to the report
	Storm     map[string]map[int][]StormRun
	Signals   []SignalRun // SIGUSR1
	Terms     []SignalRun // SIGTERM
	Mix       []MixRun
	MemCtl    string // the memory cgroup controller used: "v1" or "v2"
	Mem       []MemRun
	BinSize   []BinSize
	RootMod   RootModule
	Startup   map[string]*StartupRun
	Footprint []FootprintRun
	Shutdown  []ShutdownRun
	Flush     []FlushRun
	Exhaust   []ExhaustRun
	GoBench   []GoBenchResult
	Took      time.Duration
}

// GoBenchResult is one testing.B result.
type GoBenchResult struct {
	Name                 string
	NsOp                 float64
	AllocsOp, BytesOp, N int64
}

func main() {
	out := flag.String("out", "../docs/benchmarks.md", "the report to write (the chart goes next to it)")
	work := flag.String("work", "out", "scratch directory for binaries and logs (relative to the bench module)")
	install := flag.Bool("install", true, "apt-get install missing peers (tini, dumb-init, catatonit)")
	quick := flag.Bool("quick", false, "short smoke run (small sizes); the report says it is one")
	only := flag.String("only", "", "comma-separated scenarios to run ("+strings.Join(scenarios, ",")+"); default all")
	sizes := flag.String("sizes", "", "comma-separated orphan storm sizes instead of the default ones")
	rounds := flag.Int("rounds", 0, "orphan storm rounds per size instead of the default (3)")
	inits := flag.String("inits", "", "comma-separated contenders to measure (sexton,go-floor,go-fwd,tini,...,no init); default all")
	render := flag.String("render", "", "do not measure: re-render the report from the results.json of an earlier run")
	flag.Parse()

	if *render != "" {
		b, err := os.ReadFile(*render)
		res := &Results{}
		if err == nil {
			err = json.Unmarshal(b, res)
		}
		if err == nil {
			err = write(res, *out)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}

	start := time.Now()
	e, err := setup(*work, *install)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *inits != "" {
		if err := e.keepOnly(strings.Split(*inits, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "bench: -inits:", err)
			os.Exit(2)
		}
	}
	cfg := fullConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *sizes != "" {
		cfg.Sizes, cfg.StormRuns = nil, nil
		for _, f := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "bench: -sizes: %q is not a positive number\n", f)
				os.Exit(2)
			}
			cfg.Sizes, cfg.StormRuns = append(cfg.Sizes, n), append(cfg.StormRuns, 3)
		}
	}
	if *rounds > 0 {
		for i := range cfg.StormRuns {
			cfg.StormRuns[i] = *rounds
		}
	}
	res := &Results{Env: e, Cfg: cfg, Command: strings.TrimSpace("cd bench && go run . " + strings.Join(os.Args[1:], " "))}
	for _, s := range strings.Split(*only, ",") {
		if s != "" && !contains(scenarios, s) {
			fmt.Fprintf(os.Stderr, "bench: -only: unknown scenario %q (known: %s)\n", s, strings.Join(scenarios, ","))
			os.Exit(2)
		}
	}
	want := func(s string) bool {
		return *only == "" || contains(strings.Split(*only, ","), s)
	}
	res.RootMod = checkRootModule(e.Root)
	if want("footprint") {
		e.logf("footprint: settle %v, window %v", cfg.Settle, cfg.Window)
		res.Footprint = runFootprint(e, cfg.Settle, cfg.Window)
	}
	if want("startup") {
		e.logf("start-up: %d rounds", cfg.StartupRounds)
		res.Startup = runStartup(e, cfg.StartupRounds)
	}
	if want("signal") {
		for _, in := range signalInits(e) {
			e.logf("SIGUSR1 latency: %s", in.Name)
			res.Signals = append(res.Signals, runSignals(e, in, cfg.Signals))
		}
	}
	if want("term") {
		e.logf("SIGTERM latency: %d runs per init", cfg.TermRuns)
		res.Terms = runTerms(e, signalInits(e), cfg.TermRuns)
	}
	if want("shutdown") {
		for _, in := range e.Inits {
			e.logf("shutdown: %s", in.Name)
			res.Shutdown = append(res.Shutdown, runShutdown(e, in, cfg.ShutdownRuns))
		}
	}
	if want("flush") {
		for _, in := range flushVariants(e) {
			e.logf("flush: %s", in.Name)
			res.Flush = append(res.Flush, runFlush(e, in, cfg.FlushRuns))
		}
	}
	if want("exhaust") {
		for _, in := range e.Inits {
			e.logf("PID exhaustion: %s", in.Name)
			res.Exhaust = append(res.Exhaust, runExhaust(e, in))
		}
	}
	if want("mixstorm") {
		res.Mix = runMixStorms(e, cfg.MixRounds)
	}
	if want("memory") {
		if mc, err := findMemController(); err != nil {
			e.logf("memory: %v", err)
			res.MemCtl = "none: " + err.Error()
		} else {
			res.MemCtl = mc.Version
			for _, in := range e.Inits {
				e.logf("minimum memory limit (cgroup %s): %s", mc.Version, in.Name)
				res.Mem = append(res.Mem, runMemMin(e, mc, in))
			}
		}
	}
	if want("binary") {
		for _, in := range []*Init{e.Sexton, e.GoFloor} {
			if in != nil {
				res.BinSize = append(res.BinSize, runBinSize(e, in))
			}
		}
	}
	if want("gobench") {
		for _, b := range goBenchmarks {
			r := testing.Benchmark(b.F)
			res.GoBench = append(res.GoBench, GoBenchResult{Name: b.Name, NsOp: float64(r.T.Nanoseconds()) / float64(max(r.N, 1)),
				AllocsOp: r.AllocsPerOp(), BytesOp: r.AllocedBytesPerOp(), N: int64(r.N)})
		}
	}
	if want("storm") {
		res.Storm = runStorms(e, cfg)
	}
	e.Machine.LoadEnd = loadavg()
	res.Took = time.Since(start)
	raw := filepath.Join(e.Work, "results.json")
	if b, err := json.Marshal(res); err == nil {
		if err := os.WriteFile(raw, b, 0o644); err != nil {
			e.logf("%v", err)
		}
	}
	if err := write(res, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	e.logf("wrote %s (raw results: %s) in %v", *out, raw, res.Took.Round(time.Second))
}

// scenarios are the names -only takes, in the order they run.
var scenarios = []string{"footprint", "startup", "signal", "term", "shutdown", "flush", "exhaust", "mixstorm", "memory", "binary", "gobench", "storm"}

// write renders the chart (when there is a storm) and the report.
func write(res *Results, out string) error {
	res.Chart = ""
	if res.Storm != nil {
		res.Chart = strings.TrimSuffix(filepath.Base(out), ".md") + "-orphan-storm.png"
		if err := stormChart(filepath.Join(filepath.Dir(out), res.Chart), initNames(res.Env), res.Cfg.Sizes, res.pickStorm); err != nil {
			return fmt.Errorf("chart: %v", err)
		}
	}
	return os.WriteFile(out, []byte(report(res)), 0o644)
}

func initNames(e *Env) []string {
	var names []string
	for _, in := range e.Inits {
		names = append(names, in.Name)
	}
	return names
}

// flushVariants adds the options that change the flush outcome: tini -g
// signals the whole group, sexton --grace 0 behaves like tini.
func flushVariants(e *Env) []*Init {
	var out []*Init
	for _, in := range e.Inits {
		out = append(out, in)
		switch in.Name {
		case "tini":
			out = append(out, &Init{Name: "tini -g", Path: in.Path, Argv: []string{in.Path, "-g", "--"}})
		case "sexton":
			out = append(out, &Init{Name: "sexton --grace 0", Path: in.Path, Argv: []string{in.Path, "--grace", "0", "--"}})
		}
	}
	return out
}

// runStorms interleaves the inits: run r of every init, then run r+1, so
// drift in the machine's load spreads over all of them. "no init" runs once
// per size: it never reaps, there is nothing to take a median of.
func runStorms(e *Env, cfg Config) map[string]map[int][]StormRun {
	res := map[string]map[int][]StormRun{}
	for _, in := range e.Inits {
		res[in.Name] = map[int][]StormRun{}
	}
	for si, n := range cfg.Sizes {
		for run := 0; run < cfg.StormRuns[si]; run++ {
			for _, in := range e.Inits {
				if in.None() && run > 0 {
					continue
				}
				e.logf("orphan storm: N=%d run %d/%d: %s", n, run+1, cfg.StormRuns[si], in.Name)
				r := runStorm(e, in, n)
				if r.Err != "" {
					e.logf("  %s", r.Err)
				}
				res[in.Name][n] = append(res[in.Name][n], r)
			}
		}
	}
	return res
}

// pickStorm returns the run to chart: the one with the median peak.
func (res *Results) pickStorm(init string, n int) *StormRun {
	runs := res.Storm[init][n]
	if len(runs) == 0 {
		return nil
	}
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	for i := 1; i < len(idx); i++ { // insertion sort by peak
		for j := i; j > 0 && runs[idx[j]].Peak < runs[idx[j-1]].Peak; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return &runs[idx[len(idx)/2]]
}
