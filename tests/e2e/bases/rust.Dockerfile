# Stand-in for rust:1.80 (full): buildpack-deps:bookworm, like the official image, plus Debian bookworm's
# rustc and cargo (Rust 1.63, not 1.80: the official image's toolchain comes from rustup, which needs
# static.rust-lang.org) with the official image's CARGO_HOME, RUSTUP_HOME and PATH. cargo install puts
# binaries in /usr/local/cargo/bin as there. Cargo 1.63 reads the crates.io index from GitHub (the sparse
# index came with 1.68), which is unreachable here: a Rust sample builds with the standard library only.
FROM buildpack-deps:bookworm
ENV RUSTUP_HOME=/usr/local/rustup \
	CARGO_HOME=/usr/local/cargo \
	PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	RUST_VERSION=1.63.0
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends cargo rustc; \
	rm -rf /var/lib/apt/lists/*; \
	mkdir -p "$CARGO_HOME/bin" "$RUSTUP_HOME"; \
	chmod -R a+w "$CARGO_HOME" "$RUSTUP_HOME"; \
	rustc --version; \
	cargo --version
