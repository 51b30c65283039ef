package main

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
	"time"
)

// notes is the hand-written analysis appended to the report; it explains
// mechanisms, not the numbers of one run, so it survives re-runs.
//
//go:embed notes.md
var notes string

type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) String() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for range t.head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// durs turns durations into float ns; a negative one ("never") becomes +Inf.
func durs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d)
		if d < 0 {
			out[i] = math.Inf(1)
		}
	}
	return out
}

func fmtNsOrNever(ns float64) string {
	if math.IsInf(ns, 1) {
		return "never"
	}
	return fmtNs(ns)
}

func report(res *Results) string {
	e := res.Env
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Benchmarks: sexton against tini, tini-static, dumb-init, catatonit and no init\n\n")
	w("Reproduce (as root, from the module root; about %s on the machine below):\n\n", res.Took.Round(time.Minute))
	w("```sh\ngo run ./bench -out docs/benchmarks.md\n```\n\n")
	w("It checks its prerequisites (root, gcc, the cgroup v1 pids controller), apt-get installs missing peers\n")
	w("(`-install=false` to only report them), compiles the C workload helper and builds sexton, then measures.\n")
	w("The raw results go to `bench/out/results.json`; `go run ./bench -render bench/out/results.json -out docs/benchmarks.md`\n")
	w("re-renders this file and the chart from them without measuring again.\n\n")
	if res.Cfg.Quick {
		w("> **QUICK SMOKE RUN (`-quick`): small sizes, few repetitions. Not the published numbers.**\n\n")
	}
	w("This file and the chart next to it are written by that command; every number below comes from the run\n")
	w("of %s (`%s`). Nothing is copied by hand. The only hand-written part is the *Analysis* section at the end\n", e.Machine.Date, res.Command)
	w("(kept in `bench/notes.md`).\n\n")
	w("Each init runs as PID 1 of a fresh PID and mount namespace with its own `/proc` (the C helper's `nsinit`\n")
	w("trampoline, started with `CLONE_NEWPID|CLONE_NEWNS`, mounts it and execs the init, keeping PID 1), all in the same\n")
	w("run; every namespace is torn down with SIGKILL to its PID 1 and every cgroup removed. The workloads are\n")
	w("one static C program, `bench/helpers/benchhelper.c`, compiled by the bench with gcc.\n\n")

	// Machine.
	m := e.Machine
	w("## Machine\n\n")
	mt := &table{head: []string{"", ""}}
	mt.add("CPU", fmt.Sprintf("%s, %d CPUs", m.CPU, m.CPUs))
	mt.add("Memory", m.Memory)
	mt.add("Kernel", m.Kernel)
	mt.add("OS", m.OS)
	mt.add("Go (bench, sexton)", m.Go)
	mt.add("Load average at start / end", m.LoadStart+" / "+m.LoadEnd)
	mt.add("sexton source", "`"+m.Commit+"` (last commit touching cmd, supervise, reap, signals, procfs)")
	mt.add("Duration", res.Took.Round(time.Second).String())
	w("%s\n", mt)
	w("The machine is shared: other work may run on its 2 CPUs during the bench (see the load average), which is\n")
	w("why repeated scenarios interleave the inits instead of running one init's repetitions back to back.\n\n")

	// Contenders.
	w("## Contenders\n\n")
	ct := &table{head: []string{"init", "command line", "binary", "version"}}
	for _, in := range e.Inits {
		if in.None() {
			ct.add("no init", "the workload itself is PID 1", "–", "–")
			continue
		}
		ver := m.Versions[in.Pkg]
		if in.Name == "sexton" {
			ver = "this repository, `CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'`"
		}
		ct.add(in.Name, "`"+strings.Join(in.Argv, " ")+" WORKLOAD`", "`"+in.Path+"`", ver)
	}
	w("%s\n", ct)
	if len(e.Missing) > 0 {
		w("**Missing, so not measured:** %s.\n\n", strings.Join(e.Missing, "; "))
	}

	w("## Targets for sexton\n\n%s\n", targets(res))

	stormSection(&b, res)
	signalSection(&b, res)
	startupSection(&b, res)
	footprintSection(&b, res)
	shutdownSection(&b, res)
	exhaustSection(&b, res)
	goBenchSection(&b, res)

	w("## Analysis\n\n%s", notes)
	return b.String()
}

