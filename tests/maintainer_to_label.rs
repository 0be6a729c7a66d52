//! maintainer-to-label: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["maintainer-to-label"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output, input,
        "maintainer-to-label must leave this alone"
    );
    assert!(out.applied.is_empty());
}

fn fixed(input: &str) -> String {
    run(input, &ONLY).unwrap().output
}

#[test]
fn classic_nginx_image() {
    let input = r#"FROM nginx:1.27
# who to blame
MAINTAINER Jane Doe <jane@example.com>
COPY nginx.conf /etc/nginx/nginx.conf
"#;
    snap!(
        "maintainer_to_label__classic_nginx_image",
        report(input, &ONLY)
    );
}

#[test]
fn quoting_is_exact() {
    assert_eq!(
        fixed("FROM alpine\nMAINTAINER \"Jane Doe\" <jane@example.com>\n"),
        "FROM alpine\nLABEL maintainer=\"\\\"Jane Doe\\\" <jane@example.com>\"\n"
    );
    assert_eq!(
        fixed("FROM alpine\nMAINTAINER \"Jane Doe <jane@example.com>\"\n"),
        "FROM alpine\nLABEL maintainer=\"Jane Doe <jane@example.com>\"\n"
    );
    assert_eq!(
        fixed("FROM alpine\nmaintainer Ops $TEAM \\ on-call\n"),
        "FROM alpine\nlabel maintainer=\"Ops \\$TEAM \\\\ on-call\"\n"
    );
    assert_eq!(
        fixed("# escape=`\r\nFROM alpine\r\nMAINTAINER C:\\Users\\ops `x` y\r\n"),
        "# escape=`\r\nFROM alpine\r\nLABEL maintainer=\"C:\\Users\\ops ``x`` y\"\r\n"
    );
}

#[test]
fn one_per_stage() {
    assert_eq!(
        fixed("FROM alpine AS a\nMAINTAINER x@y.z\nFROM alpine\nMAINTAINER q@y.z\n"),
        "FROM alpine AS a\nLABEL maintainer=\"x@y.z\"\nFROM alpine\nLABEL maintainer=\"q@y.z\"\n"
    );
}

#[test]
fn existing_label_is_reported() {
    let input = "FROM alpine\nLABEL maintainer=\"team@example.com\" version=1\nMAINTAINER jane@example.com\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("line 2"));
    unchanged("FROM alpine\nMAINTAINER jane@example.com\nLABEL maintainer=team@example.com\n");
    unchanged("FROM alpine AS base\nLABEL maintainer=team\nFROM base\nMAINTAINER jane\n");
}

#[test]
fn must_not_touch() {
    unchanged("FROM alpine\nMAINTAINER jane \\\n  doe\n");
    unchanged("FROM alpine\nLABEL maintainer=\"jane\"\n");
}
