# syntax=docker/dockerfile:1
#
# The lancegate image: one static binary on distroless, run as UID 65532.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t lancegate .
#
# The same binary serves every role (serve --role all|query|agent|executor)
# and runs the agent's jobs (job). In the container it listens on all
# interfaces: pgwire 5433, executors' Arrow Flight 5434, metrics and
# probes (/metrics, /healthz, /readyz) 9090; flags override these.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Modules first, so that a source change reuses the downloaded modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=0.1.0-dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/lancegate ./cmd/lancegate

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=0.1.0-dev
LABEL org.opencontainers.image.title="lancegate" \
      org.opencontainers.image.description="PostgreSQL-wire query service over Lance datasets on Azure Blob Storage" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/lancegate/lancegate"
COPY --from=build /out/lancegate /usr/local/bin/lancegate
# Every serve flag also reads LANCEGATE_<FLAG>; a flag given wins.
ENV LANCEGATE_LISTEN=0.0.0.0:5433 \
    LANCEGATE_EXECUTOR_LISTEN=0.0.0.0:5434 \
    LANCEGATE_METRICS_LISTEN=0.0.0.0:9090
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 5433 5434 9090
# distroless has no curl: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/lancegate", "health", "--url", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/lancegate"]
CMD ["serve"]
