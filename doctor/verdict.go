package doctor

import (
	"fmt"
	"path/filepath"
	"strings"
)

// knownInit describes a program that is commonly PID 1.
type knownInit struct {
	kind  string // "init" or "shell"
	about string
}

// knownInits is keyed by command name (the comm, or argv[0]'s base name).
var knownInits = map[string]knownInit{
	"sexton":      {"init", "reaps orphans, forwards signals, stops leftovers gracefully"},
	"tini":        {"init", "reaps orphans and forwards signals"},
	"tini-static": {"init", "reaps orphans and forwards signals"},
	"docker-init": {"init", "Docker's tini (docker run --init): reaps orphans and forwards signals"},
	"podman-init": {"init", "Podman's catatonit (podman run --init): reaps orphans and forwards signals"},
	"dumb-init":   {"init", "reaps orphans and forwards signals"},
	"catatonit":   {"init", "reaps orphans and forwards signals"},
	"pause":       {"init", "Kubernetes sandbox process: reaps orphans, runs no command"},
	"s6-svscan":   {"init", "s6 supervision tree root: reaps orphans"},
	"systemd":     {"init", "full init system: reaps orphans"},
	"init":        {"init", "an init system (sysvinit, busybox init): reaps orphans"},
	"runit":       {"init", "runit stage supervisor: reaps orphans"},
	"supervisord": {"init", "process manager: reaps orphans, stops its programs on SIGTERM"},
	"sh":          {"shell", ""},
	"bash":        {"shell", ""},
	"dash":        {"shell", ""},
	"ash":         {"shell", ""},
	"zsh":         {"shell", ""},
	"ksh":         {"shell", ""},
	"mksh":        {"shell", ""},
}

const shellAbout = "a shell reaps orphans only while it waits for a command, and does not forward SIGTERM to its children"

// knownNames lists the known inits for messages.
const knownNames = "sexton, tini, docker-init, podman-init, dumb-init, catatonit, pause, s6-svscan, systemd, init, runit, supervisord"

// classify recognises PID 1 by its command name or by argv[0].
func classify(comm string, argv []string) (name, kind, about string) {
	cands := []string{comm}
	if len(argv) > 0 {
		cands = append(cands, filepath.Base(argv[0]))
		// "busybox sh", "/bin/busybox init"
		if filepath.Base(argv[0]) == "busybox" && len(argv) > 1 {
			cands = append(cands, argv[1])
		}
	}
	for _, c := range cands {
		c = strings.TrimPrefix(c, "-") // a login shell's argv[0]
		if k, ok := knownInits[c]; ok {
			if k.kind == "shell" {
				return c, k.kind, shellAbout
			}
			return c, k.kind, k.about
		}
	}
	return "", "other", ""
}

