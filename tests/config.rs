//! `.dockopt.yaml` discovery and precedence, through the binary.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");
// An alpine base, so that only pip-no-cache has something to say about it.
const PIP: &str = "FROM alpine:3.20\nRUN pip install flask\n";

fn dockopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn nearest_config_applies_and_flags_win() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir_all(p.join("svc/api")).unwrap();
    fs::write(p.join("svc/api/Dockerfile"), PIP).unwrap();
    fs::write(p.join("Dockerfile"), PIP).unwrap();
    fs::write(p.join("svc/.dockopt.yaml"), "skip: [pip-no-cache]\n").unwrap();
    // The config under svc/ turns the pass off there only.
    let out = dockopt(p, &["fix", "--check", "."]);
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("+++ b/Dockerfile"));
    assert_eq!(
        diff.matches("+RUN pip install --no-cache-dir flask")
            .count(),
        1,
        "{diff}"
    );
    assert!(!diff.contains("+++ b/svc/api/Dockerfile"), "{diff}");
    // A flag wins over the file.
    let out = dockopt(
        p,
        &[
            "fix",
            "--check",
            "--only",
            "pip-no-cache",
            "--skip",
            "dockerignore-nonexistent-ok",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown pass in --skip is an error"
    );
    let out = dockopt(
        p,
        &[
            "fix",
            "--check",
            "--only",
            "pip-no-cache",
            "svc/api/Dockerfile",
        ],
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.contains("+++ b/svc/api/Dockerfile"),
        "--only beats the file's skip: {diff}"
    );
    // --skip adds to the file's skip list: pip-no-cache stays off under svc/.
    let out = dockopt(
        p,
        &[
            "fix",
            "--check",
            "--skip",
            "dockerignore",
            "svc/api/Dockerfile",
        ],
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(!diff.contains("--no-cache-dir"), "{diff}");
}

#[test]
fn bad_context_and_format_with_stdin_are_usage_errors() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::write(p.join("Dockerfile"), PIP).unwrap();
    let out = dockopt(p, &["fix", "--context", "/nonexistent-dir", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--context /nonexistent-dir: not a directory")
    );
    let out = dockopt(p, &["fix", "--format", "json", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be combined with --format"));
}

#[test]
fn explicit_config_and_unknown_keys() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::write(p.join("Dockerfile"), PIP).unwrap();
    fs::write(p.join("custom.yml"), "only: [pip-no-cache]\ncolour: blue\n").unwrap();
    let out = dockopt(p, &["fix", "--config", "custom.yml", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("custom.yml:2:1: error: unknown key `colour`"),
        "{err}"
    );
    // A discovered broken config is an error for the files it governs, and names the file.
    fs::write(p.join(".dockopt.yaml"), "onyl: [pip-no-cache]\n").unwrap();
    let out = dockopt(p, &["fix", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(".dockopt.yaml:1:1: error: unknown key `onyl`"),
        "{err}"
    );
}

#[test]
fn exclude_skips_walked_paths() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir_all(p.join("vendor/lib")).unwrap();
    fs::write(p.join("vendor/lib/Dockerfile"), PIP).unwrap();
    fs::write(p.join("Dockerfile"), PIP).unwrap();
    fs::write(
        p.join(".dockopt.yaml"),
        "exclude: [\"vendor\"]\nunsafe: true\n",
    )
    .unwrap();
    let out = dockopt(p, &["fix", "--only", "pip-no-cache", "."]);
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("+++ b/Dockerfile"));
    assert!(!diff.contains("vendor"), "{diff}");
    // Named explicitly, an excluded file is still processed.
    let out = dockopt(
        p,
        &["fix", "--only", "pip-no-cache", "vendor/lib/Dockerfile"],
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("vendor/lib/Dockerfile")
    );
}

#[test]
fn extra_dockerignore_entries_are_added_but_never_hide_what_the_build_reads() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir_all(p.join("data")).unwrap();
    fs::write(p.join("data/seed.sqlite3"), "x").unwrap();
    fs::write(p.join("app.py"), "print(1)\n").unwrap();
    fs::write(
        p.join("Dockerfile"),
        "FROM alpine:3.20\nCOPY app.py /app/\nCOPY data/seed.sqlite3 /app/\n",
    )
    .unwrap();
    fs::write(
        p.join(".dockopt.yaml"),
        "dockerignore: [\".cache/\", \"**/*.sqlite3\", \"!keep.txt\", \"[\"]\n",
    )
    .unwrap();
    let out = dockopt(p, &["fix", "--only", "dockerignore", "--write", "."]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let ignore = fs::read_to_string(p.join(".dockerignore")).unwrap();
    // The extra entry that hides nothing the build reads is added, under its own heading.
    assert!(
        ignore.contains("# From .dockopt.yaml\n.cache/\n"),
        "{ignore}"
    );
    // `**/*.sqlite3` would hide data/seed.sqlite3, which the Dockerfile copies: it comes with the
    // exception that keeps that file in the context.
    assert!(
        ignore.contains("\n**/*.sqlite3\n!data/seed.sqlite3\n"),
        "{ignore}"
    );
    // Exceptions and invalid patterns are reported, not written.
    assert!(!ignore.contains("keep.txt"), "{ignore}");
    assert!(
        err.contains("`!keep.txt` from .dockopt.yaml not added"),
        "{err}"
    );
    assert!(err.contains("`[` from .dockopt.yaml not added"), "{err}");
}
