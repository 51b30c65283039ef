module github.com/sexton-init/sexton/containertest/engines

go 1.26.8

require (
	github.com/creack/pty v1.1.24
	github.com/sexton-init/sexton v0.0.0
	golang.org/x/sys v0.49.0
	google.golang.org/grpc v1.85.0
	k8s.io/cri-api v0.37.2
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/sexton-init/sexton => ../..
