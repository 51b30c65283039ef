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
	w("# Benchmarks: sexton against tini, tini-static, dumb-init, catatonit, the Go floor and no init\n\n")
	w("Reproduce (as root; about %s on the machine below). The bench is a Go module of its own, in `bench/`:\n\n", res.Took.Round(time.Minute))
	w("```sh\ncd bench && go run . -out ../docs/benchmarks.md\n```\n\n")
	w("It checks its prerequisites (root, gcc, the cgroup v1 pids controller, a memory cgroup controller), apt-get\n")
	w("installs missing peers (`-install=false` to only report them), compiles the C workload helper, builds sexton\n")
	w("and the two Go floor contenders the way sexton ships, then measures. `-only storm,signal,...` runs some\n")
	w("scenarios; `-quick` is a short smoke run. The raw results go to `bench/out/results.json`;\n")
	w("`cd bench && go run . -render out/results.json -out ../docs/benchmarks.md` re-renders this file and the chart\n")
	w("from them without measuring again.\n\n")
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
	mt.add("sexton source", "`"+m.Commit+"` (last commit touching the packages in the sexton binary)")
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
		ct.add(in.Name, "`"+strings.Join(in.Argv, " ")+" WORKLOAD`", "`"+in.Path+"`", contenderVersion(m, in))
	}
	if e.GoFwd != nil {
		ct.add("go-fwd (signal scenarios only)", "`"+strings.Join(e.GoFwd.Argv, " ")+" WORKLOAD`", "`"+e.GoFwd.Path+"`", contenderVersion(m, e.GoFwd))
	}
	w("%s\n", ct)
	if len(e.Missing) > 0 {
		w("**Missing, so not measured:** %s.\n\n", strings.Join(e.Missing, "; "))
	}

	w("*go-floor* (`bench/contenders/gofloor`) is the smallest Go init: `syscall.ForkExec` of the command, then a\n")
	w("blocking `wait4(-1)` loop that reaps everything until the command exits; it relays no signal. *go-fwd*\n")
	w("(`bench/contenders/gofwd`) is the smallest Go program that forwards signals: one `signal.Notify` of every\n")
	w("forwardable signal, `kill` of each to the child, a non-blocking reap on every wake-up. Both are built like\n")
	w("sexton; they show the floor a Go init stands on.\n\n")

	w("## Targets for sexton\n\n")
	w("The targets of issue 10 (and issue 13's reaction times), each beside the value this run measured and a verdict\n")
	w("computed from it. Medians over the interleaved rounds unless the row says otherwise. The analysis of every\n")
	w("miss is in *Analysis* at the end.\n\n%s\n", targets(res))

	stormSection(&b, res)
	signalSection(&b, res)
	mixSection(&b, res)
	startupSection(&b, res)
	footprintSection(&b, res)
	memorySection(&b, res)
	binSizeSection(&b, res)
	shutdownSection(&b, res)
	exhaustSection(&b, res)
	goBenchSection(&b, res)

	w("## Analysis\n\n%s", notes)
	return b.String()
}

// contenderVersion says where a contender comes from.
func contenderVersion(m Machine, in *Init) string {
	switch in.Name {
	case "sexton":
		return "this repository, `CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'`"
	case "go-floor", "go-fwd":
		return "`bench/contenders`, built like sexton"
	}
	return m.Versions[in.Pkg]
}

