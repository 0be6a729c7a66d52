# Stand-in for buildpack-deps:bookworm-curl (docker-library/buildpack-deps), on the local debian:bookworm.
FROM debian:bookworm
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		curl \
		gnupg \
		netbase \
		wget \
	; \
	rm -rf /var/lib/apt/lists/*
