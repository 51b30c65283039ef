package procfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadNSTgid reads the NStgid line of /proc/PID/status under root: the
// process's ID in each PID namespace it belongs to, from the namespace of
// that proc mount down to the process's own. One entry means the proc
// mount belongs to the process's own namespace. The line exists since
// Linux 4.1; without it the result is an error.
func ReadNSTgid(root string, pid int) ([]int, error) {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	return ParseNSTgid(string(b))
}

// ParseNSTgid finds and parses the NStgid line in the text of a
// /proc/PID/status file.
func ParseNSTgid(text string) ([]int, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		val, ok := strings.CutPrefix(sc.Text(), "NStgid:")
		if !ok {
			continue
		}
		var ids []int
		for _, f := range strings.Fields(val) {
			id, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("status: NStgid: %v", err)
			}
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("status: NStgid is empty")
		}
		return ids, nil
	}
	return nil, fmt.Errorf("status: no NStgid line (Linux 4.1 or later has it)")
}
