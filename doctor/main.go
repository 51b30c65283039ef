package doctor

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit statuses of `sexton doctor`.
const (
	ExitHealthy  = 0 // no problem found
	ExitProblems = 1 // a problem (non-reaping PID 1, zombies or PID headroom past the thresholds)
	ExitError    = 2 // could not inspect, or bad command line
)

const usageText = `Usage: sexton doctor [OPTIONS]

Inspect the PID namespace this runs in (/proc and the pids cgroup): whether
PID 1 acts as an init, who holds zombies, how close it is to running out of
PIDs, and what to do about it. Run it inside a container:

  docker exec CONTAINER sexton doctor

Where an engine installed sexton as its init, run it from there:

  podman exec CONTAINER /run/podman-init doctor
  docker exec CONTAINER /sbin/docker-init --doctor

("--doctor" as the first argument runs the doctor under every name.)

Options:
      --json               print the report as JSON
      --max-zombies N      tolerate up to N zombies older than --min-age (default 0)
      --min-headroom P     lowest acceptable PID headroom in percent (default 10)
      --min-age DURATION   a zombie older than this is lingering: evidence that
                           its parent does not reap (default 5s)
      --watch INTERVAL     print one line per INTERVAL (zombies, tasks, headroom)
                           until interrupted; with --json, one JSON object a line
      --proc DIR           the proc file system to read (default /proc)
      --cgroup-root DIR    where cgroup file systems are mounted (default /sys/fs/cgroup)
  -h, --help               show this help and exit

Exit status: 0 healthy, 1 problems found, 2 could not inspect or bad options.
With --watch: the status of the last sample.
`

// options is a parsed command line.
type options struct {
	json  bool
	watch time.Duration
	in    Inspector
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func parse(args []string) (*options, bool, error) {
	o := &options{}
	in := NewInspector()
	fs := flag.NewFlagSet("sexton doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&o.json, "json", false, "")
	fs.Func("max-zombies", "", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number of zombies, 0 or more")
		}
		in.MaxZombies = n
		return nil
	})
	fs.Func("min-headroom", "", func(s string) error {
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
			return fmt.Errorf("want a percentage from 0 to 100")
		}
		in.MinHeadroom = v
		return nil
	})
	fs.Func("min-age", "", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 5s")
		}
		in.MinAge = d
		return nil
	})
	fs.Func("watch", "", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 2s")
		}
		o.watch = d
		return nil
	})
	fs.StringVar(&in.ProcRoot, "proc", in.ProcRoot, "")
	fs.StringVar(&in.CgroupRoot, "cgroup-root", in.CgroupRoot, "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, true, nil
		}
		// The flag package says "invalid value "x" for flag -max-zombies: ..."
		// with one dash; say it as it is spelled in the help.
		msg := strings.Replace(err.Error(), " -", " --", 1)
		return nil, false, &usageError{msg}
	}
	if *help {
		return nil, true, nil
	}
	if fs.NArg() > 0 {
		return nil, false, &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if in.ProcRoot != "/proc" {
		in.Self = 0 // another namespace's proc: our PID means nothing there
	}
	o.in = *in
	return o, false, nil
}

// Main runs `sexton doctor` with args (after the word "doctor") and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	o, help, err := parse(args)
	if help {
		io.WriteString(stdout, usageText)
		return ExitHealthy
	}
	if err != nil {
		fmt.Fprintf(stderr, "sexton doctor: %v (see 'sexton doctor --help')\n", err)
		return ExitError
	}
	if o.watch > 0 {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(stop)
		return watch(&o.in, o.watch, o.json, stdout, stderr, stop)
	}
	r, err := o.in.Inspect()
	if err != nil {
		fmt.Fprintf(stderr, "sexton doctor: %v\n", err)
		return ExitError
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "sexton doctor: %v\n", err)
			return ExitError
		}
	} else {
		WriteText(stdout, r)
	}
	return r.ExitCode
}

// WatchSample is one line of --watch --json.
type WatchSample struct {
	Time        time.Time `json:"time"`
	Zombies     int       `json:"zombies"`
	Lingering   int       `json:"lingering"`
	Tasks       int       `json:"tasks"`
	HeadroomPct float64   `json:"headroom_percent"`
	ExitCode    int       `json:"exit_code"`
	Error       string    `json:"error,omitempty"`
}

// watch prints one sample per interval until a value arrives on stop, and
// returns the exit status of the last sample.
func watch(in *Inspector, interval time.Duration, asJSON bool, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	enc := json.NewEncoder(stdout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	code := ExitError
	for {
		s := WatchSample{Time: time.Now().UTC().Truncate(time.Second)}
		r, err := in.Inspect()
		if err != nil {
			s.Error, s.ExitCode = err.Error(), ExitError
		} else {
			s.Zombies, s.Lingering, s.Tasks = r.Zombies.Total, r.Zombies.Lingering, r.PIDs.Tasks
			s.HeadroomPct, s.ExitCode = math.Round(r.PIDs.HeadroomPct*10)/10, r.ExitCode
		}
		code = s.ExitCode
		var werr error
		if asJSON {
			werr = enc.Encode(s)
		} else if s.Error != "" {
			_, werr = fmt.Fprintf(stdout, "%s error: %s\n", s.Time.Format(time.RFC3339), s.Error)
		} else {
			state := "ok"
			if s.ExitCode != 0 {
				state = "PROBLEMS"
			}
			_, werr = fmt.Fprintf(stdout, "%s zombies=%d lingering=%d tasks=%d headroom=%.1f%% %s\n",
				s.Time.Format(time.RFC3339), s.Zombies, s.Lingering, s.Tasks, s.HeadroomPct, state)
		}
		if werr != nil {
			fmt.Fprintf(stderr, "sexton doctor: %v\n", werr)
			return ExitError
		}
		select {
		case <-stop:
			return code
		case <-tick.C:
		}
	}
}
