//! useradd-no-log-init: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["useradd-no-log-init"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output, input,
        "useradd-no-log-init must leave this alone"
    );
    assert!(out.applied.is_empty());
}

fn fixed(input: &str) -> String {
    run(input, &ONLY).unwrap().output
}

#[test]
fn service_user_with_a_large_uid() {
    let input = r#"FROM debian:12-slim
ARG APP_UID=1000000
RUN groupadd --gid "$APP_UID" app \
    # the platform maps this UID on the host
    && useradd \
        --uid "$APP_UID" --gid app \
        --create-home --shell /usr/sbin/nologin app
USER app
CMD ["/usr/local/bin/app"]
"#;
    snap!(
        "useradd_no_log_init__service_user_with_a_large_uid",
        report(input, &ONLY)
    );
}

#[test]
fn uid_spellings() {
    for (before, after) in [
        ("useradd -u 10001 app", "useradd -l -u 10001 app"),
        ("useradd --uid=10001 app", "useradd -l --uid=10001 app"),
        ("useradd -u10001 app", "useradd -l -u10001 app"),
        ("useradd -mu 10001 app", "useradd -l -mu 10001 app"),
        (
            "sudo /usr/sbin/useradd -u 10001 app",
            "sudo /usr/sbin/useradd -l -u 10001 app",
        ),
    ] {
        assert_eq!(
            fixed(&format!("FROM debian:12\nRUN {before}\n")),
            format!("FROM debian:12\nRUN {after}\n")
        );
    }
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input =
        "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN <<EOF\nuseradd -u 1000 app\nEOF\n";
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("heredoc"));
    unchanged(input);
}

#[test]
fn must_not_touch() {
    // No UID given.
    unchanged("FROM debian:12\nRUN useradd -r -m -s /bin/bash app\n");
    // Already -l.
    unchanged("FROM debian:12\nRUN useradd -l -u 1000000 app\n");
    unchanged("FROM debian:12\nRUN useradd --no-log-init -u 1000000 app\n");
    unchanged("FROM debian:12\nRUN useradd -lmu 1000000 app\n");
    // Other programs and forms.
    unchanged("FROM debian:12\nRUN adduser -u 1000000 -D app\n");
    unchanged("FROM debian:12\nRUN [\"useradd\", \"-u\", \"1000000\", \"app\"]\n");
    unchanged("FROM debian:12\nRUN sh -c \"useradd -u 1000000 app\"\n");
    unchanged("FROM debian:12\nRUN echo useradd -u 1000000 app\n");
}
