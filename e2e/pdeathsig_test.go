package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// -p: when sexton's parent dies, sexton gets the signal and relays it.
func TestParentDeathSignal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "child")
	inner := strings.Join(cmdline(sexton(t, "-s", "-p", "SIGUSR1", "--"), testutil.Tool("sigrecord", file)), " ")
	// The parent starts sexton, waits until the child listens, and exits.
	parent := inner + " & while [ ! -e " + file + ".ready ]; do sleep 0.01; done"
	testutil.Start(t, testutil.Spec{Args: []string{"sh", "-c", "sh -c '" + parent + "'; exec sleep 1000"}})
	recorded(t, file, []string{"SIGUSR1"})
}
