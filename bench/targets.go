package main

import (
	"fmt"
	"math"
	"strings"
)

// targets renders the table of sexton's targets, each judged from this run.
func targets(res *Results) string {
	t := &table{head: []string{"target", "sexton", "tini", "verdict"}}
	verdict := func(ok, measured bool) string {
		switch {
		case !measured:
			return "not measured"
		case ok:
			return "met"
		}
		return "**missed**"
	}
	hasSexton := res.Env.Sexton != nil
	if !hasSexton {
		return "sexton could not be built, so none of its targets was measured.\n"
	}

	// Zero zombies left everywhere.
	{
		var parts []string
		worst, measured := 0, false
		for _, n := range res.Cfg.Sizes {
			for _, r := range res.Storm["sexton"][n] {
				measured = true
				if r.Left < 0 {
					worst = max(worst, math.MaxInt32)
				}
				worst = max(worst, r.Left)
			}
			if runs := res.Storm["sexton"][n]; len(runs) > 0 {
				parts = append(parts, fmt.Sprintf("storm %d: %d", n, stormMedians(runs).left))
			}
		}
		for _, r := range res.Exhaust {
			if r.Init == "sexton" {
				measured = true
				parts = append(parts, fmt.Sprintf("PID exhaustion: %d", r.Left))
				if r.Left != 0 {
					worst = max(worst, max(r.Left, 1))
				}
			}
		}
		t.add("zero zombies left in every scenario", strings.Join(parts, "; "), tiniLeft(res), verdict(worst == 0, measured))
	}
	// Peak zombies during the storm no higher than tini's.
	for _, n := range res.Cfg.Sizes {
		s, tn := res.Storm["sexton"][n], res.Storm["tini"][n]
		if len(s) == 0 || len(tn) == 0 {
			continue
		}
		sp, tp := stormMedians(s).peak, stormMedians(tn).peak
		t.add(fmt.Sprintf("peak unreaped orphans, storm of %d ≤ tini's (medians)", n), fmt.Sprintf("%.0f", sp), fmt.Sprintf("%.0f", tp), verdict(sp <= tp, true))
	}
	// Signal latency.
	var sx, tx *SignalRun
	for i := range res.Signals {
		switch res.Signals[i].Init {
		case "sexton":
			sx = &res.Signals[i]
		case "tini":
			tx = &res.Signals[i]
		}
	}
	if sx != nil && tx != nil && len(sx.Via) > 0 && len(tx.Via) > 0 {
		for _, q := range []float64{0.5, 0.99} {
			a, b := quantile(sx.Via, q), quantile(tx.Via, q)
			t.add(fmt.Sprintf("signal latency p%.0f ≤ 1.5× tini's", q*100), fmt.Sprintf("%s (%s)", fmtNs(a), ratio(a, b)), fmtNs(b), verdict(a <= 1.5*b, true))
		}
	} else {
		t.add("signal latency p50, p99 ≤ 1.5× tini's", "–", "–", verdict(false, false))
	}
	// Footprint.
	var sf, tf *FootprintRun
	for i := range res.Footprint {
		switch res.Footprint[i].Init {
		case "sexton":
			sf = &res.Footprint[i]
		case "tini":
			tf = &res.Footprint[i]
		}
	}
	if sf != nil && tf != nil && sf.Err == "" && tf.Err == "" {
		t.add("idle wakeups/s below tini's", fmt.Sprintf("%.1f", sf.WakeupsSec), fmt.Sprintf("%.1f", tf.WakeupsSec), verdict(sf.WakeupsSec < tf.WakeupsSec, true))
		t.add("RSS under 2.5 MiB", fmtBytes(sf.RSS), fmtBytes(tf.RSS), verdict(sf.RSS >= 0 && sf.RSS < 5<<19, sf.RSS >= 0))
		t.add("binary under 2 MiB", fmtBytes(sf.Size), fmtBytes(tf.Size)+" (dynamic)", verdict(sf.Size < 2<<20, true))
	} else {
		t.add("footprint (wakeups, RSS, binary)", "–", "–", verdict(false, false))
	}
	// Start-up overhead.
	if s, base := res.Startup["sexton"], res.Startup["no init"]; s != nil && base != nil && len(s.Times) > 0 && len(base.Times) > 0 {
		o := median(s.Times) - median(base.Times)
		tin := "–"
		if tr := res.Startup["tini"]; tr != nil && len(tr.Times) > 0 {
			tin = fmtNs(median(tr.Times) - median(base.Times))
		}
		t.add("start-up overhead under 1 ms (median)", fmtNs(o), tin, verdict(o < 1e6, true))
	} else {
		t.add("start-up overhead under 1 ms", "–", "–", verdict(false, false))
	}
	// PID exhaustion.
	var se, te *ExhaustRun
	for i := range res.Exhaust {
		switch res.Exhaust[i].Init {
		case "sexton":
			se = &res.Exhaust[i]
		case "tini":
			te = &res.Exhaust[i]
		}
	}
	if se != nil {
		desc := func(r *ExhaustRun) string {
			if r == nil {
				return "–"
			}
			return fmt.Sprintf("survived %s, reaped %s, SIGTERM exit %s", yesno(r.Survived), yesno(r.Reaped), yesno(r.CleanExit))
		}
		ok := se.Survived && se.Reaped && se.CleanExit
		t.add("survives PID exhaustion, reaps, exits on SIGTERM", desc(se), desc(te), verdict(ok, true))
	} else {
		t.add("survives PID exhaustion", "–", "–", verdict(false, false))
	}
	return t.String()
}

func tiniLeft(res *Results) string {
	var parts []string
	for _, n := range res.Cfg.Sizes {
		if runs := res.Storm["tini"][n]; len(runs) > 0 {
			parts = append(parts, fmt.Sprintf("storm %d: %d", n, stormMedians(runs).left))
		}
	}
	for _, r := range res.Exhaust {
		if r.Init == "tini" {
			parts = append(parts, fmt.Sprintf("PID exhaustion: %d", r.Left))
		}
	}
	return strings.Join(parts, "; ")
}
