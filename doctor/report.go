package doctor

// Report is what `sexton doctor` found; it is also the --json output.
type Report struct {
	Status   string `json:"status"` // "healthy" or "problems"
	ExitCode int    `json:"exit_code"`

	PID1            PID1       `json:"pid1"`
	Zombies         Zombies    `json:"zombies"`
	PIDs            Budget     `json:"pids"`
	Findings        []Finding  `json:"findings"`
	Recommendations []string   `json:"recommendations"`
	Thresholds      Thresholds `json:"thresholds"`
}

// Thresholds are the limits the report was judged against.
type Thresholds struct {
	MinAgeSeconds  float64 `json:"min_age_seconds"`
	MaxZombies     int     `json:"max_zombies"`
	MinHeadroomPct float64 `json:"min_headroom_percent"`
	RecheckSeconds float64 `json:"recheck_seconds"`
}

// PID1 describes the namespace's PID 1.
type PID1 struct {
	Comm    string   `json:"comm"`
	Cmdline []string `json:"cmdline"`
	// Exe is where PID 1's executable is (/proc/1/exe), empty if unreadable.
	Exe string `json:"exe,omitempty"`
	// Init is the known init PID 1 was recognised as ("tini", "sexton", a
	// shell name...), empty if none.
	Init string `json:"init"`
	// IdentifiedBy says how: "binary" (its executable is sexton, whatever
	// its name) or "name" (its command name or argv[0]).
	IdentifiedBy string `json:"identified_by,omitempty"`
	// Mode is "pause" for sexton --pause.
	Mode string `json:"mode,omitempty"`
	// Kind is "init" (a known init), "shell" (reaps, does not forward
	// signals) or "other".
	Kind string `json:"kind"`
	// About says what the known init does.
	About string `json:"about,omitempty"`
	// Reaps is "yes" (a known init or shell, and no evidence against it),
	// "no" (lingering zombies are its children) or "unknown".
	Reaps   string `json:"reaps"`
	Verdict string `json:"verdict"`
	// Self is true when the doctor itself is PID 1.
	Self bool `json:"self,omitempty"`
	// Signals maps SIGTERM and SIGINT to what happens to them: "handler",
	// "blocked" (pending until taken with sigwait or signalfd), "waited"
	// (taken with sigtimedwait), "ignored", "default" or "reraised"
	// (dropped for PID 1), or "unknown".
	Signals      map[string]string `json:"signals"`
	SignalsError string            `json:"signals_error,omitempty"`
	// SignalWait is the call PID 1 waits for signals in: "sigtimedwait",
	// "signalfd", or empty.
	SignalWait string `json:"signal_wait,omitempty"`

	ZombieChildren          int     `json:"zombie_children"`
	LingeringZombieChildren int     `json:"lingering_zombie_children"`
	OldestZombieSeconds     float64 `json:"oldest_zombie_seconds"`
	// RecheckSeconds is how long after the first look the doctor looked
	// again at PID 1's young zombie children (0: it did not), and
	// PersistingZombieChildren how many of them were still there.
	RecheckSeconds           float64 `json:"recheck_seconds,omitempty"`
	PersistingZombieChildren int     `json:"persisting_zombie_children,omitempty"`
}

// Zombies counts the zombies of the namespace. Ages are process ages (time
// since the process started, from /proc/PID/stat): a zombie has been one
// for at most that long.
type Zombies struct {
	Total         int     `json:"total"`
	Lingering     int     `json:"lingering"` // older than the minimum age
	OldestSeconds float64 `json:"oldest_seconds"`
	// ByParent is sorted by count, most first; TopParent is its first.
	ByParent  []ParentGroup  `json:"by_parent"`
	ByCommand []CommandGroup `json:"by_command"`
	TopParent *ParentGroup   `json:"top_parent"`
}

// ParentGroup is the zombies that one process holds.
type ParentGroup struct {
	PID           int      `json:"pid"`
	Comm          string   `json:"comm"`
	Cmdline       []string `json:"cmdline"`
	Count         int      `json:"count"`
	Lingering     int      `json:"lingering"`
	OldestSeconds float64  `json:"oldest_seconds"`
}

// CommandGroup is the zombies with one command name.
type CommandGroup struct {
	Comm          string  `json:"comm"`
	Count         int     `json:"count"`
	OldestSeconds float64 `json:"oldest_seconds"`
}

// Budget is how many PIDs are in use and how many may be.
type Budget struct {
	// Tasks counts threads (each takes a PID); Processes thread groups.
	Tasks      int     `json:"tasks"`
	Processes  int     `json:"processes"`
	Cgroup     *Cgroup `json:"cgroup"`
	PidMax     int64   `json:"pid_max"`
	ThreadsMax int64   `json:"threads_max"`
	// HeadroomPct is the free share of the tightest limit, which
	// LimitedBy names: "cgroup", "pid_max" or "threads-max".
	HeadroomPct float64  `json:"headroom_percent"`
	LimitedBy   string   `json:"limited_by"`
	Errors      []string `json:"errors,omitempty"`
}

// Cgroup is the pids cgroup the doctor runs in.
type Cgroup struct {
	Version int    `json:"version"`
	Path    string `json:"path"` // as in /proc/self/cgroup
	Dir     string `json:"dir"`
	// LimitDir is the directory whose limit is tightest (Dir or an ancestor).
	LimitDir string `json:"limit_dir,omitempty"`
	Current  int64  `json:"current"`
	Max      int64  `json:"max"` // -1: no limit
	// PID1Path is PID 1's cgroup path when it differs from the doctor's.
	PID1Path string `json:"pid1_path,omitempty"`
}

// Severities of findings. Only problems make the exit status 1.
const (
	Problem = "problem"
	Warning = "warning"
	Info    = "info"
)

// Finding is one thing the doctor noticed.
type Finding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}
