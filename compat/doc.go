// Package compat holds side-by-side tests: the same scenarios run against
// sexton under the names tini, docker-init and dumb-init (a symlink to the
// built binary), and against the real tini and dumb-init from Debian's
// packages (apt-get install tini dumb-init), asserting the same observable
// results: exit codes, which process receives which signal, and what is
// printed on bad input. docs/compatibility.md describes what matches and
// what differs on purpose.
//
// Most scenarios run each init as PID 1 of a new PID namespace
// (internal/testutil); some run it as an ordinary process, to see the
// not-PID-1 warning and dumb-init's job control.
//
// Requirements: root (namespaces) and /usr/bin/tini and /usr/bin/dumb-init.
// Without them the tests skip, except under CI=true, where they fail.
//
// The package has no non-test code; this file only carries the documentation.
package compat
