# dockopt itself: a static-ish Rust build in a builder stage, a small non-root runtime.
#   docker build -t dockopt . && docker run --rm -v "$PWD:/work" dockopt fix --check .
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY transforms ./transforms
RUN cargo build --release --locked \
    && strip target/release/dockopt

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-log-init --create-home dockopt
COPY --from=build /src/target/release/dockopt /usr/local/bin/dockopt
USER dockopt
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/dockopt"]
CMD ["--help"]
