module github.com/sexton-init/sexton

go 1.26.8

require (
	github.com/creack/pty v1.1.24 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
