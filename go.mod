module github.com/sexton-init/sexton

go 1.26.8

require (
	github.com/creack/pty v1.1.24
	github.com/pborman/getopt v0.0.0-20180811024354-2b5b3bfb099b
	golang.org/x/sys v0.49.0
)
