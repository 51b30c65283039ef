package procfs

import (
	"os"
	"strconv"
)

// PIDs lists the process IDs present under root (normally "/proc").
func PIDs(root string) ([]int, error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Scan reads the stat of every process under root. Processes that vanish
// between the listing and the read are skipped, as are unparsable entries.
func Scan(root string) ([]Stat, error) {
	pids, err := PIDs(root)
	if err != nil {
		return nil, err
	}
	out := make([]Stat, 0, len(pids))
	for _, pid := range pids {
		if s, err := ReadStat(root, pid); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// Descendants returns the PIDs of every process in table below ancestor,
// following parent links; ancestor itself is not included.
func Descendants(table []Stat, ancestor int) []int {
	children := map[int][]int{}
	for _, s := range table {
		children[s.PPID] = append(children[s.PPID], s.PID)
	}
	var out []int
	seen := map[int]bool{ancestor: true}
	queue := []int{ancestor}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !seen[c] { // a PID reused mid-scan must not loop
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}
