//! apk-no-cache: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["apk-no-cache"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "apk-no-cache must leave this alone");
    assert!(out.applied.is_empty());
}

fn fixed(input: &str) -> String {
    run(input, &ONLY).unwrap().output
}

#[test]
fn alpine_python_service() {
    let input = r#"FROM python:3.12-alpine
WORKDIR /app
RUN apk update \
    # headers for psycopg2
    && apk add --virtual .build-deps gcc musl-dev postgresql-dev \
    && apk add libpq \
    && rm -rf /var/cache/apk/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt && apk del .build-deps
COPY . .
CMD ["gunicorn", "app:app"]
"#;
    snap!("apk_no_cache__alpine_python_service", report(input, &ONLY));
}

#[test]
fn update_and_rm_in_one_line() {
    assert_eq!(
        fixed("FROM alpine:3.20\nRUN apk update && apk add curl git && rm -rf /var/cache/apk/*\n"),
        "FROM alpine:3.20\nRUN apk add --no-cache curl git\n"
    );
    assert_eq!(
        fixed("FROM alpine:3.20\nRUN apk update; apk add curl; rm -rf /var/cache/apk/* /tmp/*\n"),
        "FROM alpine:3.20\nRUN apk add --no-cache curl; rm -rf /tmp/*\n"
    );
    assert_eq!(
        fixed("FROM alpine:3.20\nRUN set -eux; apk update; apk add curl\n"),
        "FROM alpine:3.20\nRUN set -eux; apk add --no-cache curl\n"
    );
}

