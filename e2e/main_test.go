// Package e2e tests the sexton binary end to end: as PID 1 of new PID
// namespaces, with real zombies, real signals and a real terminal.
package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sexton-init/sexton/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// limit bounds every wait in these tests: reaching it means a hang.
const limit = 60 * time.Second

// sexton returns the argv prefix that runs the built binary.
func sexton(t *testing.T, opts ...string) []string {
	return append([]string{testutil.Sexton(t)}, opts...)
}

// cmdline joins argv pieces.
func cmdline(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// waitFile waits for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	testutil.Eventually(t, limit, "file "+filepath.Base(path), func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// firstLines returns the first n lines of text.
func firstLines(text string, n int) string {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...\n")
	}
	return strings.Join(lines, "")
}
