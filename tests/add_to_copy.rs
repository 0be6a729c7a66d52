//! add-to-copy: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use std::fs;
use std::path::Path;

use common::{Opts, report, run};

fn opts(context: Option<&Path>, unsafe_fixes: bool) -> Opts<'_> {
    Opts {
        only: &["add-to-copy"],
        unsafe_fixes,
        base_alpine: false,
        cache_mounts: false,
        context,
    }
}

/// A build context with plain files, a directory, a tar archive without an archive extension and a
/// gzip stream.
fn context() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("requirements.txt"), "flask==3.0.3\n").unwrap();
    fs::write(p.join("entrypoint"), "#!/bin/sh\nexec \"$@\"\n").unwrap();
    fs::create_dir_all(p.join("src/app")).unwrap();
    fs::write(p.join("src/app/main.py"), "print('hi')\n").unwrap();
    fs::write(p.join("src/app/util.py"), "x = 1\n").unwrap();
    let mut tar = vec![0u8; 1024];
    tar[..8].copy_from_slice(b"data.txt");
    tar[257..262].copy_from_slice(b"ustar");
    fs::write(p.join("rootfs.img"), &tar).unwrap();
    fs::create_dir_all(p.join("bundles")).unwrap();
    fs::write(p.join("bundles/a.bin"), b"plain").unwrap();
    fs::write(p.join("bundles/b.bin"), [0x1f, 0x8b, 8, 0]).unwrap();
    dir
}

fn unchanged_in(input: &str, ctx: Option<&Path>) {
    for unsafe_fixes in [false, true] {
        let out = run(input, &opts(ctx, unsafe_fixes)).unwrap();
        assert_eq!(out.output, input, "add-to-copy must leave this alone");
        assert!(out.applied.is_empty());
    }
}

#[test]
fn python_service() {
    let ctx = context();
    let input = r#"FROM python:3.12-slim
WORKDIR /app
ADD requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
ADD --chown=1000:1000 src/ /app/src/
add entrypoint /usr/local/bin/entrypoint
ADD rootfs.img /
ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
ADD vendor/wheels.tar.gz /opt/wheels/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d src/app/main.py /app/
ENTRYPOINT ["/tini", "--", "entrypoint"]
"#;
    snap!(
        "add_to_copy__python_service",
        report(input, &opts(Some(ctx.path()), false))
    );
}

#[test]
fn wildcards_are_inspected() {
    let ctx = context();
    let o = opts(Some(ctx.path()), false);
    let out = run("FROM alpine\nADD src/app/*.py /app/\n", &o).unwrap();
    assert_eq!(out.output, "FROM alpine\nCOPY src/app/*.py /app/\n");
    // One match is a gzip stream: ADD would extract it.
    let input = "FROM alpine\nADD bundles/*.bin /opt/\n";
    unchanged_in(input, Some(ctx.path()));
    let out = run(input, &o).unwrap();
    assert!(out.skipped[0].reason.contains("an archive by its contents"));
}

#[test]
fn without_a_context_only_known_plain_files_are_safe() {
    let input = "FROM eclipse-temurin:21\nADD target/app.jar /app/app.jar\nADD conf/ /etc/app/\nADD dist/app /usr/local/bin/app\n";
    let safe = run(input, &opts(None, false)).unwrap();
    assert_eq!(
        safe.output,
        "FROM eclipse-temurin:21\nCOPY target/app.jar /app/app.jar\nCOPY conf/ /etc/app/\nADD dist/app /usr/local/bin/app\n"
    );
    assert!(
        safe.skipped
            .iter()
            .any(|s| s.reason.contains("could not be inspected"))
    );
    let all = run(input, &opts(None, true)).unwrap();
    assert!(all.output.ends_with("COPY dist/app /usr/local/bin/app\n"));
}

#[test]
fn must_not_touch() {
    let ctx = context();
    let c = Some(ctx.path());
    for input in [
        "FROM alpine\nADD https://example.com/tool /usr/local/bin/tool\n",
        "FROM alpine\nADD git@github.com:moby/buildkit.git#v0.13.0 /src\n",
        "FROM alpine\nADD https://github.com/moby/buildkit.git#v0.13.0 /src\n",
        "FROM alpine\nADD --keep-git-dir=true https://github.com/moby/buildkit.git /src\n",
        "FROM alpine\nADD --checksum=sha256:0000 requirements.txt /app/\n",
        "FROM alpine\nADD rootfs.tar.xz /\n",
        "FROM alpine\nADD rootfs.img /\n",
        "FROM alpine\nADD $SRC /app/\n",
        "FROM alpine\nADD requirements.txt https://example.com/x /app/\n",
        "FROM alpine\nONBUILD ADD requirements.txt /app/\n",
        "# syntax=docker/dockerfile:1\nFROM alpine\nADD <<EOF /etc/motd\nhello\nEOF\n",
        "FROM alpine\nCOPY requirements.txt /app/\n",
    ] {
        unchanged_in(input, c);
    }
}

#[test]
fn relative_destination_without_workdir_is_reported() {
    let ctx = context();
    let input = "FROM python:3.12\nADD requirements.txt .\n";
    unchanged_in(input, Some(ctx.path()));
    let out = run(input, &opts(Some(ctx.path()), false)).unwrap();
    assert!(out.skipped[0].reason.contains("no WORKDIR"));
    // A WORKDIR in the stage it builds on counts.
    let input = "FROM python:3.12 AS base\nWORKDIR /app\nFROM base\nADD requirements.txt .\n";
    let out = run(input, &opts(Some(ctx.path()), false)).unwrap();
    assert!(out.output.ends_with("COPY requirements.txt .\n"));
}
