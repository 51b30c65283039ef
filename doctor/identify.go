package doctor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// How PID 1 was recognised (PID1.IdentifiedBy).
const (
	ByBinary = "binary" // its executable is sexton's
	ByName   = "name"   // its command name or argv[0] is a known init's
)

// sextonAbout says what sexton does, by the personality it runs as.
var sextonAbout = map[string]string{
	"":          "reaps orphans, forwards signals, stops leftovers gracefully",
	"tini":      "reaps orphans, forwards signals, stops leftovers gracefully (tini's command line)",
	"dumb-init": "reaps orphans, forwards signals, stops leftovers gracefully (dumb-init's command line)",
}

// pauseAbout is the verdict on `sexton --pause`.
const pauseAbout = "pause mode (a pod's sandbox): reaps the orphans of every process in this PID namespace; " +
	"it runs no command, forwards no signal and stops no leftover process: each container's own init, or the runtime, stops what runs in it"

// isSexton reports whether pid runs the sexton binary: the same file as
// this doctor, or a Go binary whose main package is sexton's.
func (in *Inspector) isSexton(pid int) bool {
	exe := filepath.Join(in.ProcRoot, strconv.Itoa(pid), "exe")
	if in.ProcRoot == "/proc" {
		a, err1 := os.Stat(exe)
		b, err2 := os.Stat("/proc/self/exe")
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			return true
		}
	}
	p, err := goMainPackage(exe)
	return err == nil && p == sextonMain
}

// sextonPersonality is the command line a sexton binary takes under the
// name it was started as (see cli.PersonalityOf): "tini", "dumb-init", or
// "" for its own.
func sextonPersonality(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	switch filepath.Base(argv[0]) {
	case "tini", "tini-static", "docker-init":
		return "tini"
	case "dumb-init":
		return "dumb-init"
	}
	return ""
}

// sextonPauses reports whether sexton's own command line argv asks for
// pause mode: --pause among the options, which end at "--" or at the
// first word that is neither an option nor an option's value.
func sextonPauses(argv []string) bool {
	// Options whose value may be the next word.
	withValue := map[string]bool{"--pdeathsig": true, "--remap-exit": true, "--rewrite": true, "--grace": true}
	const shortWithValue = "per"
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			return false
		case a == "--pause":
			return true
		case strings.HasPrefix(a, "--"):
			if withValue[a] {
				i++
			}
		case len(a) > 1 && a[0] == '-':
			// A cluster of short options: the first one taking a value
			// takes the rest of the word, or the next word.
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(shortWithValue, a[j]) >= 0 {
					if j == len(a)-1 {
						i++
					}
					break
				}
			}
		default:
			return false
		}
	}
	return false
}

// reraisesSignals reports whether PID 1 is a program known to handle
// SIGTERM and SIGINT by re-raising them with the default action, which
// the kernel drops for PID 1. Node.js does (its handler restores the
// terminal first), unless the application handles the signal itself,
// which nothing in /proc shows. npm and other node programs set their own
// process title, so the executable's name decides.
func reraisesSignals(comm, exe string) bool {
	switch filepath.Base(exe) {
	case "node", "nodejs":
		return true
	}
	return exe == "" && comm == "node"
}