// judge fills in the verdict, findings, recommendations and status.
func judge(in *Inspector, r *Report) {
	p := &r.PID1
	z := &r.Zombies
	add := func(sev, code, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{sev, code, fmt.Sprintf(format, args...)})
	}
	var recs []string
	rec := func(s string) {
		for _, x := range recs {
			if x == s {
				return
			}
		}
		recs = append(recs, s)
	}
	name := describe(p.Comm, p.Cmdline)
	entrypoint := `use sexton as the entrypoint: ENTRYPOINT ["sexton", "--", "your-program"] (or "docker run --init", which puts docker-init, a tini, in front)`
	subreaper := `where sexton cannot be PID 1, start your program as "sexton -s -- your-program": a child subreaper reaps the orphans of everything below it`
	k8s := `in Kubernetes, "shareProcessNamespace: true" makes the pod's sandbox process PID 1 for all containers; "sexton --pause" can be that process`

	switch {
	case p.Self:
		p.Reaps = "unknown"
		p.Verdict = "PID 1 is this doctor itself: nothing to judge"
	case p.LingeringZombieChildren > 0:
		p.Reaps = "no"
		p.Verdict = fmt.Sprintf("does not reap: %d zombies older than %s are its children (oldest %s)",
			p.LingeringZombieChildren, in.MinAge.String(), secs(p.OldestZombieSeconds))
		if p.Kind == "init" {
			p.Verdict += ", although " + p.Init + " should"
		}
		add(Problem, "pid1-not-reaping", "PID 1 (%s) does not reap orphans: %d of its children are zombies older than %s, the oldest %s",
			name, p.LingeringZombieChildren, in.MinAge.String(), secs(p.OldestZombieSeconds))
		rec(entrypoint)
		rec(subreaper)
		rec(k8s)
	case p.PersistingZombieChildren > 0:
		p.Reaps = "no"
		p.Verdict = fmt.Sprintf("does not reap: %d of its %s (all younger than %s) were still zombies when the doctor looked again %s later",
			p.PersistingZombieChildren, zombieChildren(p.ZombieChildren), in.MinAge.String(), in.Recheck.String())
		if p.Kind == "init" {
			p.Verdict += ", although " + p.Init + " should"
		}
		add(Problem, "pid1-not-reaping", "PID 1 (%s) does not reap orphans: %d of its zombie children were still unreaped when the doctor looked again %s later",
			name, p.PersistingZombieChildren, in.Recheck.String())
		rec(entrypoint)
		rec(subreaper)
		rec(k8s)
	case p.Mode == "pause":
		p.Reaps = "yes"
		p.Verdict = "sexton --pause, " + p.About
	case p.Kind == "init":
		p.Reaps = "yes"
		p.Verdict = "acts as an init: " + p.About
	case p.Kind == "shell":
		p.Reaps = "yes"
		p.Verdict = "a shell: reaps orphans while it waits for a command, but does not forward SIGTERM to its children"
		add(Warning, "pid1-shell", "PID 1 is a shell (%s): %s; a script that ends by running your program should use \"exec\"", name, shellAbout)
		rec(`put sexton in front of the script: ENTRYPOINT ["sexton", "--", "/entrypoint.sh"], and "exec" the program at its end`)
	default:
		p.Reaps = "unknown"
		p.Verdict = "not a known init (" + knownNames + "); no zombie shows yet whether it reaps"
		if p.RecheckSeconds > 0 {
			p.Verdict = fmt.Sprintf("not a known init (%s); its %s were reaped within %s, so it seems to reap",
				knownNames, zombieChildren(p.ZombieChildren), in.Recheck.String())
		}
		add(Warning, "pid1-not-init", "PID 1 (%s) is not a known init: orphans re-parented to it may never be reaped", name)
		rec(entrypoint)
	}

	if !p.Self && p.Signals != nil {
		var missing, parts []string
		unknown := false
		for _, sig := range []string{"SIGTERM", "SIGINT"} {
			switch p.Signals[sig] {
			case Default:
				missing = append(missing, sig)
				parts = append(parts, "has no handler for "+sig)
			case Ignored:
				missing = append(missing, sig)
				parts = append(parts, "ignores "+sig)
			case Reraised:
				missing = append(missing, sig)
				parts = append(parts, "re-raises "+sig+" with the default action from its handler")
			case Unknown:
				unknown = true
			}
		}
		if len(missing) > 0 {
			msg := fmt.Sprintf("PID 1 (%s) %s: the kernel gives PID 1 no default action, so %s nothing",
				name, strings.Join(parts, " and "), map[bool]string{true: "these signals do", false: "the signal does"}[len(missing) > 1])
			if missing[0] == "SIGTERM" {
				msg += `; "docker stop" waits for its timeout (10 s) and then SIGKILLs everything`
			}
			if p.Signals["SIGTERM"] == Reraised || p.Signals["SIGINT"] == Reraised {
				msg += `. That is node's built-in handler (it restores the terminal and re-raises); an application that handles the signal itself (process.on('SIGTERM')) replaces it, which /proc does not show`
			}
			add(Warning, "pid1-signals", "%s", msg)
			if p.Kind == "shell" {
				rec(`put sexton in front of the script: ENTRYPOINT ["sexton", "--", "/entrypoint.sh"], and "exec" the program at its end`)
			} else {
				rec(entrypoint)
			}
		}
		if unknown {
			add(Info, "pid1-signals-unknown", "PID 1 (%s) waits in sigtimedwait and this doctor cannot read which signals it waits for (/proc/1/syscall and /proc/1/mem need the access a debugger has): SIGTERM and SIGINT are probably taken there", name)
		}
	} else if p.SignalsError != "" {
		add(Info, "pid1-signals-unknown", "cannot read PID 1's signal masks: %s", p.SignalsError)
	}

	// Zombies held by living processes other than PID 1: no init can reap
	// them while their parent lives.
	for _, pg := range z.ByParent {
		if pg.PID == 1 || pg.Lingering == 0 {
			continue
		}
		if pg.PID == 0 {
			add(Warning, "zombie-parent", "%s older than %s with a parent outside this PID namespace (a \"docker exec\" or runtime process): PID 1 cannot reap them",
				plural(pg.Lingering, "zombie"), in.MinAge.String())
			continue
		}
		add(Warning, "zombie-parent", "pid %d (%s) holds %s older than %s: it does not wait for its children",
			pg.PID, describe(pg.Comm, pg.Cmdline), plural(pg.Lingering, "zombie"), in.MinAge.String())
		rec(fmt.Sprintf("pid %d (%s) does not wait for its children: fix it to wait (or to ignore SIGCHLD), or restart it; once it exits, the init reaps its zombies", pg.PID, pg.Comm))
	}
	if z.Lingering > in.MaxZombies {
		top := ""
		if z.TopParent != nil {
			top = fmt.Sprintf("; pid %d (%s) holds the most, %d", z.TopParent.PID, z.TopParent.Comm, z.TopParent.Count)
		}
		add(Problem, "zombies", "%s older than %s, more than the %d allowed%s", plural(z.Lingering, "zombie"), in.MinAge.String(), in.MaxZombies, top)
	}

	b := &r.PIDs
	if b.LimitedBy != "" && b.HeadroomPct < in.MinHeadroom {
		add(Problem, "pid-headroom", "PID headroom %.1f%% is below %.4g%% (limited by %s: %s)", b.HeadroomPct, in.MinHeadroom, b.LimitedBy, usage(b))
		rec(`raise the limit ("docker run --pids-limit", Kubernetes podPidsLimit) or find what holds the PIDs (zombies above; threads count too)`)
	}
	if b.Cgroup == nil {
		add(Info, "no-pids-cgroup", "no pids cgroup found: %s", strings.Join(b.Errors, "; "))
	} else if b.Cgroup.PID1Path != "" {
		add(Info, "cgroup-differs", "this doctor is in pids cgroup %s but PID 1 is in %s; the budget is this doctor's cgroup's", b.Cgroup.Path, b.Cgroup.PID1Path)
	}

	r.Recommendations = recs
	r.Status, r.ExitCode = "healthy", 0
	for _, f := range r.Findings {
		if f.Severity == Problem {
			r.Status, r.ExitCode = "problems", 1
		}
	}
}

