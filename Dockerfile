# syntax=docker/dockerfile:1
#
# A minimal image of sexton itself: nothing but the static binary at
# /sbin/sexton. It is meant to be copied into other images:
#
#   COPY --from=ghcr.io/sexton-init/sexton:VERSION /sbin/sexton /sbin/sexton
#   ENTRYPOINT ["/sbin/sexton", "--"]
#
# Build (multi-arch with buildx; the Go toolchain cross-compiles, no emulation):
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg VERSION=$(git describe --tags --always) -t sexton:dev .
#
# Run as is (`docker run IMAGE`) it is a pause container: `sexton --pause`.
#
# The containertest package runs sexton from the same place, /sbin/sexton, in
# its runc containers.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
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
