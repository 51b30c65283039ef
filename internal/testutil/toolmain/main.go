// Command toolmain is testutil's workload tools (see testutil.Tool) in a
// binary of their own, built by testutil.FastTool without the test's build
// flags: a race-instrumented test binary forks several times slower, and
// an orphan storm of 20,000 forks then outlasts its test.
package main

import "github.com/sexton-init/sexton/internal/testutil"

func main() { testutil.ToolMain() }
