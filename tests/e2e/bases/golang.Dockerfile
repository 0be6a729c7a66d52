# Stand-in for golang:1.22: buildpack-deps:bookworm-scm plus gcc and Debian's Go 1.22 (bookworm-backports)
# at /usr/local/go, with the official image's GOPATH, PATH and GOTOOLCHAIN.
FROM buildpack-deps:bookworm-scm
RUN set -eux; \
	. /etc/os-release; \
	sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources | head -n1 > /tmp/mirror; \
	printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$(cat /tmp/mirror)" "$VERSION_CODENAME" > /etc/apt/sources.list.d/backports.sources; \
	rm /tmp/mirror; \
	apt-get update; \
	apt-get install -y --no-install-recommends g++ gcc libc6-dev make pkg-config; \
	apt-get install -y --no-install-recommends -t "$VERSION_CODENAME-backports" golang-1.22-go; \
	rm /etc/apt/sources.list.d/backports.sources; \
	rm -rf /var/lib/apt/lists/*; \
	ln -s /usr/lib/go-1.22 /usr/local/go; \
	/usr/local/go/bin/go version
ENV GOLANG_VERSION=1.22 \
	GOTOOLCHAIN=local \
	GOPATH=/go \
	PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p "$GOPATH/src" "$GOPATH/bin" && chmod -R 1777 "$GOPATH"
WORKDIR $GOPATH