#[test]
fn later_runs_that_need_the_index() {
    let input = r#"FROM alpine:3.20 AS base
RUN apk update && apk add curl
RUN sh -c "apk search -v openssl" > /openssl-versions

FROM alpine:3.20
RUN apk update && apk add git && rm -rf /var/cache/apk/*
RUN apk upgrade
"#;
    snap!(
        "apk_no_cache__later_runs_that_need_the_index",
        report(input, &ONLY)
    );
    let out = fixed(input);
    assert!(out.contains("RUN apk update && apk add --no-cache curl\n"));
    assert!(out.contains("RUN apk update && apk add --no-cache git && rm -rf /var/cache/apk/*\n"));
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN <<EOF\napk update\napk add curl\nEOF\n";
    snap!(
        "apk_no_cache__heredoc_body_is_reported_not_edited",
        report(input, &ONLY)
    );
    unchanged(input);
}

#[test]
fn already_no_cache() {
    unchanged("FROM alpine:3\nRUN apk add --no-cache curl\n");
    unchanged("FROM alpine:3\nRUN apk --no-cache add curl && apk del --no-cache curl\n");
    unchanged("FROM alpine:3\nRUN apk add --no-cache --virtual .d gcc && make && apk del .d\n");
}

#[test]
fn update_only_and_index_readers_are_kept() {
    unchanged("FROM alpine:3\nRUN apk update\n");
    unchanged("FROM alpine:3\nRUN apk update && apk upgrade && apk add --no-cache curl\n");
    unchanged("FROM alpine:3\nRUN apk update && apk info -a curl && apk add --no-cache curl\n");
}

#[test]
fn separators_whose_meaning_would_change_keep_the_update() {
    let input = "FROM alpine:3\nRUN test -f /x || apk update && apk add --no-cache curl\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("operators around it"));
    unchanged("FROM alpine:3\nRUN apk update | tee log && apk add --no-cache curl\n");
    assert_eq!(
        fixed("FROM alpine:3\nRUN false; apk update && apk add --no-cache curl\n"),
        "FROM alpine:3\nRUN false; apk add --no-cache curl\n"
    );
}

#[test]
fn a_single_command_neighbour_keeps_the_update() {
    let input =
        "FROM alpine:3\nRUN apk update && apk add curl\n# next\nRUN pip install --no-cache-dir x\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "FROM alpine:3\nRUN apk update && apk add --no-cache curl\n# next\nRUN pip install --no-cache-dir x\n"
    );
    assert!(out.skipped[0].reason.contains("DL3059"));
    // With a neighbour that chains commands, the update goes.
    assert_eq!(
        fixed("FROM alpine:3\nRUN apk update && apk add curl\nRUN pip install x && pip check\n"),
        "FROM alpine:3\nRUN apk add --no-cache curl\nRUN pip install x && pip check\n"
    );
}

#[test]
fn update_and_rm_go_one_after_the_other_and_respect_the_neighbour() {
    let input =
        "FROM alpine:3\nRUN apk update && apk add curl && rm -rf /var/cache/apk/*\nRUN echo done\n";
    let out = run(input, &ONLY).unwrap();
    // The update goes; the rm stays so the RUN keeps two commands next to a one-command RUN.
    assert_eq!(
        out.output,
        "FROM alpine:3\nRUN apk add --no-cache curl && rm -rf /var/cache/apk/*\nRUN echo done\n"
    );
    assert!(out.skipped.iter().any(|s| s.reason.contains("DL3059")));
    let input = "FROM alpine:3\nRUN apk add --no-cache curl && rm -rf /var/cache/apk/* && rm -rf /var/cache/apk\nRUN echo done\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input);
}

#[test]
fn comments_inside_the_removed_text_keep_it() {
    let input =
        "FROM alpine:3\nRUN apk add --no-cache curl \\\n # tidy up\n && rm -rf /var/cache/apk/*\n";
    unchanged(input);
}

#[test]
fn an_earlier_cache_user_keeps_the_rm() {
    let input =
        "FROM alpine:3\nRUN apk update\nRUN apk add --no-cache curl && rm -rf /var/cache/apk/*\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("earlier RUN"));
}

#[test]
fn cache_mounts_and_explicit_caches_are_respected() {
    let input = "# syntax=docker/dockerfile:1\nFROM alpine:3\nRUN --mount=type=cache,target=/var/cache/apk apk update && apk add curl\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(
        out.skipped[0]
            .reason
            .contains("cache mount at /var/cache/apk")
    );
    unchanged(
        "# syntax=docker/dockerfile:1\nFROM alpine:3\nRUN --mount=type=cache,target=/etc/apk/cache apk add curl\n",
    );
    unchanged("FROM alpine:3\nRUN apk add --cache-dir /tmp/apk curl\n");
    unchanged("# syntax=docker/dockerfile:1\nFROM alpine:3\nRUN --network=none apk add curl\n");
    unchanged("FROM alpine:3\nRUN apk add --no-network --virtual .rundeps $runDeps\n");
}

#[test]
fn left_alone_forms() {
    unchanged("FROM alpine:3\nRUN [\"apk\", \"add\", \"curl\"]\n");
    unchanged("FROM alpine:3\nRUN sh -c \"apk add curl\"\n");
    unchanged("FROM alpine:3\nRUN echo apk add curl\n");
    unchanged("FROM alpine:3\nRUN $APK add curl\n");
}

#[test]
fn messages_say_what_was_removed() {
    let messages = |input: &str| -> Vec<String> {
        run(input, &ONLY)
            .unwrap()
            .applied
            .iter()
            .map(|a| a.message.clone())
            .collect()
    };
    let whole = messages(
        "FROM alpine:3.20\nRUN apk update && apk add curl git && rm -rf /var/cache/apk/*\n",
    );
    assert!(whole.contains(&"removed `apk update`: every apk add of the RUN uses --no-cache, which fetches the index itself".to_string()), "{whole:?}");
    assert!(
        whole.contains(
            &"removed the `rm` of /var/cache/apk: every apk add uses --no-cache, so it stays empty"
                .to_string()
        ),
        "{whole:?}"
    );
    let part = messages("FROM alpine:3.20\nRUN apk add curl; rm -rf /var/cache/apk/* /tmp/*\n");
    assert!(part.contains(&"removed /var/cache/apk from the `rm`: every apk add uses --no-cache, so it stays empty".to_string()), "{part:?}");
}
