package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// otherUID is a uid that no other process on the machine uses, for tests
// that run sexton as a user that is not root.
var otherUID = fmt.Sprint(40000 + os.Getpid()%20000)

// asOtherUser returns an argv prefix (setpriv, which executes the command:
// PID 1 stays PID 1) that runs a command as otherUID, and opens sexton's
// build directory to it and the directories writable to it.
func asOtherUser(t *testing.T, writable ...string) []string {
	t.Helper()
	if err := os.Chmod(filepath.Dir(sexton(t)[0]), 0o755); err != nil { // private to root
		t.Fatal(err)
	}
	for _, d := range writable { // t.TempDir()s, in a directory private to root
		if err := os.Chmod(filepath.Dir(d), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"setpriv", "--reuid=" + otherUID, "--regid=" + otherUID, "--clear-groups", "--"}
}
