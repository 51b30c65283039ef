# A minimal image of sexton itself: nothing but the static binary at
# /sbin/sexton. It is meant to be copied into other images:
#
#   COPY --from=ghcr.io/sexton-init/sexton:VERSION /sbin/sexton /sbin/sexton
#   ENTRYPOINT ["/sbin/sexton", "--"]
#
# Run as is (`docker run IMAGE`) it is a pause container: `sexton --pause`.
#
# Two ways to build it:
#
#   make image [ENGINE=podman] [IMAGE=sexton:dev]
#       The stage "host", from a binary built on this machine with the
#       release flags: it pulls nothing, so it works without a registry
#       (docker's classic builder, BuildKit, podman).
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg VERSION=$(git describe --tags --always) -t sexton:dev .
#       The last stage, from source in a golang image (pulled from a
#       registry); the Go toolchain cross-compiles, no emulation. It needs
#       a builder that skips unused stages: BuildKit (buildx) or podman;
#       docker's classic builder would build the stage "host" first.
#
# The engine tests (containertest/engines) build the stage "host" with
# `make image` and run it as a pod's pause and a shared PID namespace's
# first container.

FROM scratch AS host
ARG VERSION=dev
LABEL org.opencontainers.image.title="sexton" \
      org.opencontainers.image.description="A container init (PID 1): reaps zombies, forwards signals, exits like the service, stops leftovers gracefully" \
      org.opencontainers.image.source="https://github.com/sexton-init/sexton" \
      org.opencontainers.image.version="${VERSION}"
COPY sexton /sbin/sexton
ENTRYPOINT ["/sbin/sexton"]
CMD ["--pause"]

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
        -o /out/sexton ./cmd/sexton \
 && if [ "$(go env GOARCH)" = "$TARGETARCH" ]; then /out/sexton --version; fi

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="sexton" \
      org.opencontainers.image.description="A container init (PID 1): reaps zombies, forwards signals, exits like the service, stops leftovers gracefully" \
      org.opencontainers.image.source="https://github.com/sexton-init/sexton" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/sexton /sbin/sexton
ENTRYPOINT ["/sbin/sexton"]
# Run as is, the image is a pod sandbox ("pause") image that reaps the
# orphans of every container sharing its PID namespace; see
# docs/kubernetes.md.
CMD ["--pause"]
