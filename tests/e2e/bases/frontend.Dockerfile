# A newer Dockerfile frontend (BuildKit's dockerfile-frontend, syntax 1.7: heredocs, RUN --mount, COPY --link
# and --chmod) for engines whose built-in one is old (Debian bookworm's docker.io 20.10 has about 1.2). No
# registry is reachable, so it is built from Debian trixie's docker.io source package (which carries BuildKit
# and the engine) in GOPATH mode against trixie's golang-*-dev packages, and tagged docker/dockerfile:1 so
# that `# syntax=docker/dockerfile:1` and `--build-arg BUILDKIT_SYNTAX=docker/dockerfile:1` find it locally.
FROM debian:trixie AS build
RUN set -eux; \
	sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates dpkg-dev golang-go patch xz-utils \
		golang-github-agext-levenshtein-dev golang-github-cespare-xxhash-dev \
		golang-github-containerd-containerd-dev golang-github-containerd-continuity-dev \
		golang-github-containerd-errdefs-dev golang-github-containerd-log-dev \
		golang-github-containerd-platforms-dev golang-github-containerd-ttrpc-dev \
		golang-github-distribution-reference-dev golang-github-docker-go-connections-dev \
		golang-github-docker-go-units-dev golang-github-felixge-httpsnoop-dev golang-github-go-logr-logr-dev \
		golang-github-go-logr-stdr-dev golang-github-gofrs-flock-dev golang-github-gogo-googleapis-dev \
		golang-github-gogo-protobuf-dev golang-github-golang-protobuf-1-5-dev golang-github-google-go-cmp-dev \
		golang-github-google-shlex-dev golang-github-google-uuid-dev golang-github-grpc-ecosystem-grpc-gateway-dev \
		golang-github-in-toto-in-toto-golang-dev golang-github-klauspost-compress-dev \
		golang-github-moby-docker-image-spec-dev golang-github-moby-locker-dev golang-github-moby-patternmatcher-dev \
		golang-github-moby-sys-dev golang-github-opencontainers-go-digest-dev golang-github-opencontainers-image-spec-dev \
		golang-github-pkg-errors-dev golang-github-secure-systems-lab-go-securesystemslib-dev \
		golang-github-shibumi-go-pathspec-dev golang-github-sirupsen-logrus-dev golang-github-vbatts-tar-split-dev \
		golang-golang-x-crypto-dev golang-golang-x-net-dev golang-golang-x-sync-dev golang-golang-x-sys-dev \
		golang-golang-x-text-dev golang-google-genproto-dev golang-google-grpc-dev golang-google-protobuf-dev \
		golang-opentelemetry-contrib-dev golang-opentelemetry-otel-dev golang-opentelemetry-proto-dev \
	; \
	mkdir /src; cd /src; \
	# the .dsc of a security update may be missing from the main mirror; the tarballs are what is needed
	apt-get source --download-only docker.io || true; \
	mkdir /tree; cd /tree; \
	tar -xJf /src/docker.io_*.orig-buildkit.tar.xz; \
	tar -xJf /src/docker.io_*[0-9].orig.tar.xz; \
	mv */engine engine; \
	tar -xJf /src/docker.io_*.debian.tar.xz; \
	for p in $(grep -v '^#' debian/patches/series); do \
		case "$(sed -n 's#^+++ [^/]*/\([^/]*\)/.*#\1#p' "debian/patches/$p" | sort -u | tr '\n' ' ')" in \
			'buildkit '|'engine '|'buildkit engine '|'engine buildkit ') patch -p1 -N -s < "debian/patches/$p" ;; \
		esac; \
	done; \
	mkdir -p /go/src/github.com/moby /go/src/github.com/docker; \
	mv buildkit /go/src/github.com/moby/buildkit; \
	mv engine /go/src/github.com/docker/docker; \
	cd /go/src/github.com/moby/buildkit; \
	GOPATH=/go:/usr/share/gocode GO111MODULE=off GOPROXY=off CGO_ENABLED=0 \
		go build -o /dockerfile-frontend -tags "netgo static_build osusergo" \
		-ldflags "-d -X main.Version=1.7-debian-trixie" ./frontend/dockerfile/cmd/dockerfile-frontend; \
	/dockerfile-frontend --version

FROM scratch
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
COPY --from=build /dockerfile-frontend /bin/dockerfile-frontend
ENTRYPOINT ["/bin/dockerfile-frontend"]
