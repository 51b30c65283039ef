// Package engines holds end-to-end tests of sexton in the container engines
// people run it in: Podman, Docker, and a Kubernetes node's containerd,
// driven through its CRI API the way the kubelet drives it.
//
// It is a Go module of its own, so that what only these tests need (the
// CRI API, gRPC) stays out of the library's go.mod. .ci/run runs it.
//
// Every daemon is private to the test that starts it: a dockerd with its
// own data root, exec root, socket and pid file, no iptables and no bridge;
// a containerd with its own root, state and socket; Podman with its own
// storage root, run root and temporary directory. No registry is involved:
// each image is built from a local folder that holds a static busybox
// (Debian's busybox-static) and the sexton under test, with `docker build`
// or `podman build` from a Dockerfile FROM scratch, or, for containerd, as
// an OCI archive the test writes itself and imports with ctr. Containers,
// pods, images, daemons, mounts and network namespaces are removed when the
// test ends, also when it fails.
//
// Each behaviour has a control beside it: the same container without
// sexton, or with the engine's stock init, showing the failure the check
// exists to catch.
//
// Requirements: root, and apt-get install -y podman docker.io containerd
// runc busybox-static. When they are missing the tests skip, except under
// CI=true where they fail. SEXTON_E2E_BINARY=/path/to/sexton makes the
// tests use a prebuilt static binary instead of building ./cmd/sexton.
//
// Run them with `cd containertest/engines && go test -count=1 ./...`.
//
// The package has no non-test code; this file only carries the
// documentation.
package engines
