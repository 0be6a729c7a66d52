//! cache-mounts: snapshots of realistic inputs, the interplay with the cache-deleting passes, and the
//! cases it must leave alone.

mod common;

use common::{Opts, report, run};

/// Every default pass, with --cache-mounts.
const ALL: Opts = Opts {
    only: &[],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: true,
    context: None,
};

const ONLY: Opts = Opts {
    only: &["cache-mounts"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: true,
    context: None,
};

const OFF: Opts = Opts {
    only: &["cache-mounts"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "cache-mounts must leave this alone");
    assert!(out.applied.is_empty());
}

fn skipped_with(input: &str, reason: &str) {
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(
        out.skipped.iter().any(|s| s.reason.contains(reason)),
        "{input}: {:?}",
        out.skipped
    );
}

const PYTHON_APP: &str = r#"# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY frontend/ frontend/
RUN cd frontend && npm ci && npm run build
"#;

#[test]
fn python_app_with_every_pass() {
    snap!(
        "cache_mounts__python_app_with_every_pass",
        report(PYTHON_APP, &ALL)
    );
    let out = run(PYTHON_APP, &ALL).unwrap().output;
    // Mounts instead of deletions.
    assert!(!out.contains("--no-cache-dir"));
    assert!(!out.contains("rm -rf /var/lib/apt/lists"));
    assert!(!out.contains("npm cache clean"));
}

#[test]
fn without_the_option_nothing_happens() {
    let out = run(PYTHON_APP, &OFF).unwrap();
    assert_eq!(out.output, PYTHON_APP);
    assert!(out.skipped.is_empty());
}

#[test]
fn go_and_rust_builders() {
    let input = r#"# syntax=docker/dockerfile:1
FROM golang:1.22 AS api
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/api ./cmd/api

FROM rust:1.78 AS worker
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM gcr.io/distroless/static
COPY --from=api /out/api /api
COPY --from=worker /src/target/release/worker /worker
"#;
    snap!("cache_mounts__go_and_rust_builders", report(input, &ONLY));
}

#[test]
fn fallback_to_deleting_when_refused() {
    // Under a non-root USER there is no mount, so the deleting fix applies as usual.
    let input = "# syntax=docker/dockerfile:1\nFROM node:20\nUSER node\nRUN npm ci\n";
    let out = run(input, &ALL).unwrap();
    assert_eq!(
        out.output,
        "# syntax=docker/dockerfile:1\nFROM node:20\nUSER node\nRUN npm ci && npm cache clean --force\n"
    );
    assert!(out.skipped.iter().any(|s| s.reason.contains("USER node")));
}

#[test]
fn heredoc_bodies_stay_untouched() {
    let input =
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN <<EOF\npip install flask\nEOF\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip <<EOF\npip install flask\nEOF\n"
    );
}

#[test]
fn env_names_the_cache() {
    let input = "# syntax=docker/dockerfile:1\nFROM debian:12\nENV GOPATH=/opt/go CARGO_HOME=/opt/cargo\nRUN go build ./... && cargo fetch\n";
    let out = run(input, &ONLY).unwrap();
    assert!(out.output.contains(
        "RUN --mount=type=cache,target=/opt/cargo/registry --mount=type=cache,target=/opt/cargo/git --mount=type=cache,target=/opt/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build"
    ), "{}", out.output);
}

#[test]
fn refusals_are_reported() {
    let cases = [
        (
            "FROM python:3.12\nRUN pip install flask\n",
            "not a BuildKit file",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,id=pip,target=/root/.cache/pip,sharing=private pip install flask\nRUN --mount=type=bind,target=/root/.npm npm ci\n",
            "already has a",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN pip install --no-cache-dir flask\n",
            "runs with --no-cache-dir",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n",
            "PIP_NO_CACHE_DIR turns the cache off",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM python:3.12\nUSER app\nRUN pip install --user flask\n",
            "USER app",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN apt-get install -y curl\n",
            "no apt-get update in this RUN",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            "deletes /var/lib/apt/lists/*",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM node:20\nRUN npm ci && npm cache clean --force\n",
            "cleans npm's cache itself",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git && rm -rf /var/lib/apt/lists/*\n",
            "line 4 uses apt",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM golang:1.22 AS b\nRUN go mod download\nFROM b\nRUN --network=none go build ./...\n",
            "runs go offline",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM golang:1.22 AS deps\nRUN go mod download\nFROM golang:1.22\nCOPY --from=deps /go/pkg/mod /go/pkg/mod\n",
            "copies the cache directory",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN cargo build\n",
            "set CARGO_HOME with ENV",
        ),
        (
            "# syntax=docker/dockerfile:1\nFROM python:3.12\nENV PIP_CACHE_DIR=$HOME/pip\nRUN pip install flask\n",
            "not a plain absolute path",
        ),
    ];
    for (input, reason) in cases {
        skipped_with(input, reason);
    }
}

#[test]
fn exact_mounts_are_left_alone_silently() {
    for input in [
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,id=pip,target=/root/.cache/pip,sharing=private pip install flask\n",
        "FROM golang:1.22\nRUN --mount=type=cache,target=\"/root/.cache/go-build\" \\\n    --mount=type=cache,target=\"/go/pkg/mod\" \\\n    go mod download\n",
    ] {
        let out = run(input, &ONLY).unwrap();
        assert_eq!(out.output, input);
        assert!(
            out.skipped.is_empty() && out.applied.is_empty(),
            "{:?}",
            out.skipped
        );
    }
}

#[test]
fn the_authors_own_mount_for_the_tool_is_respected() {
    skipped_with(
        "FROM rust:1.78\nRUN --mount=type=cache,target=/root/.cargo/registry/cache cargo fetch\n",
        "already mounts a cache for cargo at /root/.cargo/registry/cache",
    );
}
