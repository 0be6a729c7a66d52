# Stand-in for node:20-slim: debian:bookworm-slim plus the same Node.js 20 build as node.Dockerfile.
FROM node:20 AS full

FROM debian:bookworm-slim
ENV NODE_VERSION=20.18.0 \
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends ca-certificates; \
	rm -rf /var/lib/apt/lists/*; \
	groupadd --gid 1000 node; \
	useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY --from=full /usr/local/bin/ /usr/local/bin/
COPY --from=full /usr/local/include/ /usr/local/include/
COPY --from=full /usr/local/lib/node_modules/ /usr/local/lib/node_modules/
RUN node --version && npm --version
CMD ["node"]
