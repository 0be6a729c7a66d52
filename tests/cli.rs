//! End-to-end tests of the `dockopt` binary: modes, exit codes, walking, errors, atomic writes.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");

const PIP: &str = "FROM python:3.12\nRUN pip install flask\n";
const PIP_FIXED: &str = "FROM python:3.12\nRUN pip install --no-cache-dir flask\n";
const CLEAN: &str = "FROM python:3.12\nRUN pip install --no-cache-dir flask\n";

fn dockopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run dockopt")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn diff_mode_prints_a_git_applicable_diff_and_exits_0() {
    let d = tmp();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    let out = dockopt(d.path(), &["fix", "Dockerfile", "--only", "pip-no-cache"]);
    assert_eq!(out.status.code(), Some(0));
    let diff = text(&out.stdout);
    assert!(
        diff.starts_with("--- a/Dockerfile\n+++ b/Dockerfile\n@@"),
        "{diff}"
    );
    assert!(!diff.contains('\x1b'), "no colour when piped");
    let err = text(&out.stderr);
    assert!(
        err.contains("Dockerfile:2:9: [pip-no-cache] added --no-cache-dir"),
        "{err}"
    );
    // The file is untouched in diff mode, and git apply takes the diff.
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
    fs::write(d.path().join("p.diff"), &out.stdout).unwrap();
    let st = Command::new("git")
        .args(["apply", "p.diff"])
        .current_dir(d.path())
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP_FIXED
    );
}

#[test]
fn color_always_colours_and_no_color_env_is_respected() {
    let d = tmp();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    let out = dockopt(d.path(), &["fix", "--color", "always", "Dockerfile"]);
    assert!(text(&out.stdout).contains("\x1b[32m+"));
    let out = Command::new(BIN)
        .args(["fix", "Dockerfile"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&out.stdout).contains('\x1b'));
}