func stormSection(b *strings.Builder, res *Results) {
	if res.Storm == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Orphan storm\n\n")
	w("The workload forks; the child forks a grandchild that exits at once, then the child exits; the workload reaps\n")
	w("only its direct child, so every grandchild becomes an orphan of PID 1. It does that N times as fast as it can.\n")
	w("A sampler reads the children of PID 1's leader thread (`/proc/1/task/1/children` in the namespace's own `/proc`:\n")
	w("the kernel hands orphans to the init's leader thread, whatever thread forked the workload; one file per sample\n")
	w("for every init) every %v (zombies stay listed there until reaped) and counts\n", sampleEvery)
	w("the entries other than the workload: the *unreaped orphans* (in effect zombies; a grandchild is a zombie\n")
	w("microseconds after its fork). *Create* is the workload's own clock from the first fork to the last orphan;\n")
	w("*drain* runs from the last orphan until a sample shows none left (resolution ~%v); *left* is an exact\n", sampleEvery)
	w("count of `Z` processes in the namespace from a full `/proc` scan after the drain (5 s at most; 1 s for no init);\n")
	w("*init CPU* is the sum of `/proc/<PID 1>/task/*/schedstat` on-CPU time over the run. Each storm runs in\n")
	w("a pids cgroup with pids.max = %d, because pid_max is 32768 on this machine and no init would otherwise\n", stormCap)
	w("take the host's PIDs; no reaping init comes near it. Medians over the runs shown; *left* is the worst run.\n")
	w("The peak is one sample, so a single moment when the init was not scheduled decides it; the *mean* over all\n")
	w("samples taken during the storm shows how promptly an init reaps in general.\n\n")
	w("*Oldest zombie* is the age of the oldest unreaped orphan seen at any sample (worst run): every orphan writes its\n")
	w("CLOCK_MONOTONIC time into a shared array indexed by its PID just before it exits, and at each sample the\n")
	w("bench reads the listed orphans' stamps (through the namespace's own `/proc`, so PIDs match). PIDs are reused\n")
	w("within a storm, so a stamp only counts if it is later than that process's start time in `/proc/PID/stat`\n")
	w("(clock ticks); an orphan that has not stamped yet is still running, not a zombie. *> 20 ms* counts the samples\n")
	w("(worst run) that saw a zombie older than 20 ms. Only the first %d listed orphans of a sample are aged (the kernel\n", maxAgedPerSample)
	w("lists PID 1's children in the order they were reparented, oldest first; only no init ever has more).\n\n")
	for si, n := range res.Cfg.Sizes {
		w("### N = %d (%d run(s) per init, interleaved; no init once)\n\n", n, res.Cfg.StormRuns[si])
		t := &table{head: []string{"init", "orphans made", "create (workload run time)", "peak unreaped", "mean unreaped", "oldest zombie", "> 20 ms", "drain", "zombies left", "init CPU", "create / tini", "peak / tini", "CPU / tini"}}
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
			t.add(name, made, fmtNs(s.create), fmt.Sprintf("%.0f", s.peak), fmtMean(s.mean), fmtDur(s.oldest), fmt.Sprint(s.over20), fmtNsOrNever(s.drain), fmt.Sprintf("%d", s.left),
				fmtNs(s.cpu), ratio(s.create, tini.create), ratio(s.peak, tini.peak), ratio(s.cpu, tini.cpu))
		}
		w("%s\n", t)
	}
	if res.Chart != "" {
		w("![unreaped orphans over time during the orphan storm, one panel per init and size](%s)\n\n", res.Chart)
		w("One run per panel (the run with the median peak). The inits share a y scale; no init has its own.\n\n")
	}
	w("<details><summary>Every storm run</summary>\n\n")
	w("*bench CPU* is the bench process's own CPU time over the run, mostly the sampler: it competes for the same two\n")
	w("CPUs as the init and the workload, equally for every init.\n\n")
	t := &table{head: []string{"init", "N", "made", "refused", "create", "peak", "oldest zombie", "> 20 ms", "drain", "left", "init CPU", "VmHWM", "samples", "bench CPU", "error"}}
	for _, name := range stormOrder(res) {
		for _, n := range res.Cfg.Sizes {
			for _, r := range res.Storm[name][n] {
				t.add(name, fmt.Sprint(n), fmt.Sprint(r.Made), fmt.Sprint(r.Failed), fmtDur(r.Create), fmt.Sprint(r.Peak), fmtDur(r.OldestZombie), fmt.Sprint(r.Over20ms),
					fmtNsOrNever(durs([]time.Duration{r.Drain})[0]), fmt.Sprint(r.Left), fmtDur(r.CPU), fmtBytes(r.HWM), fmt.Sprint(r.SamplesTaken), fmtDur(r.BenchCPU), r.Err)
			}
		}
	}
	w("%s\n</details>\n\n", t)
}

type stormMed struct {
	made, failed, create, peak, drain, cpu float64
	mean                                   float64       // of the samples taken during the storm
	left                                   int           // worst run
	oldest                                 time.Duration // worst run
	over20                                 int           // worst run
	err                                    string
}

