module github.com/sexton-init/sexton/containertest/engines

go 1.26.8

require (
	github.com/creack/pty v1.1.24
	github.com/sexton-init/sexton v0.0.0
	golang.org/x/sys v0.49.0
)

replace github.com/sexton-init/sexton => ../..
