package main

import (
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// Symbol is one entry of `go tool nm -size -sort size`.
type Symbol struct {
	Name string
	Size int64
	Type string
}

// PkgSize is the total symbol size of one package (or kind of data).
type PkgSize struct {
	Pkg     string
	Size    int64
	Symbols int
}

// BinSize is what the symbol table of a Go contender says about its size.
type BinSize struct {
	Init  string
	Total int64 // sum of the symbol sizes in the file (bss and undefined left out)
	Top   []Symbol
	Pkgs  []PkgSize // largest first
	Err   string
}

const (
	topSymbols  = 15
	topPackages = 15
)

// runBinSize reads the symbol table of in's unstripped twin.
func runBinSize(e *Env, in *Init) (r BinSize) {
	r = BinSize{Init: in.Name}
	cmd := exec.Command("go", "tool", "nm", "-size", "-sort", "size", in.Syms)
	cmd.Dir = e.Bench
	out, err := cmd.Output()
	if err != nil {
		r.Err = fmt.Sprintf("go tool nm: %v", err)
		return r
	}
	syms := parseNM(string(out))
	pkgs := map[string]*PkgSize{}
	for _, s := range syms {
		if strings.ContainsAny(s.Type, "BbU") { // bss and undefined: not in the file
			continue
		}
		r.Total += s.Size
		p := symbolPackage(s.Name)
		if pkgs[p] == nil {
			pkgs[p] = &PkgSize{Pkg: p}
		}
		pkgs[p].Size += s.Size
		pkgs[p].Symbols++
	}
	for _, s := range syms {
		if len(r.Top) < topSymbols && !strings.ContainsAny(s.Type, "BbU") {
			r.Top = append(r.Top, s)
		}
	}
	for _, p := range pkgs {
		r.Pkgs = append(r.Pkgs, *p)
	}
	sort.Slice(r.Pkgs, func(i, j int) bool { return r.Pkgs[i].Size > r.Pkgs[j].Size })
	r.Pkgs = r.Pkgs[:min(topPackages, len(r.Pkgs))]
	return r
}

// parseNM parses `go tool nm -size` lines, "ADDR SIZE TYPE NAME" (the
// address is blank for undefined symbols), keeping their order.
func parseNM(out string) []Symbol {
	var syms []Symbol
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		syms = append(syms, Symbol{Size: size, Type: f[2], Name: strings.Join(f[3:], " ")})
	}
	return syms
}

// symbolPackage names the package a symbol belongs to: the import path up
// to the first dot after its last slash, or the compiler's own prefixes
// (type:, go:) for runtime type data and generated tables.
func symbolPackage(name string) string {
	for _, p := range []string{"type:", "go:", "gclocals", "runtime.pclntab", "runtime.findfunctab"} {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}