#[test]
fn check_exits_1_when_changes_are_pending_and_0_when_clean() {
    let d = tmp();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--check", "--only", "pip-no-cache", "Dockerfile"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("+RUN pip install --no-cache-dir flask"));
    fs::write(d.path().join("Dockerfile"), CLEAN).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--check", "--only", "pip-no-cache", "Dockerfile"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn write_is_atomic_keeps_mode_and_never_touches_unchanged_files() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp();
    let a = d.path().join("Dockerfile");
    let b = d.path().join("clean.Dockerfile");
    fs::write(&a, PIP).unwrap();
    fs::write(&b, CLEAN).unwrap();
    fs::set_permissions(&a, fs::Permissions::from_mode(0o640)).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(&b)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = dockopt(d.path(), &["fix", "--write", "--only", "pip-no-cache", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&a).unwrap(), PIP_FIXED);
    assert_eq!(
        fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        fs::metadata(&b).unwrap().modified().unwrap(),
        old,
        "unchanged file rewritten"
    );
    let leftovers: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    // Running again changes nothing.
    let out = dockopt(d.path(), &["fix", "--check", "--only", "pip-no-cache", "."]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn write_follows_a_symlink_and_keeps_it() {
    let d = tmp();
    fs::create_dir(d.path().join("real")).unwrap();
    fs::write(d.path().join("real/Dockerfile"), PIP).unwrap();
    std::os::unix::fs::symlink("real/Dockerfile", d.path().join("Dockerfile")).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--write", "--only", "pip-no-cache", "Dockerfile"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        fs::symlink_metadata(d.path().join("Dockerfile"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(d.path().join("real/Dockerfile")).unwrap(),
        PIP_FIXED
    );
}

#[test]
fn stdout_prints_the_whole_file_and_dash_reads_stdin() {
    let d = tmp();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    let out = dockopt(
        d.path(),
        &["fix", "--stdout", "--only", "pip-no-cache", "Dockerfile"],
    );
    assert_eq!(text(&out.stdout), PIP_FIXED);
    let mut child = Command::new(BIN)
        .args(["fix", "--only", "pip-no-cache", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PIP.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), PIP_FIXED);
}

#[test]
fn walks_directories_honouring_gitignore_and_sorting_output() {
    let d = tmp();
    let p = d.path();
    for f in [
        "Dockerfile",
        "svc/Dockerfile.prod",
        "svc/api.Dockerfile",
        "svc/Containerfile",
        "node_modules/pkg/Dockerfile",
        ".git/Dockerfile",
        "ignored/Dockerfile",
        "docs/Dockerfile.md",
    ] {
        fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
        fs::write(p.join(f), PIP).unwrap();
    }
    fs::write(p.join(".gitignore"), "ignored/\n").unwrap();
    let out = dockopt(p, &["fix", "--only", "pip-no-cache", "."]);
    let diff = text(&out.stdout);
    let headers: Vec<&str> = diff.lines().filter(|l| l.starts_with("+++ ")).collect();
    assert_eq!(
        headers,
        [
            "+++ b/Dockerfile",
            "+++ b/svc/Containerfile",
            "+++ b/svc/Dockerfile.prod",
            "+++ b/svc/api.Dockerfile"
        ]
    );
}

#[test]
fn errors_are_reported_after_the_other_files_with_exit_2() {
    let d = tmp();
    let p = d.path();
    fs::write(p.join("Dockerfile"), PIP).unwrap();
    fs::write(p.join("bad.Dockerfile"), "FROM alpine\nBOGUS x\n").unwrap();
    fs::write(p.join("latin1.Dockerfile"), b"FROM alpine\nLABEL a=\xe9\n").unwrap();
    fs::write(p.join("bin.Dockerfile"), b"FROM alpine\n\0\x01\x02").unwrap();
    fs::create_dir(p.join("empty")).unwrap();
    let out = dockopt(
        p,
        &[
            "fix",
            "--write",
            "--only",
            "pip-no-cache",
            ".",
            "missing/Dockerfile",
            "empty",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.Dockerfile:2:1: error: unknown instruction 'BOGUS'"),
        "{err}"
    );
    assert!(
        err.contains("latin1.Dockerfile:2:9: error: invalid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("bin.Dockerfile:2:1: error: binary file"),
        "{err}"
    );
    assert!(
        err.contains("missing/Dockerfile: error: no such file or directory"),
        "{err}"
    );
    assert!(err.contains("empty: error: no Dockerfiles found"), "{err}");
    // The good file was still written.
    assert_eq!(fs::read_to_string(p.join("Dockerfile")).unwrap(), PIP_FIXED);
    assert_eq!(
        fs::read_to_string(p.join("bad.Dockerfile")).unwrap(),
        "FROM alpine\nBOGUS x\n"
    );
}

#[test]
fn unknown_pass_and_stdout_with_many_files_are_errors() {
    let d = tmp();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    fs::write(d.path().join("b.Dockerfile"), PIP).unwrap();
    let out = dockopt(d.path(), &["fix", "--only", "nope", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown pass `nope`"));
    let out = dockopt(d.path(), &["fix", "--stdout", "."]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn passes_and_explain_print_the_docs() {
    let d = tmp();
    let out = dockopt(d.path(), &["passes"]);
    let s = text(&out.stdout);
    assert!(s.contains("pip-no-cache\n    Add --no-cache-dir"), "{s}");
    assert!(s.contains("why: "));
    let out = dockopt(d.path(), &["explain", "pip-no-cache"]);
    assert!(text(&out.stdout).contains("## Fix safety"));
    let out = dockopt(d.path(), &["explain", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_side_file_shared_by_two_dockerfiles_is_shown_once() {
    let d = tmp();
    fs::write(
        d.path().join("Dockerfile"),
        "FROM alpine:3.20\nCOPY app.py /app/\n",
    )
    .unwrap();
    fs::write(
        d.path().join("Dockerfile.dev"),
        "FROM alpine:3.20\nCOPY app.py /app/\n",
    )
    .unwrap();
    fs::write(d.path().join("app.py"), "print('hi')\n").unwrap();
    fs::create_dir(d.path().join("__pycache__")).unwrap();
    fs::write(d.path().join("__pycache__/app.cpython-312.pyc"), "x").unwrap();
    fs::write(d.path().join(".env"), "SECRET=1\n").unwrap();
    let out = dockopt(d.path(), &["fix", "--only", "dockerignore", "."]);
    let diff = text(&out.stdout);
    assert_eq!(diff.matches("+++ b/.dockerignore").count(), 1, "{diff}");
    assert!(diff.contains("+**/.env"), "{diff}");
    let out = dockopt(d.path(), &["fix", "--write", "--only", "dockerignore", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let di = fs::read_to_string(d.path().join(".dockerignore")).unwrap();
    assert!(di.contains(".env") && !di.contains("app.py"), "{di}");
}

/// Positions are reported in the file on disk, whichever passes moved text in earlier rounds.
#[test]
fn reported_lines_are_the_input_lines_whatever_passes_ran() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::write(p.join("requirements.txt"), "flask==3.0.3\n").unwrap();
    fs::write(p.join("app.py"), "print(1)\n").unwrap();
    let df = "FROM python:3.12-slim\nWORKDIR /app\n\nCOPY . .\n\n# deps\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
    fs::write(p.join("Dockerfile"), df).unwrap();
    let pip_line = |args: &[&str]| -> String {
        let mut all = vec!["fix", "--color", "never"];
        all.extend_from_slice(args);
        all.push("Dockerfile");
        let out = dockopt(p, &all);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        err.lines()
            .find(|l| l.contains("[pip-no-cache]"))
            .unwrap_or_else(|| panic!("no pip-no-cache line in {err}"))
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    // deps-first moves the RUN above COPY . . in round 0; pip-no-cache edits it in round 1.
    assert_eq!(pip_line(&[]), "Dockerfile:7:9:");
    assert_eq!(pip_line(&["--skip", "deps-first"]), "Dockerfile:7:9:");
    let out = dockopt(p, &["fix", "--format", "github", "Dockerfile"]);
    let gh = String::from_utf8_lossy(&out.stdout);
    assert!(gh.contains("line=7,col=9"), "{gh}");
}

/// A `.dockerignore` proposed in the same run counts for the other passes: a second run changes
/// nothing (deps-first refuses while a local node_modules would be copied over the install; the new
/// `.dockerignore` excludes it).
#[test]
fn fix_on_its_own_output_is_a_no_op_with_a_new_dockerignore() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir_all(p.join("node_modules/x")).unwrap();
    fs::write(p.join("node_modules/x/index.js"), "module.exports = 1\n").unwrap();
    fs::write(
        p.join("package.json"),
        r#"{"name":"a","version":"1.0.0","dependencies":{"express":"4.19.2"}}"#,
    )
    .unwrap();
    fs::write(
        p.join("package-lock.json"),
        r#"{"name":"a","lockfileVersion":3,"packages":{}}"#,
    )
    .unwrap();
    fs::write(p.join("index.js"), "console.log(1)\n").unwrap();
    fs::write(p.join(".dockerignore"), ".git\n").unwrap();
    let df =
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n";
    fs::write(p.join("Dockerfile"), df).unwrap();
    // Without the .dockerignore the pass must refuse (--only: no side file is proposed).
    let out = dockopt(p, &["fix", "--check", "--only", "deps-first", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("node_modules is in the build context"));
    // With every pass, one --write reaches the fixed point.
    let out = dockopt(p, &["fix", "--write", "Dockerfile"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = fs::read_to_string(p.join("Dockerfile")).unwrap();
    assert!(
        written.contains("COPY package.json package-lock.json ./\nRUN npm ci"),
        "{written}"
    );
    assert!(
        fs::read_to_string(p.join(".dockerignore"))
            .unwrap()
            .contains("**/node_modules")
    );
    let out = dockopt(p, &["fix", "--check", "Dockerfile"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --stdout emits no side file, so it must not rely on one.
    fs::write(p.join("Dockerfile"), df).unwrap();
    fs::write(p.join(".dockerignore"), ".git\n").unwrap();
    let out = dockopt(p, &["fix", "--stdout", "Dockerfile"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches("COPY").count(),
        1
    );
}
