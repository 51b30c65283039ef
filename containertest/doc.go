// Package containertest holds end-to-end tests that run sexton as the init of
// real OCI containers with runc.
//
// There is no image registry involved: each test builds a bundle under
// t.TempDir() whose rootfs is a plain folder holding the static sexton (at
// /sbin/sexton, where the Dockerfile puts it) and a static busybox (Debian's
// busybox-static) with its applets linked in /bin, writes config.json with
// `runc spec` and a few edits, and drives the container with `runc run -d`,
// `runc kill`, `runc state` and `runc delete -f`.
//
// The test process is a child subreaper (as containerd's shim is), so each
// container's init is reparented to it when `runc run -d` exits, and the
// tests wait4 for it: they see whether sexton exited with a code (143 after
// handling SIGTERM) or was killed by a signal, which runc's own 128+N
// summary would not tell apart.
//
// Requirements: root, runc and a static busybox (apt-get install -y runc
// busybox-static). When they are missing the tests skip, except under CI=true
// where they fail, so that CI can never pass by skipping them.
//
// SEXTON_E2E_BINARY=/path/to/sexton makes the tests use a prebuilt static
// binary (for example a release artifact from dist/) instead of building
// ./cmd/sexton.
//
// The package has no non-test code; this file only carries the documentation.
package containertest
