package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// verdicts: what a target row says.
const (
	met         = "met"
	missed      = "**missed**"
	notMeasured = "not measured"
)

func verdict(ok bool) string {
	if ok {
		return met
	}
	return missed
}

// targets renders the table of issue 10's targets (and issue 13's reaction
// times), each judged from this run.
func targets(res *Results) string {
	if res.Env.Sexton == nil {
		return "sexton could not be built, so none of its targets was measured.\n"
	}
	t := &table{head: []string{"target", "sexton", "reference", "verdict"}}
	stormTargets(t, res)
	startupTargets(t, res)
	idleTargets(t, res)
	signalTargets(t, res)
	otherTargets(t, res)
	mixTargets(t, res)
	return t.String()
}

func stormTargets(t *table, res *Results) {
	for _, n := range res.Cfg.Sizes {
		s, tn := res.Storm["sexton"][n], res.Storm["tini"][n]
		if len(s) == 0 || len(tn) == 0 {
			t.add(fmt.Sprintf("orphan storm %d", n), "–", "–", notMeasured)
			continue
		}
		sm, tm := stormMedians(s), stormMedians(tn)
		t.add(fmt.Sprintf("storm %d: init CPU ≤ tini's", n), fmtNs(sm.cpu), "tini "+fmtNs(tm.cpu)+" ("+ratio(sm.cpu, tm.cpu)+")", verdict(sm.cpu <= tm.cpu))
		t.add(fmt.Sprintf("storm %d: the workload's run time ≤ 1.05× tini's", n), fmtNs(sm.create), "tini "+fmtNs(tm.create)+" ("+ratio(sm.create, tm.create)+")", verdict(sm.create <= 1.05*tm.create))
		t.add(fmt.Sprintf("storm %d: zero zombies left (worst run)", n), fmt.Sprint(sm.left), fmt.Sprintf("tini %d", tm.left), verdict(sm.left == 0))
		limit := math.Max(2*tm.peak, 16)
		t.add(fmt.Sprintf("storm %d: peak unreaped orphans ≤ max(2× tini's, 16)", n), fmt.Sprintf("%.0f", sm.peak), fmt.Sprintf("tini %.0f → limit %.0f", tm.peak, limit), verdict(sm.peak <= limit))
		t.add(fmt.Sprintf("storm %d: no zombie older than 20 ms at any sample (worst run)", n), fmtDur(sm.oldest), "tini "+fmtDur(tm.oldest), verdict(sm.oldest <= 20*time.Millisecond))
	}
}

// overhead returns init's start+stop time quantile q minus no init's.
func overhead(res *Results, init string, q float64) float64 {
	r, base := res.Startup[init], res.Startup["no init"]
	if r == nil || base == nil || len(r.Times) == 0 || len(base.Times) == 0 {
		return math.NaN()
	}
	return quantile(r.Times, q) - quantile(base.Times, q)
}

func startupTargets(t *table, res *Results) {
	for _, q := range []float64{0.5, 0.99} {
		name := fmt.Sprintf("start+stop overhead p%.0f ≤ 1.2× go-floor's", q*100)
		s, f := overhead(res, "sexton", q), overhead(res, "go-floor", q)
		if math.IsNaN(s) || math.IsNaN(f) {
			t.add(name, "–", "–", notMeasured)
			continue
		}
		t.add(name, fmtNs(s), "go-floor "+fmtNs(f)+" ("+ratio(s, f)+"); tini "+fmtNs(overhead(res, "tini", q)), verdict(s <= 1.2*f))
	}
}

func findFootprint(res *Results, init string) *FootprintRun {
	for i := range res.Footprint {
		if res.Footprint[i].Init == init && res.Footprint[i].Err == "" {
			return &res.Footprint[i]
		}
	}
	return nil
}

func idleTargets(t *table, res *Results) {
	s, f := findFootprint(res, "sexton"), findFootprint(res, "go-floor")
	if s == nil || f == nil {
		t.add("idle RSS, RssAnon, threads, wakeups", "–", "–", notMeasured)
		return
	}
	t.add("idle RSS ≤ 1.5 MiB", fmtBytes(s.RSS), "go-floor "+fmtBytes(f.RSS), verdict(s.RSS >= 0 && s.RSS <= 3<<19))
	t.add("idle RSS ≤ go-floor's", fmtBytes(s.RSS), "go-floor "+fmtBytes(f.RSS), verdict(s.RSS >= 0 && s.RSS <= f.RSS))
	t.add("idle RssAnon ≤ go-floor's + 128 KiB", fmtBytes(s.RssAnon), "go-floor "+fmtBytes(f.RssAnon), verdict(s.RssAnon >= 0 && f.RssAnon >= 0 && s.RssAnon <= f.RssAnon+128<<10))
	t.add("threads at rest ≤ 4", fmt.Sprint(s.Threads), fmt.Sprintf("go-floor %d", f.Threads), verdict(s.Threads > 0 && s.Threads <= 4))
	t.add("0 wakeups/s at rest", fmt.Sprintf("%.1f", s.WakeupsSec), fmt.Sprintf("go-floor %.1f", f.WakeupsSec), verdict(s.Switches == 0))
}