func stormSection(b *strings.Builder, res *Results) {
	if res.Storm == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Orphan storm\n\n")
	w("The workload forks; the child forks a grandchild that exits at once, then the child exits; the workload reaps\n")
	w("only its direct child, so every grandchild becomes an orphan of PID 1. It does that N times as fast as it can.\n")
	w("A sampler reads `/proc/<PID 1>/task/*/children` every %v (zombies stay listed there until reaped) and counts\n", sampleEvery)
	w("the entries other than the workload: the *unreaped orphans* (in effect zombies; a grandchild is a zombie\n")
	w("microseconds after its fork). *Create* is the workload's own clock from the first fork to the last orphan;\n")
	w("*drain* runs from the last orphan until a sample shows none left (resolution ~%v); *left* is an exact\n", sampleEvery)
	w("count of `Z` processes in the namespace from a full `/proc` scan after the drain (5 s at most; 1 s for no init);\n")
	w("*init CPU* is the sum of `/proc/<PID 1>/task/*/schedstat` on-CPU time over the run. Each storm runs in\n")
	w("a pids cgroup with pids.max = %d, because pid_max is 32768 on this machine and no init would otherwise\n", stormCap)
	w("take the host's PIDs; no reaping init comes near it. Medians over the runs shown; *left* is the worst run.\n")
	w("The peak is one sample, so a single moment when the init was not scheduled decides it; the *mean* over all\n")
	w("samples taken during the storm shows how promptly an init reaps in general.\n\n")
	for si, n := range res.Cfg.Sizes {
		w("### N = %d (%d run(s) per init, interleaved; no init once)\n\n", n, res.Cfg.StormRuns[si])
		t := &table{head: []string{"init", "orphans made", "create", "peak unreaped", "mean unreaped", "drain", "zombies left", "init CPU", "peak / tini", "CPU / tini"}}
		tini := stormMedians(res.Storm["tini"][n])
		for _, name := range stormOrder(res) {
			runs := res.Storm[name][n]
			if len(runs) == 0 {
				continue
			}
			s := stormMedians(runs)
			made := fmt.Sprintf("%.0f", s.made)
			if s.failed > 0 {
				made += fmt.Sprintf(" (forks refused: %.0f)", s.failed)
			}
			if s.err != "" {
				made += " ⚠ " + s.err
			}
			t.add(name, made, fmtNs(s.create), fmt.Sprintf("%.0f", s.peak), fmt.Sprintf("%.2f", s.mean), fmtNsOrNever(s.drain), fmt.Sprintf("%d", s.left),
				fmtNs(s.cpu), ratio(s.peak, tini.peak), ratio(s.cpu, tini.cpu))
		}
		w("%s\n", t)
	}
	if res.Chart != "" {
		w("![unreaped orphans over time during the orphan storm, one panel per init and size](%s)\n\n", res.Chart)
		w("One run per panel (the run with the median peak). The inits share a y scale; no init has its own.\n\n")
	}
	w("<details><summary>Every storm run</summary>\n\n")
	t := &table{head: []string{"init", "N", "made", "refused", "create", "peak", "drain", "left", "init CPU", "samples", "error"}}
	for _, name := range stormOrder(res) {
		for _, n := range res.Cfg.Sizes {
			for _, r := range res.Storm[name][n] {
				t.add(name, fmt.Sprint(n), fmt.Sprint(r.Made), fmt.Sprint(r.Failed), fmtDur(r.Create), fmt.Sprint(r.Peak),
					fmtNsOrNever(durs([]time.Duration{r.Drain})[0]), fmt.Sprint(r.Left), fmtDur(r.CPU), fmt.Sprint(r.SamplesTaken), r.Err)
			}
		}
	}
	w("%s\n</details>\n\n", t)
}

