package proctree

import (
	"context"
	"os/exec"
	"reflect"
	"sync"
)

// defaultCancel is the code pointer of the cmd.Cancel that
// exec.CommandContext installs (a closure calling cmd.Process.Kill), found
// by making such a command once.
var defaultCancel = sync.OnceValue(func() uintptr {
	return reflect.ValueOf(exec.CommandContext(context.Background(), "/").Cancel).Pointer()
})

// wrapCancel makes cancelling the command's context begin Stop on the
// tree. The Cancel that exec.CommandContext installed (which would SIGKILL
// the direct child at once) is dropped; a custom Cancel is kept and called
// first, and its error is what os/exec sees.
func wrapCancel(cmd *exec.Cmd, t *Tree) {
	if cmd.Cancel == nil {
		return
	}
	custom := cmd.Cancel
	if reflect.ValueOf(custom).Pointer() == defaultCancel() {
		custom = nil
	}
	cmd.Cancel = func() error {
		var err error
		if custom != nil {
			err = custom()
		}
		t.beginStop()
		return err
	}
}