func findSignal(runs []SignalRun, init string) *SignalRun {
	for i := range runs {
		if runs[i].Init == init && len(runs[i].Via) > 0 {
			return &runs[i]
		}
	}
	return nil
}

// signalTargets: sexton ≤ 1.5× tini's; where go-fwd, the smallest Go
// forwarder, cannot reach that either, sexton at most go-fwd's meets the
// Go floor instead.
func signalTargets(t *table, res *Results) {
	for _, set := range []struct {
		sig  string
		runs []SignalRun
	}{{"SIGUSR1", res.Signals}, {"SIGTERM", res.Terms}} {
		s, tn, fw := findSignal(set.runs, "sexton"), findSignal(set.runs, "tini"), findSignal(set.runs, "go-fwd")
		for _, q := range []float64{0.5, 0.99} {
			name := fmt.Sprintf("%s forwarding p%.0f ≤ 1.5× tini's (or go-fwd's, if go-fwd is over too)", set.sig, q*100)
			if s == nil || tn == nil {
				t.add(name, "–", "–", notMeasured)
				continue
			}
			a, b := quantile(s.Via, q), quantile(tn.Via, q)
			ref := "tini " + fmtNs(b) + " (" + ratio(a, b) + ")"
			v := verdict(a <= 1.5*b)
			if fw != nil {
				f := quantile(fw.Via, q)
				ref += "; go-fwd " + fmtNs(f) + " (" + ratio(f, b) + " of tini's)"
				if a > 1.5*b && f > 1.5*b && a <= f {
					v = "met at the Go floor"
				}
			}
			t.add(name, fmtNs(a), ref, v)
		}
	}
}

func otherTargets(t *table, res *Results) {
	if s := findFootprint(res, "sexton"); s != nil {
		f := findFootprint(res, "go-floor")
		ref := "–"
		if f != nil {
			ref = "go-floor " + fmtBytes(f.Size)
		}
		link := "static"
		if !s.Static {
			link = "dynamic"
		}
		v := verdict(s.Static && s.Size <= 2<<20)
		if s.Static && s.Size > 2<<20 && explainedSize(res, "sexton") {
			// The alternative: say with go tool nm what the rest buys.
			v = "**over**: what the rest buys is in *Binary size*"
		}
		t.add("binary ≤ 2.0 MiB, static", fmtBytes(s.Size)+", "+link, ref, v)
	} else {
		t.add("binary ≤ 2.0 MiB, static", "–", "–", notMeasured)
	}
	if res.RootMod.Err != "" {
		t.add("the bench's chart library is not in sexton's go.mod", "–", res.RootMod.Err, notMeasured)
	} else {
		t.add("the bench's chart library is not in sexton's go.mod", "requires "+strings.Join(res.RootMod.Requires, ", "), "bench/go.mod is its own module", verdict(!res.RootMod.Gonum))
	}
	var se, te *ExhaustRun
	for i := range res.Exhaust {
		switch res.Exhaust[i].Init {
		case "sexton":
			se = &res.Exhaust[i]
		case "tini":
			te = &res.Exhaust[i]
		}
	}
	desc := func(r *ExhaustRun) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf("survived %s, reaped %s, SIGTERM exit %s, zombies left %d", yesno(r.Survived), yesno(r.Reaped), yesno(r.CleanExit), r.Left)
	}
	if se != nil {
		t.add("survives PID exhaustion, reaps all, exits on SIGTERM", desc(se), "tini: "+desc(te), verdict(se.Survived && se.Reaped && se.CleanExit && se.Left == 0))
	} else {
		t.add("survives PID exhaustion, reaps all, exits on SIGTERM", "–", "–", notMeasured)
	}
}

// mixReactLimit is issue 13's bar: tini and dumb-init react within it.
const mixReactLimit = 500 * time.Millisecond

func mixTargets(t *table, res *Results) {
	for _, c := range mixCases {
		what := map[string]string{"child exits": "child exit → PID 1 exit", "SIGTERM": "SIGTERM → the child has it"}[c]
		name := fmt.Sprintf("(issue 13) mixed signal storm, %s ≤ %v in every run", what, mixReactLimit)
		s := findMix(res, "sexton", c)
		if s == nil || len(s.React) == 0 {
			t.add(name, "–", "–", notMeasured)
			continue
		}
		var refs []string
		for _, peer := range []string{"tini", "dumb-init", "go-fwd"} {
			if p := findMix(res, peer, c); p != nil && len(p.React) > 0 {
				refs = append(refs, peer+" "+fmtNsOrNever(maxOf(p.React)))
			}
		}
		worst := maxOf(s.React)
		t.add(name, "worst "+fmtNsOrNever(worst), "worst: "+strings.Join(refs, "; "), verdict(worst <= float64(mixReactLimit)))
	}
}

func findMix(res *Results, init, c string) *MixRun {
	for i := range res.Mix {
		if res.Mix[i].Init == init && res.Mix[i].Case == c {
			return &res.Mix[i]
		}
	}
	return nil
}

// explainedSize reports whether the run has the symbol-table breakdown of
// init's binary, by package.
func explainedSize(res *Results, init string) bool {
	for _, r := range res.BinSize {
		if r.Init == init && r.Err == "" && len(r.Pkgs) > 0 {
			return true
		}
	}
	return false
}
