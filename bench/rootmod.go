package main

import (
	"os"
	"path/filepath"
	"strings"
)

// RootModule is what sexton's own go.mod requires: the bench is a module of
// its own so that its chart library is not among them.
type RootModule struct {
	Requires []string // module paths required by the root go.mod
	Gonum    bool     // a gonum.org module is among them
	Err      string
}

func checkRootModule(root string) (r RootModule) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.Requires = goModRequires(string(b))
	for _, m := range r.Requires {
		if strings.HasPrefix(m, "gonum.org/") {
			r.Gonum = true
		}
	}
	return r
}

// goModRequires lists the module paths of the require directives of a
// go.mod text, in the one-line and the block form.
func goModRequires(text string) []string {
	var mods []string
	block := false
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, "//"); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case block && f[0] == ")":
			block = false
		case block:
			mods = append(mods, f[0])
		case f[0] == "require" && len(f) > 1 && f[1] == "(":
			block = true
		case f[0] == "require" && len(f) > 2:
			mods = append(mods, f[1])
		}
	}
	return mods
}
