//! drop-overridden: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["drop-overridden"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "drop-overridden must leave this alone");
    assert!(out.applied.is_empty());
}

fn fixed(input: &str) -> String {
    run(input, &ONLY).unwrap().output
}

#[test]
fn node_app_with_leftover_dev_command() {
    let input = r#"FROM node:20-slim
WORKDIR /app
HEALTHCHECK --interval=10s CMD curl -f http://localhost:3000/ || exit 1
# development server
CMD ["npm", "run", "dev"]
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
HEALTHCHECK --interval=30s --timeout=3s \
  CMD curl -f http://localhost:3000/health || exit 1
# production server
CMD ["node", "server.js"]
"#;
    snap!(
        "drop_overridden__node_app_with_leftover_dev_command",
        report(input, &ONLY)
    );
}

#[test]
fn entrypoints_and_healthcheck_none() {
    assert_eq!(
        fixed(
            "FROM alpine\nENTRYPOINT [\"/bin/sh\"]\nCMD [\"-c\", \"echo hi\"]\nENTRYPOINT [\"/entry.sh\"]\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n"
        ),
        "FROM alpine\nCMD [\"-c\", \"echo hi\"]\nENTRYPOINT [\"/entry.sh\"]\nHEALTHCHECK NONE\n"
    );
}

#[test]
fn crlf_and_no_final_newline() {
    assert_eq!(
        fixed("FROM alpine\r\nCMD a\r\nCMD b"),
        "FROM alpine\r\nCMD b"
    );
}

#[test]
fn stages_are_separate() {
    unchanged("FROM alpine AS build\nCMD [\"make\"]\nFROM alpine\nCMD [\"app\"]\n");
    unchanged("FROM alpine AS base\nENTRYPOINT [\"a\"]\nFROM base\nENTRYPOINT [\"b\"]\n");
    unchanged("FROM alpine\nCMD [\"a\"]\nONBUILD CMD [\"b\"]\n");
    unchanged("FROM alpine\nCMD [\"a\"]\nENTRYPOINT [\"b\"]\nHEALTHCHECK CMD c\n");
}

#[test]
fn inner_comment_is_reported() {
    let input = "FROM alpine\nCMD [\"a\", \\\n  # first argument\n  \"b\"]\nCMD [\"c\"]\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("comment line"));
}

#[test]
fn single_command_runs_are_not_paired() {
    let input = "FROM alpine\nRUN make\nCMD [\"a\"]\nRUN make install\nCMD [\"b\"]\n";
    unchanged(input);
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("DL3059"));
    // Several drops in a row count together.
    let input = "FROM alpine\nRUN make\nCMD [\"a\"]\nCMD [\"b\"]\nRUN make install\nCMD [\"c\"]\n";
    let out = fixed(input);
    assert!(out.contains("RUN make\n") && out.contains("RUN make install\n"));
    assert!(!out.contains("RUN make\nRUN make install"));
    // A RUN that chains commands is no DL3059 candidate.
    assert_eq!(
        fixed("FROM alpine\nRUN make && make test\nCMD [\"a\"]\nRUN make install\nCMD [\"b\"]\n"),
        "FROM alpine\nRUN make && make test\nRUN make install\nCMD [\"b\"]\n"
    );
}