type stormMed struct {
	made, failed, create, peak, drain, cpu float64
	mean                                   float64 // of the samples taken during the storm
	left                                   int
	err                                    string
}

func stormMedians(runs []StormRun) stormMed {
	if len(runs) == 0 {
		return stormMed{made: math.NaN(), create: math.NaN(), peak: math.NaN(), drain: math.NaN(), cpu: math.NaN()}
	}
	var made, failed, create, peak, drain, cpu, mean []float64
	s := stormMed{}
	for _, r := range runs {
		if m, ok := stormMean(r); ok {
			mean = append(mean, m)
		}
		made = append(made, float64(r.Made))
		failed = append(failed, float64(r.Failed))
		create = append(create, float64(r.Create))
		peak = append(peak, float64(r.Peak))
		drain = append(drain, durs([]time.Duration{r.Drain})[0])
		cpu = append(cpu, float64(r.CPU))
		s.left = max(s.left, r.Left)
		if r.Err != "" {
			s.err = r.Err
		}
	}
	s.made, s.failed, s.create, s.peak, s.drain, s.cpu = median(made), median(failed), median(create), median(peak), median(drain), median(cpu)
	s.mean = median(mean)
	return s
}

// stormMean is the mean unreaped-orphan count over the samples taken while
// the storm ran (first fork to last orphan).
func stormMean(r StormRun) (float64, bool) {
	end := float64(r.Create) / 1e6
	sum, n := 0.0, 0
	for _, x := range r.Samples {
		if x.T <= end {
			sum += float64(x.Z)
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func stormOrder(res *Results) []string {
	var names []string
	for _, in := range res.Env.Inits {
		if _, ok := res.Storm[in.Name]; ok {
			names = append(names, in.Name)
		}
	}
	return names
}

func signalSection(b *strings.Builder, res *Results) {
	if res.Signals == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Signal latency\n\n")
	w("SIGUSR1 goes to PID 1 (`kill` from outside the namespace); the workload's handler stamps CLOCK_MONOTONIC and\n")
	w("writes it to a pipe; latency = handler stamp − stamp taken just before `kill`. %d signals per init, each sent\n", res.Cfg.Signals)
	w("after the previous one arrived plus a %v pause. *Direct* is the baseline: the same workload in the same\n", signalGap)
	w("namespace signalled directly, alternating with the signals through PID 1. With no init the workload *is*\n")
	w("PID 1, so both columns measure the same thing.\n\n")
	t := &table{head: []string{"init", "p50", "p99", "max", "p50 / tini", "p99 / tini", "direct p50", "direct p99", "lost"}}
	var tini *SignalRun
	for i := range res.Signals {
		if res.Signals[i].Init == "tini" {
			tini = &res.Signals[i]
		}
	}
	for _, r := range res.Signals {
		p50, p99 := quantile(r.Via, 0.5), quantile(r.Via, 0.99)
		r50, r99 := "–", "–"
		if tini != nil {
			r50, r99 = ratio(p50, quantile(tini.Via, 0.5)), ratio(p99, quantile(tini.Via, 0.99))
		}
		lost := fmt.Sprint(r.Lost)
		if r.Err != "" {
			lost += " ⚠ " + r.Err
		}
		t.add(r.Init, fmtNs(p50), fmtNs(p99), fmtNs(maxOf(r.Via)), r50, r99, fmtNs(quantile(r.Direct, 0.5)), fmtNs(quantile(r.Direct, 0.99)), lost)
	}
	w("%s\n", t)
}

func startupSection(b *strings.Builder, res *Results) {
	if res.Startup == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Start-up overhead\n\n")
	w("Wall time of `INIT -- /bin/true` (no init: `/bin/true` alone), each in a fresh PID namespace, from fork of the\n")
	w("trampoline until PID 1 is waited for; %d rounds, the inits in a new random order each round. *Overhead* =\n", res.Cfg.StartupRounds)
	w("that init's median (p90) − the median (p90) of `/bin/true` alone, so namespace creation, the `/proc` mount and\n")
	w("teardown cancel out.\n\n")
	base := res.Startup["no init"]
	var b50, b90 float64 = math.NaN(), math.NaN()
	if base != nil {
		b50, b90 = median(base.Times), quantile(base.Times, 0.9)
	}
	tini := res.Startup["tini"]
	t50 := math.NaN()
	if tini != nil {
		t50 = median(tini.Times) - b50
	}
	t := &table{head: []string{"init", "median", "p90", "overhead (median)", "overhead (p90)", "overhead / tini's", "failures"}}
	for _, in := range res.Env.Inits {
		r := res.Startup[in.Name]
		if r == nil {
			continue
		}
		m50, m90 := median(r.Times), quantile(r.Times, 0.9)
		o50, o90, rt := fmtNs(m50-b50), fmtNs(m90-b90), ratio(m50-b50, t50)
		if in.None() {
			o50, o90, rt = "(baseline)", "(baseline)", "–"
		}
		fails := fmt.Sprint(r.Fails)
		if r.Err != "" {
			fails += " ⚠ " + r.Err
		}
		t.add(in.Name, fmtNs(m50), fmtNs(m90), o50, o90, rt, fails)
	}
	w("%s\n", t)
}

func footprintSection(b *strings.Builder, res *Results) {
	if res.Footprint == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Footprint\n\n")
	var window time.Duration
	for _, r := range res.Footprint {
		window = max(window, r.Window)
	}
	w("All inits run at once, each with a sleeping child; after %v to settle, the context switches (voluntary +\n", res.Cfg.Settle)
	w("nonvoluntary, summed over `/proc/<PID 1>/task/*/status`) are counted over %v: *wakeups/s*. RSS is\n", window)
	w("`VmRSS` and threads `Threads` from `/proc/<PID 1>/status` at the end of the window. Binary size is the file;\n")
	w("dynamically linked ones also map libc, which their RSS includes but their size does not.\n\n")
	var tini *FootprintRun
	for i := range res.Footprint {
		if res.Footprint[i].Init == "tini" {
			tini = &res.Footprint[i]
		}
	}
	t := &table{head: []string{"init", "binary", "linking", "RSS idle", "threads", "wakeups/s idle", "RSS / tini", "binary / tini"}}
	for _, r := range res.Footprint {
		link := "static"
		if !r.Static {
			link = "dynamic"
		}
		if r.Size < 0 {
			link = "–"
		}
		rr, br := "–", "–"
		if tini != nil {
			rr, br = ratio(float64(r.RSS), float64(tini.RSS)), ratio(float64(r.Size), float64(tini.Size))
		}
		wk := fmt.Sprintf("%.1f (%d in %v)", r.WakeupsSec, r.Switches, r.Window)
		if r.Err != "" {
			wk += " ⚠ " + r.Err
		}
		name := r.Init
		if r.Init == "no init" {
			name = "no init (the sleeping workload)"
		}
		t.add(name, fmtBytes(r.Size), link, fmtBytes(r.RSS), fmt.Sprint(r.Threads), wk, rr, br)
	}
	w("%s\n", t)
}

func shutdownSection(b *strings.Builder, res *Results) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	if res.Shutdown != nil {
		w("## Shutdown\n\n")
		w("SIGTERM to PID 1 until PID 1 is waited for; the workload keeps SIGTERM's default action, so it dies at once\n")
		w("when it gets it. %d runs per init (one for an init that does not exit: no point waiting again).\n\n", res.Cfg.ShutdownRuns)
		var tini float64 = math.NaN()
		for _, r := range res.Shutdown {
			if r.Init == "tini" {
				tini = median(r.Times)
			}
		}
		t := &table{head: []string{"init", "median", "p90", "/ tini", "PID 1 ended", "runs without exit"}}
		for _, r := range res.Shutdown {
			ex := r.ExitDesc
			if r.Err != "" {
				ex += " ⚠ " + r.Err
			}
			t.add(r.Init, fmtNs(median(r.Times)), fmtNs(quantile(r.Times, 0.9)), ratio(median(r.Times), tini), ex, fmt.Sprint(r.NoExit))
		}
		w("%s\n", t)
	}
	if res.Flush != nil {
		w("### Flush case\n\n")
		w("The workload starts a background helper in its process group and stays in the foreground. On SIGTERM the\n")
		w("foreground dies at once; the background writes `flushing`, needs 300 ms, then writes `flushed` and exits.\n")
		w("The outcome is read from their shared stdout pipe after the namespace is gone. %d run(s) per variant.\n\n", res.Cfg.FlushRuns)
		t := &table{head: []string{"init", "outcome", "SIGTERM → PID 1 exit (median)", "PID 1 ended"}}
		for _, r := range res.Flush {
			out := summarize(r.Outcomes)
			if r.Err != "" {
				out += " ⚠ " + r.Err
			}
			t.add(r.Init, out, fmtNs(median(r.Times)), r.ExitDesc)
		}
		w("%s\n", t)
	}
}

// summarize turns ["flushed","flushed","lost"] into "flushed ×2, lost ×1".
func summarize(xs []string) string {
	count := map[string]int{}
	var order []string
	for _, x := range xs {
		if count[x] == 0 {
			order = append(order, x)
		}
		count[x]++
	}
	var parts []string
	for _, x := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d", x, count[x]))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

func exhaustSection(b *strings.Builder, res *Results) {
	if res.Exhaust == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## PID exhaustion\n\n")
	w("The namespace runs in a cgroup v1 pids cgroup with pids.max = %d (threads count too). The workload starts a\n", exhaustMax)
	w("fork bomb for %d s: every process forks as fast as it can and lives at most 20 ms; nobody waits, so every\n", bombSeconds)
	w("process ends up with PID 1, which has to reap while the limit is reached. Then: is PID 1 alive; does it reap\n")
	w("every zombie (exact `/proc` scan, 3 s at most); does it exit on\n")
	w("SIGTERM (10 s at most; 2 s for no init). *Forks refused* is the cgroup's `pids.events` max counter.\n\n")
	t := &table{head: []string{"init", "forks ok / refused", "survived", "reaped all", "zombies left", "SIGTERM exit", "PID 1 ended", "PID 1 threads"}}
	for _, r := range res.Exhaust {
		reaped := "no"
		if r.Reaped {
			reaped = "yes, in " + fmtDur(r.ReapTime)
		}
		exit := "no"
		if r.CleanExit {
			exit = "yes, in " + fmtDur(r.ExitTime)
		}
		ended := r.ExitDesc
		if r.Log != "" {
			ended += "; stderr: `" + r.Log + "`"
		}
		if r.Err != "" {
			ended += " ⚠ " + r.Err
		}
		refused := strings.TrimPrefix(r.Events, "max ")
		t.add(r.Init, fmt.Sprintf("%d / %s", r.Forks, refused), yesno(r.Survived), reaped, fmt.Sprint(r.Left), exit, ended, fmt.Sprint(r.Threads))
	}
	w("%s\n", t)
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func goBenchSection(b *strings.Builder, res *Results) {
	if res.GoBench == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Go micro-benchmarks\n\n")
	w("`testing.B` benchmarks of sexton's hot functions (`bench/gobench.go`), run by the bench with\n")
	w("`testing.Benchmark`; `go test -run '^$' -bench . ./bench` runs the same ones. `procfs.Scan` reads every\n")
	w("process on the machine, so it scales with the host's process count.\n\n")
	t := &table{head: []string{"function", "ns/op", "B/op", "allocs/op", "iterations"}}
	for _, r := range res.GoBench {
		t.add(r.Name, fmt.Sprintf("%.0f", r.NsOp), fmt.Sprint(r.BytesOp), fmt.Sprint(r.AllocsOp), fmt.Sprint(r.N))
	}
	w("%s\n", t)
}
