// Command sexton is a container init: run it as PID 1 with the real service
// after "--", and it reaps zombies, forwards signals and exits like the
// service. See the README for the options.
package main

import (
	"os"

	"github.com/sexton-init/sexton/cli"
	// Catch every signal before anything else sexton does.
	_ "github.com/sexton-init/sexton/sigcatch/atstart"
)

// version is stamped in at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Main(version, os.Args, os.Stdout, os.Stderr))
}