func stormMedians(runs []StormRun) stormMed {
	if len(runs) == 0 {
		return stormMed{made: math.NaN(), create: math.NaN(), peak: math.NaN(), drain: math.NaN(), cpu: math.NaN()}
	}
	var made, failed, create, peak, drain, cpu, mean []float64
	s := stormMed{}
	unknown := false // a run whose zombies could not be counted
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
		unknown = unknown || r.Left < 0
		s.oldest = max(s.oldest, r.OldestZombie)
		s.over20 = max(s.over20, r.Over20ms)
		if r.Err != "" {
			s.err = r.Err
		}
	}
	s.made, s.failed, s.create, s.peak, s.drain, s.cpu = median(made), median(failed), median(create), median(peak), median(drain), median(cpu)
	s.mean = median(mean)
	if unknown {
		s.left = -1
	}
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
	if res.Signals == nil && res.Terms == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Signal forwarding latency\n\n")
	w("A signal goes to PID 1 (`kill` from outside the namespace); the workload's handler stamps CLOCK_MONOTONIC and\n")
	w("writes it to a pipe; latency = handler stamp − stamp taken just before `kill`. *Direct* is the baseline: the\n")
	w("same workload in the same namespace signalled directly. With no init the workload *is* PID 1, so both columns\n")
	w("measure the same thing. go-floor relays no signal and is left out; go-fwd, the smallest Go program that\n")
	w("forwards signals, stands in for the Go floor.\n\n")
	if res.Signals != nil {
		w("### SIGUSR1\n\n")
		w("%d signals per init in one namespace, each sent after the previous one arrived plus a %v pause, alternating\n", res.Cfg.Signals, signalGap)
		w("with the direct ones.\n\n%s\n", signalTable(res.Signals))
	}
	if res.Terms != nil {
		w("### SIGTERM\n\n")
		w("SIGTERM ends a run, so every sample is a fresh namespace (%d per init, the inits in a new random order each\n", res.Cfg.TermRuns)
		w("round): the workload first gets one SIGTERM directly (the baseline; its handler survives the first), then one\n")
		w("through PID 1 (it dies of that one, and the init exits).\n\n%s\n", signalTable(res.Terms))
	}
}

func signalTable(runs []SignalRun) string {
	t := &table{head: []string{"init", "p50", "p99", "max", "p50 / tini", "p99 / tini", "direct p50", "direct p99", "samples", "lost"}}
	tini := findSignal(runs, "tini")
	for _, r := range runs {
		p50, p99 := quantile(r.Via, 0.5), quantile(r.Via, 0.99)
		r50, r99 := "–", "–"
		if tini != nil {
			r50, r99 = ratio(p50, quantile(tini.Via, 0.5)), ratio(p99, quantile(tini.Via, 0.99))
		}
		lost := fmt.Sprint(r.Lost)
		if r.Err != "" {
			lost += " ⚠ " + r.Err
		}
		t.add(r.Init, fmtNs(p50), fmtNs(p99), fmtNs(maxOf(r.Via)), r50, r99, fmtNs(quantile(r.Direct, 0.5)), fmtNs(quantile(r.Direct, 0.99)), fmt.Sprint(len(r.Via)), lost)
	}
	return t.String()
}

func mixSection(b *strings.Builder, res *Results) {
	if res.Mix == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Mixed signal storm (issue 13)\n\n")
	w("Two processes outside the namespace send PID 1 queued real-time signals (`sigqueue`, SIGRTMIN+1 to +8) and every\n")
	w("8th time SIGUSR1 or SIGUSR2, as fast as they can, for %.0f s; the child ignores all of those. %v into the storm\n", mixSeconds, mixEventAt)
	w("either the child exits (*reaction*: its last stamp before `_exit` until PID 1 is waited for) or SIGTERM is\n")
	w("sent to PID 1 (*reaction*: until the child's SIGTERM handler runs; *exit*: until PID 1 is waited for). %d round(s),\n", res.Cfg.MixRounds)
	w("the inits and cases interleaved; *never* means nothing within %v. *Queued* is what the two senders got into the\n", mixTimeout)
	w("queue per run, *refused* the `sigqueue` calls that found the queue full (EAGAIN: the per-user limit,\n")
	w("RLIMIT_SIGPENDING), *SigQ* PID 1's `/proc` SigQ (signals queued for its user / limit) at the event.\n\n")
	t := &table{head: []string{"case", "init", "reaction median", "reaction worst", "exit median", "queued (median)", "refused (median)", "SigQ at the event", "PID 1 ended"}}
	for _, r := range res.Mix {
		ex := r.ExitDesc
		if r.Err != "" {
			ex += " ⚠ " + r.Err
		}
		exit := "–"
		if len(r.Exit) > 0 {
			exit = fmtNsOrNever(median(r.Exit))
		}
		t.add(r.Case, r.Init, fmtNsOrNever(median(r.React)), fmtNsOrNever(maxOf(r.React)), exit,
			fmt.Sprintf("%.0f", median(int64s(r.Queued))), fmt.Sprintf("%.0f", median(int64s(r.Refused))), strings.Join(r.SigQ, ", "), ex)
	}
	w("%s\n", t)
}

// fmtMean formats a mean count; "–" when nothing was sampled.
func fmtMean(m float64) string {
	if math.IsNaN(m) {
		return "–"
	}
	return fmt.Sprintf("%.2f", m)
}

