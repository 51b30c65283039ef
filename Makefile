# sexton build, release and container tests.
#
#   make build         static ./sexton for this machine
#   make release       static dist/sexton-linux-{amd64,arm64} + dist/SHA256SUMS
#   make test-e2e      runc end-to-end tests (root, runc, busybox-static)
#   make test-e2e-release   the same tests against dist/'s binary for this machine
#   make image         the image of sexton alone (Dockerfile stage "host") from a
#                      binary built here; pulls nothing (ENGINE=podman for podman)
#   make test-engines  Podman, Docker and containerd CRI tests (containertest/engines)
#
# VERSION is stamped into main.version; `sexton --version` prints it.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO       ?= go
DIST     ?= dist
PLATFORMS = linux/amd64 linux/arm64
LDFLAGS   = -s -w -X main.version=$(VERSION)
HOSTARCH := $(shell $(GO) env GOARCH)
ENGINE   ?= docker
IMAGE    ?= sexton:$(VERSION)

.PHONY: all build release image test-e2e test-e2e-release test-engines clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o sexton ./cmd/sexton

# Every platform is rebuilt each time: the version may have changed without
# any source file changing. A release fails when a binary is not a
# CGO_ENABLED=0 build, does not contain the version string (-trimpath keeps
# -ldflags out of the build info, so the check looks at the bytes; it only
# proves much for versions longer than a word like "dev"), when the sums do
# not verify, or when this machine's binary does not print the version.
release:
	rm -rf $(DIST)
	mkdir -p $(DIST)
	set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; \
		echo "build $(DIST)/sexton-$$os-$$arch ($(VERSION))"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath \
			-ldflags='$(LDFLAGS)' -o $(DIST)/sexton-$$os-$$arch ./cmd/sexton; \
		grep -qaF -- '$(VERSION)' $(DIST)/sexton-$$os-$$arch \
			|| { echo "$(DIST)/sexton-$$os-$$arch: version $(VERSION) not stamped" >&2; exit 1; }; \
		$(GO) version -m $(DIST)/sexton-$$os-$$arch | grep -qF 'CGO_ENABLED=0' \
			|| { echo "$(DIST)/sexton-$$os-$$arch: not a static (CGO_ENABLED=0) build" >&2; exit 1; }; \
	done
	cd $(DIST) && sha256sum sexton-* > SHA256SUMS && sha256sum -c SHA256SUMS
	@if [ -e $(DIST)/sexton-linux-$(HOSTARCH) ]; then \
		out=$$(./$(DIST)/sexton-linux-$(HOSTARCH) --version) && echo "$$out" && \
		[ "$$out" = "sexton $(VERSION)" ] \
		|| { echo "$(DIST)/sexton-linux-$(HOSTARCH) --version: want 'sexton $(VERSION)'" >&2; exit 1; }; \
	fi

# The image is built from $(DIST)/image, a context holding only the binary,
# so that nothing else of the tree goes into it and nothing is pulled.
image:
	rm -rf $(DIST)/image
	mkdir -p $(DIST)/image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(DIST)/image/sexton ./cmd/sexton
	$(ENGINE) build --target host --build-arg VERSION=$(VERSION) -f Dockerfile -t $(IMAGE) $(DIST)/image

# The runc tests build their own sexton into a temporary directory.
test-e2e:
	$(GO) test -count=1 ./containertest/...

test-e2e-release: release
	SEXTON_E2E_BINARY=$(CURDIR)/$(DIST)/sexton-linux-$(HOSTARCH) $(GO) test -count=1 ./containertest/...

# A module of its own (its test dependencies stay out of go.mod).
test-engines:
	cd containertest/engines && $(GO) test -count=1 ./...

clean:
	rm -rf $(DIST) sexton
