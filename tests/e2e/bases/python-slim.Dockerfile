# Stand-in for python:3.X-slim: debian:bookworm-slim plus Debian's Python 3.11 runtime, pip and venv (no
# compilers, no headers). NOT the official image (see python.Dockerfile).
FROM debian:bookworm-slim
ENV LANG=C.UTF-8 \
	SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
	PIP_CERT=/etc/ssl/certs/ca-certificates.crt
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		netbase \
		tzdata \
		python3 \
		python3-pip \
		python3-venv \
		python-is-python3 \
	; \
	rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED; \
	python3 -m pip install --no-cache-dir --ignore-installed pip setuptools wheel; \
	apt-get purge -y --auto-remove python3-pip python3-setuptools python3-wheel; \
	rm -rf /var/lib/apt/lists/*; \
	hash -r; python --version; pip --version
CMD ["python3"]