func int64s(xs []int64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func startupSection(b *strings.Builder, res *Results) {
	if res.Startup == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Start-up overhead\n\n")
	w("Wall time of `INIT -- /bin/true` (no init: `/bin/true` alone), each in a fresh PID namespace, from fork of the\n")
	w("trampoline until PID 1 is waited for; %d rounds, the inits in a new random order each round. *Overhead* =\n", res.Cfg.StartupRounds)
	w("that init's p50 (p99) − the p50 (p99) of `/bin/true` alone, so namespace creation, the `/proc` mount and\n")
	w("teardown cancel out.\n\n")
	t := &table{head: []string{"init", "p50", "p99", "overhead p50", "overhead p99", "p50 / go-floor's", "p99 / go-floor's", "p50 / tini's", "failures"}}
	f50, f99, t50 := overhead(res, "go-floor", 0.5), overhead(res, "go-floor", 0.99), overhead(res, "tini", 0.5)
	for _, in := range res.Env.Inits {
		r := res.Startup[in.Name]
		if r == nil {
			continue
		}
		o50, o99 := overhead(res, in.Name, 0.5), overhead(res, in.Name, 0.99)
		cells := []string{fmtNs(o50), fmtNs(o99), ratio(o50, f50), ratio(o99, f99), ratio(o50, t50)}
		if in.None() {
			cells = []string{"(baseline)", "(baseline)", "–", "–", "–"}
		}
		fails := fmt.Sprint(r.Fails)
		if r.Err != "" {
			fails += " ⚠ " + r.Err
		}
		t.add(append(append([]string{in.Name, fmtNs(quantile(r.Times, 0.5)), fmtNs(quantile(r.Times, 0.99))}, cells...), fails)...)
	}
	w("%s\n", t)
}

func footprintSection(b *strings.Builder, res *Results) {
	if res.Footprint == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Footprint at rest\n\n")
	var window time.Duration
	for _, r := range res.Footprint {
		window = max(window, r.Window)
	}
	w("All inits run at once, each with a sleeping child; after %v to settle, the context switches (voluntary +\n", res.Cfg.Settle)
	w("nonvoluntary, summed over `/proc/<PID 1>/task/*/status`) are counted over %v: *wakeups/s*. RSS is\n", window)
	w("`VmRSS`, RssAnon `RssAnon` (the anonymous part: heap, stacks, runtime data) and threads `Threads` from\n")
	w("`/proc/<PID 1>/status` at the end of the window. Binary size is the file; dynamically linked ones also map\n")
	w("libc, which their RSS includes but their size does not.\n\n")
	floor := findFootprint(res, "go-floor")
	t := &table{head: []string{"init", "binary", "linking", "RSS", "RssAnon", "threads", "wakeups/s", "RSS / go-floor's", "RssAnon − go-floor's"}}
	for _, r := range res.Footprint {
		link := "static"
		if !r.Static {
			link = "dynamic"
		}
		if r.Size < 0 {
			link = "–"
		}
		rr, ra := "–", "–"
		if floor != nil {
			rr = ratio(float64(r.RSS), float64(floor.RSS))
			if r.RssAnon >= 0 && floor.RssAnon >= 0 {
				ra = fmt.Sprintf("%+.0f KiB", float64(r.RssAnon-floor.RssAnon)/1024)
			}
		}
		wk := fmt.Sprintf("%.1f (%d in %v)", r.WakeupsSec, r.Switches, r.Window)
		if r.Err != "" {
			wk += " ⚠ " + r.Err
		}
		name := r.Init
		if r.Init == "no init" {
			name = "no init (the sleeping workload)"
		}
		t.add(name, fmtBytes(r.Size), link, fmtBytes(r.RSS), fmtBytes(r.RssAnon), fmt.Sprint(r.Threads), wk, rr, ra)
	}
	w("%s\n", t)
}

func memorySection(b *strings.Builder, res *Results) {
	if res.Mem == nil && res.MemCtl == "" && res.Footprint == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Memory: peak RSS and the smallest memory limit\n\n")
	w("*Peak RSS* is PID 1's `VmHWM` (the most it was ever resident) at the end of three runs: at rest (the footprint\n")
	w("run), after %d SIGUSR1 relayed (the SIGUSR1 run), and after reaping the orphan storm of %d (median of the\n", res.Cfg.Signals, firstSize(res))
	w("storm runs). *Smallest memory limit*: `INIT -- benchhelper exit 7` as PID 1 of a fresh namespace inside a fresh\n")
	w("memory cgroup (%s) with that limit passes when PID 1 exits 7 within 5 s; the limit is bisected from %s\n", memCtlDesc(res.MemCtl), fmtBytes(memHigh))
	w("down to a %s step, and a limit passes only when %d tries in a row do. The cgroup holds the init, its child\n", fmtBytes(memStep), memTries)
	w("(a static C program) and the trampoline before it execs the init, so the limit is the init's need plus a small\n")
	w("constant that *no init* shows alone. The binaries' file pages are already in the page cache by then (charged\n")
	w("to the cgroup that first read them), so this is the memory an init needs when its image is warm. *Usage at the\n")
	w("limit* is the cgroup's peak usage in a passing try; *just below* says how a try one step lower ended.\n\n")
	t := &table{head: []string{"init", "peak RSS at rest", "after SIGUSR1s", "after the storm", "smallest memory limit", "usage at the limit", "just below", "probes"}}
	for _, in := range res.Env.Inits {
		idle, sig, storm := "–", "–", "–"
		if f := findFootprint(res, in.Name); f != nil && f.HWM > 0 {
			idle = fmtBytes(f.HWM)
		}
		if s := findSignal(res.Signals, in.Name); s != nil && s.HWM > 0 {
			sig = fmtBytes(s.HWM)
		}
		if runs := res.Storm[in.Name][firstSize(res)]; len(runs) > 0 {
			var h []float64
			for _, r := range runs {
				if r.HWM > 0 {
					h = append(h, float64(r.HWM))
				}
			}
			if len(h) > 0 {
				storm = fmtBytes(int64(median(h)))
			}
		}
		lim, use, below, probes := "–", "–", "–", "–"
		for _, m := range res.Mem {
			if m.Init != in.Name {
				continue
			}
			probes = fmt.Sprint(m.Probes)
			if m.Min < 0 {
				lim = "⚠ " + m.Err
				break
			}
			lim, use, below = fmtBytes(m.Min), fmtBytes(m.Peak), m.FailedAt
		}
		if in.None() && idle != "–" {
			idle = "(the workload) " + idle
		}
		t.add(in.Name, idle, sig, storm, lim, use, below, probes)
	}
	w("%s\n", t)
}

func firstSize(res *Results) int {
	if len(res.Cfg.Sizes) == 0 {
		return 0
	}
	return res.Cfg.Sizes[0]
}

func memCtlDesc(v string) string {
	switch v {
	case "":
		return "not run"
	case "v1":
		return "cgroup v1, `memory.limit_in_bytes`"
	case "v2":
		return "cgroup v2, `memory.max`"
	}
	return "not available: " + v
}

func binSizeSection(b *strings.Builder, res *Results) {
	if res.BinSize == nil {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## Binary size: what the bytes buy\n\n")
	w("`go tool nm -size -sort size` of a build with the symbol table kept (`-ldflags=-w`, otherwise as shipped).\n")
	w("*Symbols* sums the symbols that are in the file (bss and undefined ones left out); the file also holds\n")
	w("headers and tables that are no symbol. By package (`type:` is runtime type data, `go:` generated function\n")
	w("and string data), then the largest symbols.\n\n")
	for _, r := range res.BinSize {
		size := int64(-1)
		if f := findFootprint(res, r.Init); f != nil {
			size = f.Size
		}
		w("### %s (file %s, symbols %s)\n\n", r.Init, fmtBytes(size), fmtBytes(r.Total))
		if r.Err != "" {
			w("⚠ %s\n\n", r.Err)
			continue
		}
		pt := &table{head: []string{"package", "size", "symbols"}}
		for _, p := range r.Pkgs {
			pt.add("`"+p.Pkg+"`", fmtBytes(p.Size), fmt.Sprint(p.Symbols))
		}
		st := &table{head: []string{"symbol", "type", "size"}}
		for _, s := range r.Top {
			st.add("`"+s.Name+"`", s.Type, fmtBytes(s.Size))
		}
		w("%s\n%s\n", pt, st)
	}
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
	w("`testing.Benchmark`; `cd bench && go test -run '^$' -bench .` runs the same ones. `procfs.Scan` reads every\n")
	w("process on the machine, so it scales with the host's process count.\n\n")
	t := &table{head: []string{"function", "ns/op", "B/op", "allocs/op", "iterations"}}
	for _, r := range res.GoBench {
		t.add(r.Name, fmt.Sprintf("%.0f", r.NsOp), fmt.Sprint(r.BytesOp), fmt.Sprint(r.AllocsOp), fmt.Sprint(r.N))
	}
	w("%s\n", t)
}
