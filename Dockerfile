# servebench in a container, for Kubernetes and CI: a self-contained binary compiled from the
# bundle (only the modules main.ts imports), on a distroless base (glibc, no shell, ~25 MB), run as
# the non-root user 65532. Results go to /results (mount a volume there).
#
#   docker build -t servebench .                  # compiles from source (needs the npm registry)
#   docker build --target release -t servebench . # packs release/servebench-linux-<amd64|arm64>
#   docker run --rm servebench run --url http://host.docker.internal:8000 --concurrency 8

# The released binaries (the release workflow puts them in release/ under Docker's arch names).
FROM gcr.io/distroless/cc-debian12:nonroot AS release
ARG TARGETARCH
COPY --chmod=755 release/servebench-linux-${TARGETARCH} /usr/local/bin/servebench
WORKDIR /results
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/servebench"]
CMD ["--help"]

# Compile from source (the default target).
FROM denoland/deno:2.9.6 AS build
# The context has no .git: pass the commit for --version (--build-arg COMMIT=$(git rev-parse --short=12 HEAD)).
ARG COMMIT=""
ENV SERVEBENCH_COMMIT=${COMMIT}
WORKDIR /src
COPY . .
RUN deno install && deno run -A scripts/build.ts compile -o /servebench

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /servebench /usr/local/bin/servebench
WORKDIR /results
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/servebench"]
CMD ["--help"]
