package doctor

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for people.
func WriteText(w io.Writer, r *Report) {
	var b strings.Builder
	p := &r.PID1
	fmt.Fprintf(&b, "sexton doctor: %s\n\n", map[string]string{"healthy": "healthy", "problems": "PROBLEMS FOUND"}[r.Status])

	cmd := describe(p.Comm, p.Cmdline)
	fmt.Fprintf(&b, "PID 1         %s\n", cmd)
	fmt.Fprintf(&b, "  verdict     %s\n", p.Verdict)
	if p.Signals != nil {
		fmt.Fprintf(&b, "  signals     SIGTERM: %s, SIGINT: %s\n", sigText(p.Signals["SIGTERM"]), sigText(p.Signals["SIGINT"]))
	}

	z := &r.Zombies
	fmt.Fprintf(&b, "\nZombies       %d", z.Total)
	if z.Total > 0 {
		fmt.Fprintf(&b, " (%d older than %s; oldest %s)", z.Lingering, time.Duration(r.Thresholds.MinAgeSeconds*float64(time.Second)).String(), secs(z.OldestSeconds))
	}
	b.WriteString("\n")
	if z.Total > 0 {
		b.WriteString("  by parent:\n")
		for i, pg := range z.ByParent {
			if i == 8 {
				fmt.Fprintf(&b, "    ... %d more parents\n", len(z.ByParent)-i)
				break
			}
			fmt.Fprintf(&b, "    %5d  pid %d (%s)  oldest %s\n", pg.Count, pg.PID, describe(pg.Comm, pg.Cmdline), secs(pg.OldestSeconds))
		}
		b.WriteString("  by command:\n")
		for i, cg := range z.ByCommand {
			if i == 8 {
				fmt.Fprintf(&b, "    ... %d more commands\n", len(z.ByCommand)-i)
				break
			}
			fmt.Fprintf(&b, "    %5d  %s  oldest %s\n", cg.Count, cg.Comm, secs(cg.OldestSeconds))
		}
		if z.TopParent != nil {
			fmt.Fprintf(&b, "  most held by pid %d (%s): %d\n", z.TopParent.PID, z.TopParent.Comm, z.TopParent.Count)
		}
	}

	pb := &r.PIDs
	b.WriteString("\nPID budget\n")
	fmt.Fprintf(&b, "  tasks       %d (threads included; %d processes)\n", pb.Tasks, pb.Processes)
	if c := pb.Cgroup; c != nil {
		limit := "no limit"
		if c.Max >= 0 {
			limit = fmt.Sprintf("pids.current %d of pids.max %d", c.Current, c.Max)
			if c.LimitDir != c.Dir {
				limit += " (set on " + c.LimitDir + ")"
			}
		} else if c.LimitDir != "" {
			limit = fmt.Sprintf("pids.current %d, pids.max max", c.Current)
		}
		fmt.Fprintf(&b, "  cgroup      v%d %s: %s\n", c.Version, c.Dir, limit)
	} else {
		b.WriteString("  cgroup      none found\n")
	}
	fmt.Fprintf(&b, "  kernel      pid_max %d, threads-max %d\n", pb.PidMax, pb.ThreadsMax)
	if pb.LimitedBy != "" {
		fmt.Fprintf(&b, "  headroom    %.1f%% (%s: %s)\n", pb.HeadroomPct, pb.LimitedBy, usage(pb))
	}

	for _, sev := range []string{Problem, Warning, Info} {
		first := true
		for _, f := range r.Findings {
			if f.Severity != sev {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", map[string]string{Problem: "Problems", Warning: "Warnings", Info: "Notes"}[sev])
				first = false
			}
			fmt.Fprintf(&b, "  - %s\n", f.Message)
		}
	}
	if len(r.Recommendations) > 0 {
		b.WriteString("\nRecommendations\n")
		for i, s := range r.Recommendations {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, s)
		}
	}
	if z.Total > 0 {
		b.WriteString("\nZombie ages are process ages (since the process started): a zombie has been one for at most that long.\n")
	}
	io.WriteString(w, b.String())
}

func sigText(d string) string {
	switch d {
	case Caught:
		return "handler"
	case Blocked:
		return "blocked (taken with sigwait/signalfd)"
	case Waited:
		return "waited for (taken with sigtimedwait)"
	case Reraised:
		return "HANDLER RE-RAISES IT (dropped for PID 1)"
	case Unknown:
		return "unknown (PID 1 waits in sigtimedwait for signals the doctor cannot read)"
	case Ignored:
		return "IGNORED"
	case Default:
		return "NO HANDLER (dropped for PID 1)"
	}
	return d
}
