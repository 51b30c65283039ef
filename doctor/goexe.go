package doctor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The doctor recognises sexton by its binary, not its name: the engines
// install it as /sbin/docker-init or /run/podman-init. A Go binary carries
// its build information in the ELF section .go.buildinfo; its "path" line
// names the main package. This file reads that line with a minimal ELF
// reader: debug/buildinfo would do it too, but links debug/elf, debug/pe,
// debug/macho and the compressors they use, about 440 KB of the binary
// for one string.

// sextonMain is the main package of the sexton binary.
const sextonMain = "github.com/sexton-init/sexton/cmd/sexton"

// errNotGo means the file is no Go binary with inline build information.
var errNotGo = errors.New("no Go build information")

// Limits that keep a malformed file from making the reader allocate much.
const (
	maxSections      = 4096
	maxBuildInfoSize = 1 << 20
)

// goMainPackage returns the main package path recorded in the Go binary at
// path, errNotGo if it is not a Go binary (or one older than Go 1.18).
func goMainPackage(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sec, err := elfSection(f, ".go.buildinfo")
	if err != nil {
		return "", err
	}
	return buildInfoPath(sec)
}

// elfSection returns the content of the named section of the ELF file r.
func elfSection(r io.ReaderAt, name string) ([]byte, error) {
	ident := make([]byte, 64)
	if _, err := r.ReadAt(ident, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !bytes.HasPrefix(ident, []byte("\x7fELF")) {
		return nil, errNotGo
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if ident[5] == 2 {
		bo = binary.BigEndian
	}
	// Where the section headers are, for 32- and 64-bit files.
	var shoff uint64
	var shentsize, shnum, shstrndx int
	switch ident[4] {
	case 1:
		shoff = uint64(bo.Uint32(ident[0x20:]))
		shentsize, shnum, shstrndx = int(bo.Uint16(ident[0x2e:])), int(bo.Uint16(ident[0x30:])), int(bo.Uint16(ident[0x32:]))
	case 2:
		shoff = bo.Uint64(ident[0x28:])
		shentsize, shnum, shstrndx = int(bo.Uint16(ident[0x3a:])), int(bo.Uint16(ident[0x3c:])), int(bo.Uint16(ident[0x3e:]))
	default:
		return nil, fmt.Errorf("ELF class %d", ident[4])
	}
	if shnum == 0 || shnum > maxSections || shstrndx >= shnum || shentsize < 40 {
		return nil, errNotGo
	}
	headers := make([]byte, shnum*shentsize)
	if _, err := r.ReadAt(headers, int64(shoff)); err != nil {
		return nil, fmt.Errorf("ELF section headers: %w", err)
	}
	// name offset, file offset and size of section i
	section := func(i int) (uint32, uint64, uint64) {
		h := headers[i*shentsize:]
		if ident[4] == 1 {
			return bo.Uint32(h), uint64(bo.Uint32(h[0x10:])), uint64(bo.Uint32(h[0x14:]))
		}
		return bo.Uint32(h), bo.Uint64(h[0x18:]), bo.Uint64(h[0x20:])
	}
	read := func(off, size uint64) ([]byte, error) {
		if size > maxBuildInfoSize {
			size = maxBuildInfoSize
		}
		b := make([]byte, size)
		n, err := r.ReadAt(b, int64(off))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return b[:n], nil
	}
	_, stroff, strsize := section(shstrndx)
	names, err := read(stroff, strsize)
	if err != nil {
		return nil, err
	}
	for i := 0; i < shnum; i++ {
		nameOff, off, size := section(i)
		if int(nameOff) >= len(names) {
			continue
		}
		n := names[nameOff:]
		if end := bytes.IndexByte(n, 0); end >= 0 && string(n[:end]) == name {
			return read(off, size)
		}
	}
	return nil, errNotGo
}

// buildInfoPath decodes a .go.buildinfo section as Go 1.18 and later write
// it: a 32-byte header (magic, pointer size, flags), then, with the
// "inline" flag, the Go version and the module information as strings with
// varint lengths. The module information, between two 16-byte sentinels,
// is lines such as "path\tgithub.com/x/y/cmd/z".
func buildInfoPath(sec []byte) (string, error) {
	const header = 32
	if len(sec) < header || !bytes.HasPrefix(sec, []byte("\xff Go buildinf:")) || sec[15]&2 == 0 {
		return "", errNotGo
	}
	data := sec[header:]
	next := func() (string, bool) {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			return "", false
		}
		s := string(data[k : k+int(n)])
		data = data[k+int(n):]
		return s, true
	}
	if _, ok := next(); !ok { // the Go version
		return "", errNotGo
	}
	mod, ok := next()
	if !ok {
		return "", errNotGo
	}
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16]
	}
	for _, line := range strings.Split(mod, "\n") {
		if p, ok := strings.CutPrefix(line, "path\t"); ok {
			return p, nil
		}
	}
	return "", errNotGo
}