// describe names a process by its command line, or its command name.
func describe(comm string, argv []string) string {
	if len(argv) == 0 {
		return comm
	}
	s := strings.Join(argv, " ")
	if len(s) > 48 {
		s = s[:45] + "..."
	}
	return s
}

// usage says how much of the tightest limit is used.
func usage(b *Budget) string {
	switch b.LimitedBy {
	case "cgroup":
		return fmt.Sprintf("%d of %d in %s", b.Cgroup.Current, b.Cgroup.Max, b.Cgroup.LimitDir)
	case "pid_max":
		return fmt.Sprintf("%d tasks of kernel.pid_max %d", b.Tasks, b.PidMax)
	case "threads-max":
		return fmt.Sprintf("%d tasks of kernel.threads-max %d", b.Tasks, b.ThreadsMax)
	}
	return ""
}

// secs formats seconds for people.
func secs(s float64) string {
	switch {
	case s < 10:
		return fmt.Sprintf("%.1fs", s)
	case s < 120:
		return fmt.Sprintf("%.0fs", s)
	case s < 7200:
		return fmt.Sprintf("%.0fm", s/60)
	}
	return fmt.Sprintf("%.1fh", s/3600)
}

// zombieChildren says "1 zombie child", "2 zombie children".
func zombieChildren(n int) string {
	if n == 1 {
		return "1 zombie child"
	}
	return fmt.Sprintf("%d zombie children", n)
}

// plural says "1 zombie", "2 zombies".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
