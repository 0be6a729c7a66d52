# Stand-in for python:3.X (full): buildpack-deps:bookworm plus Debian's Python 3.11 with its headers, pip
# and venv. NOT the official image: the interpreter is Debian's /usr/bin/python3 (3.11, also tagged as
# 3.12), not a CPython built under /usr/local. The EXTERNALLY-MANAGED marker is removed and `python`/`pip`
# exist, so `pip install` behaves as in the official image.
FROM buildpack-deps:bookworm
ENV LANG=C.UTF-8 \
	SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
	PIP_CERT=/etc/ssl/certs/ca-certificates.crt
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		python3 \
		python3-dev \
		python3-pip \
		python3-venv \
		python-is-python3 \
		tk-dev \
		uuid-dev \
	; \
	rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED; \
	python3 -m pip install --no-cache-dir --ignore-installed pip setuptools wheel; \
	apt-get purge -y --auto-remove python3-pip python3-setuptools python3-wheel; \
	rm -rf /var/lib/apt/lists/*; \
	hash -r; python --version; pip --version
CMD ["python3"]
