//! Large and hostile inputs: each gives a clear error or a correct result, never a panic or a hang.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");

fn dockopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn no_panic(out: &Output) {
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panic"));
}

#[test]
fn ten_megabyte_dockerfile() {
    let d = tempfile::tempdir().unwrap();
    let mut s = String::from("FROM python:3.12\n");
    let mut i = 0;
    while s.len() < 10 * 1024 * 1024 {
        s.push_str(&format!(
            "RUN pip install package{i} && echo \"step {i}\" # comment {i}\n"
        ));
        i += 1;
    }
    fs::write(d.path().join("Dockerfile"), &s).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--stdout", "--only", "pip-no-cache", "Dockerfile"],
    );
    no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    let o = String::from_utf8(out.stdout).unwrap();
    assert_eq!(o.matches("--no-cache-dir").count(), i);
}

#[test]
fn hundred_thousand_line_run_and_one_megabyte_line() {
    let d = tempfile::tempdir().unwrap();
    let mut s = String::from("FROM python:3.12\nRUN pip install a");
    for i in 0..100_000 {
        s.push_str(&format!(" \\\n  pkg{i}"));
    }
    s.push('\n');
    s.push_str("RUN echo ");
    s.push_str(&"x".repeat(1024 * 1024));
    s.push('\n');
    fs::write(d.path().join("Dockerfile"), &s).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--stdout", "--only", "pip-no-cache", "Dockerfile"],
    );
    no_panic(&out);
    let o = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        o,
        s.replacen("pip install a", "pip install --no-cache-dir a", 1)
    );
}

#[test]
fn deeply_nested_quotes_and_substitutions() {
    let d = tempfile::tempdir().unwrap();
    let mut inner = String::from("pip install x");
    for _ in 0..2000 {
        inner = format!("echo \"$({inner})\"");
    }
    let s = format!("FROM alpine\nRUN {inner}\nRUN {}\n", "'\"".repeat(50_000));
    fs::write(d.path().join("Dockerfile"), &s).unwrap();
    let out = dockopt(d.path(), &["fix", "--stdout", "Dockerfile"]);
    no_panic(&out);
}

#[test]
fn nul_bytes_invalid_utf8_devices_and_fifos_get_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::write(p.join("nul.Dockerfile"), b"FROM alpine\nRUN echo \0\n").unwrap();
    fs::write(p.join("latin1.Dockerfile"), b"FROM alpine\nLABEL x=\xff\n").unwrap();
    let fifo = p.join("fifo.Dockerfile");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = dockopt(
        p,
        &[
            "fix",
            "nul.Dockerfile",
            "latin1.Dockerfile",
            "fifo.Dockerfile",
            "/dev/null",
        ],
    );
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("nul.Dockerfile:2:10: error: binary file"),
        "{err}"
    );
    assert!(
        err.contains("latin1.Dockerfile:2:9: error: invalid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("fifo.Dockerfile: error: not a regular file"),
        "{err}"
    );
    assert!(
        err.contains("/dev/null: error: not a regular file"),
        "{err}"
    );
    // Walking a directory never blocks on the FIFO.
    let out = dockopt(p, &["fix", "."]);
    no_panic(&out);
}

#[test]
fn symlinks_are_followed_only_inside_the_walked_root() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("Dockerfile"),
        "FROM python:3\nRUN pip install x\n",
    )
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    fs::create_dir_all(root.join("real")).unwrap();
    fs::write(
        root.join("real/Dockerfile"),
        "FROM python:3\nRUN pip install y\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("real/Dockerfile", root.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("Dockerfile"),
        root.join("escape.Dockerfile"),
    )
    .unwrap();
    // A symlink loop in the walked tree.
    std::os::unix::fs::symlink("../loop", root.join("real/loop")).unwrap();
    std::os::unix::fs::symlink("real", root.join("loop")).unwrap();
    let out = dockopt(&root, &["fix", "--only", "pip-no-cache", "."]);
    no_panic(&out);
    let diff = String::from_utf8(out.stdout).unwrap();
    // The link and its target are one file: shown once, under the target's path.
    assert!(!diff.contains("+++ b/Dockerfile"), "{diff}");
    assert!(diff.contains("+++ b/real/Dockerfile"), "{diff}");
    assert!(!diff.contains("escape"), "{diff}");
}

#[test]
fn unreadable_file_and_read_only_directory() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir(p.join("ro")).unwrap();
    fs::write(
        p.join("ro/Dockerfile"),
        "FROM python:3\nRUN pip install x\n",
    )
    .unwrap();
    fs::write(p.join("secret.Dockerfile"), "FROM python:3\n").unwrap();
    fs::set_permissions(
        p.join("secret.Dockerfile"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    fs::set_permissions(p.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    // Root reads and writes through permissions; the checks below only mean something otherwise.
    let privileged = fs::read(p.join("secret.Dockerfile")).is_ok();
    let out = dockopt(p, &["fix", "--write", "--only", "pip-no-cache", "."]);
    no_panic(&out);
    if !privileged {
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("secret.Dockerfile: error: permission denied"),
            "{err}"
        );
        assert!(
            err.contains("ro/Dockerfile: error: cannot create a temporary file"),
            "{err}"
        );
    }
    fs::set_permissions(p.join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn dockerfile_symlink_loops_and_broken_links_are_errors_and_the_rest_is_fixed() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::write(p.join("Dockerfile"), "FROM python:3\nRUN pip install x\n").unwrap();
    std::os::unix::fs::symlink("b.Dockerfile", p.join("a.Dockerfile")).unwrap();
    std::os::unix::fs::symlink("a.Dockerfile", p.join("b.Dockerfile")).unwrap();
    std::os::unix::fs::symlink("gone/Dockerfile", p.join("c.Dockerfile")).unwrap();
    let out = dockopt(p, &["fix", "--only", "pip-no-cache", "."]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for line in [
        "a.Dockerfile: error: cannot follow the symlink: too many levels of symbolic links",
        "b.Dockerfile: error: cannot follow the symlink: too many levels of symbolic links",
        "c.Dockerfile: error: broken symlink (its target does not exist)",
    ] {
        assert!(err.contains(line), "{err}");
    }
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("+++ b/Dockerfile")
    );
    // Named on the command line, the loop is the same clear error.
    let out = dockopt(p, &["fix", "a.Dockerfile"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("a.Dockerfile: error: too many levels of symbolic links"),
        "{err}"
    );
}

#[test]
fn a_symlink_to_a_dockerfile_the_walk_finds_anyway_is_reported_once() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join("real")).unwrap();
    fs::write(
        d.path().join("real/base.Dockerfile"),
        "FROM python:3.12-slim\nRUN pip install flask\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("real/base.Dockerfile", d.path().join("Dockerfile")).unwrap();
    let out = dockopt(d.path(), &["fix", "--only", "pip-no-cache", "."]);
    no_panic(&out);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert_eq!(diff.matches("+++ ").count(), 1, "{diff}");
    assert!(diff.contains("+++ b/real/base.Dockerfile"), "{diff}");
}
