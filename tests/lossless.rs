//! The lossless suite: with every pass skipped, each construct comes out byte-identical, and the model
//! accounts for every instruction without error.

mod common;

use dockopt::engine;
use dockopt::passes::PassContext;

fn identity(input: &[u8]) {
    let out = engine::run(input, &[], &PassContext::default())
        .unwrap_or_else(|e| panic!("rejected: {e}\n{}", String::from_utf8_lossy(input)));
    assert_eq!(out.output.as_bytes(), input);
    assert!(!out.changed);
}

/// Also runs every default pass and checks the result is stable (idempotent) and keeps its parse.
fn identity_and_stable(input: &str) {
    identity(input.as_bytes());
    let all = common::run(input, &common::Opts::default()).expect("default passes");
    let again = common::run(&all.output, &common::Opts::default()).expect("own output parses");
    assert_eq!(again.output, all.output, "not idempotent");
}

#[test]
fn syntax_and_check_directives() {
    identity_and_stable(
        "# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM alpine\nRUN echo hi\n",
    );
}

#[test]
fn escape_directive_with_backtick_continuations() {
    identity_and_stable(
        "# escape=`\r\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\r\nSHELL [\"powershell\", \"-Command\"]\r\nWORKDIR C:\\app\\\r\nRUN Write-Host `\r\n    hello; `\r\n    Write-Host world\r\nCOPY . C:\\app\\\r\n",
    );
}

#[test]
fn escape_directive_after_from_is_a_comment() {
    identity_and_stable("FROM alpine\n# escape=`\nRUN echo a \\\n  b\n");
}

#[test]
fn heredocs() {
    identity_and_stable(
        "# syntax=docker/dockerfile:1\nFROM debian\nRUN <<EOF\napt-get update\n# not a comment\nEOF\nRUN <<-EOT bash\n\techo tabs\n\tEOT\nRUN <<'EOF'\necho $HOME\nEOF\nRUN python3 <<EOF\nprint('hi')\nEOF\nRUN cat <<EOF > /etc/motd\nhello\nEOF\nRUN <<A <<B\necho a\nA\necho b\nB\nCOPY <<EOF /app/config.ini\n[main]\nkey = value\nEOF\nRUN --mount=type=cache,target=/var/cache/apt <<EOF\napt-get install -y curl\nEOF\n",
    );
}

#[test]
fn heredoc_bodies_that_look_like_instructions() {
    identity_and_stable(
        "FROM nginx:1.27\nRUN cat <<EOF > /etc/nginx/nginx.conf\nuser nginx;\nworker_processes auto;\nenv A=1\nEOF\nRUN python3 <<PY\ncopy = 1\narg = 2\nPY\nEXPOSE 80\n",
    );
}

#[test]
fn comments_and_blank_lines_inside_continuations() {
    identity_and_stable(
        "FROM debian\nRUN apt-get update \\\n    # install curl\n    && apt-get install -y curl \\\n\n    && echo done   \n\n# between\n  # indented comment\nRUN echo \\  \n  trailing-spaces-after-backslash\n",
    );
}

#[test]
fn crlf_bom_and_no_final_newline() {
    identity_and_stable("\u{feff}FROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"sh\"]");
    identity_and_stable("FROM alpine\nRUN echo hi");
    identity_and_stable("FROM alpine\n\n\n");
}

#[test]
fn json_forms() {
    identity_and_stable(
        "FROM alpine\nRUN [\"sh\", \"-c\", \"echo hi\"]\nCMD [ \"a\", \"b\" ]\nENTRYPOINT [\"/bin/tini\", \"--\"]\nCOPY [\"a b.txt\", \"/dst/\"]\nVOLUME [\"/data\"]\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nCMD ['single', 'quotes', 'are', 'shell', 'form']\nENTRYPOINT []\n",
    );
}

#[test]
fn every_instruction_flag() {
    identity_and_stable(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache/go-build --mount=type=secret,id=tok --mount=type=ssh --network=none --security=insecure go build ./...\nFROM alpine\nCOPY --from=build --chown=1000:1000 --chmod=755 --link /out/app /app\nCOPY --parents --exclude=*.md src/ /src/\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 https://example.com/a.tar.gz /tmp/\nADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.10.1 /buildkit\nHEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 CMD wget -qO- localhost || exit 1\nHEALTHCHECK NONE\n",
    );
}

#[test]
fn lowercase_keywords_tabs_and_legacy_forms() {
    identity_and_stable(
        "from alpine as base\nrun\techo hi\nenv A 1\nENV B=2 C=\"x y\"\nARG X=1 Y=2\nLABEL version 1.0\nlabel a=b\nmaintainer Someone <a@b.c>\nonbuild RUN echo child\nexpose 80/tcp 443\nstopsignal SIGTERM\nuser 1000:1000\nworkdir /app\nvolume /data /logs\n  RUN echo indented\nENV C trailing\\\\\nENV LANG=C.UTF-8 LABEL_UTF8=\"héllo ☃\"\n",
    );
}

#[test]
fn arg_before_from_and_stage_references() {
    identity_and_stable(
        "ARG BASE=python:3.12\nARG VERSION\nFROM ${BASE} AS builder\nARG VERSION\nRUN echo $VERSION\nFROM builder AS test\nRUN true\nFROM scratch\nCOPY --from=builder /x /x\n",
    );
}

#[test]
fn twenty_thousand_line_run() {
    let mut s = String::from("FROM alpine\nRUN true");
    for i in 0..20_000 {
        s.push_str(&format!(" \\\n    && echo line{i}"));
    }
    s.push('\n');
    identity_and_stable(&s);
}

#[test]
fn empty_and_comment_only_files_are_errors_not_panics() {
    for input in ["", "# only a comment\n", "\n\n"] {
        let e = engine::run(input.as_bytes(), &[], &PassContext::default()).unwrap_err();
        assert!(e.to_string().contains("error"), "{e}");
    }
}
