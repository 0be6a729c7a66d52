//! `dockopt fix --verify` without a real engine: the no-engine path must exit 2 and write nothing, and the
//! write/no-write decisions are checked against a fake `docker` client (a shell script). The real builds
//! are exercised by tests/e2e/run.sh.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");

const PIP: &str = "FROM python:3.12\nRUN pip install flask\n";
const PIP_FIXED: &str = "FROM python:3.12\nRUN pip install --no-cache-dir flask\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("Dockerfile"), PIP).unwrap();
    d
}

/// Runs dockopt in `dir` with a controlled docker environment.
fn dockopt(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env_remove("DOCKER_BUILDKIT")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKOPT_DOCKER")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run dockopt")
}

#[test]
fn without_an_engine_verify_exits_2_and_writes_nothing() {
    let d = project();
    let out = dockopt(
        d.path(),
        &[(
            "DOCKER_HOST",
            "unix:///nonexistent/dockopt-test/docker.sock",
        )],
        &["fix", "--verify", "--write", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--verify needs a Docker engine"), "{err}");
    assert!(err.contains("nothing was built or written"), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn without_a_docker_client_verify_exits_2_and_writes_nothing() {
    let d = project();
    let out = dockopt(
        d.path(),
        &[("DOCKOPT_DOCKER", "/nonexistent/dockopt-test/docker")],
        &["fix", "--verify", "--write", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot run the docker client"), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
}

#[test]
fn verify_refuses_standard_input_and_stdout_and_smoke_needs_verify() {
    let d = project();
    for args in [
        &["fix", "--verify", "-"][..],
        &["fix", "--verify", "--stdout", "Dockerfile"],
        &["fix", "--smoke", "true", "Dockerfile"],
    ] {
        let out = dockopt(d.path(), &[], args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
}

/// A stand-in `docker` client: answers `version`, builds by recording its arguments and standard input,
/// fails a build whose Dockerfile contains `$FAKE_FAIL_ON`, and runs smoke commands on the host.
const FAKE_DOCKER: &str = r##"#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$1" in
version) echo "20.10.24|20.10.24"; exit 0 ;;
buildx) exit 1 ;;
build)
  iid=""; ctx=""
  while [ $# -gt 0 ]; do
    case "$1" in --iidfile) iid="$2"; shift ;; esac
    ctx="$1"; shift
  done
  df=$(cat)
  echo "#1 [internal] load build definition from Dockerfile"
  echo "#5 [1/2] FROM python:3.12"
  echo "buildkit=$DOCKER_BUILDKIT context=$ctx ignore=$(cat "$ctx/.dockerignore" 2>/dev/null)" >> "$FAKE_LOG"
  if [ -n "$FAKE_FAIL_ON" ]; then
    case "$df" in *"$FAKE_FAIL_ON"*) echo "ERROR: process did not complete successfully" >&2; exit 1 ;; esac
  fi
  echo "sha256:$(printf '%s' "$df" | cksum | cut -d' ' -f1)" > "$iid"
  exit 0 ;;
image)
  case "$4" in
  *Size*) case "$5" in *) echo 123456789 ;; esac ;;
  *RepoTags*) echo 0 ;;
  esac
  exit 0 ;;
run)
  for a; do last="$a"; done
  sh -c "$last"; exit $? ;;
esac
exit 0
"##;

fn fake_docker(dir: &Path) -> (String, String) {
    let bin = dir.join("fake-docker");
    fs::write(&bin, FAKE_DOCKER).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let log = dir.join("fake-docker.log");
    (bin.display().to_string(), log.display().to_string())
}

#[test]
fn a_rewrite_that_builds_is_written_and_reported() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[("DOCKOPT_DOCKER", &bin), ("FAKE_LOG", &log)],
        &[
            "fix",
            "--only",
            "pip-no-cache",
            "--verify",
            "--write",
            "--smoke",
            "true",
            "Dockerfile",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP_FIXED
    );
    assert!(
        err.contains("builder: BuildKit (the engine's built-in"),
        "{err}"
    );
    assert!(
        err.contains("verify: Dockerfile: building the original"),
        "{err}"
    );
    assert!(
        err.contains("  original: #5 [1/2] FROM python:3.12"),
        "{err}"
    );
    assert!(
        err.contains("verify: Dockerfile: verified: image 123.5 MB -> 123.5 MB (+0.0 MB, +0.0%)"),
        "{err}"
    );
    assert!(
        err.contains("the smoke command `true` passed in both images"),
        "{err}"
    );
    let calls = fs::read_to_string(&log).unwrap();
    // Both builds read the Dockerfile from standard input, in the Dockerfile's directory, with BuildKit.
    assert_eq!(calls.matches(" -f - ").count(), 2, "{calls}");
    assert_eq!(calls.matches("buildkit=1 context=.").count(), 2, "{calls}");
}

#[test]
fn a_rewrite_that_does_not_build_is_not_written() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[
            ("DOCKOPT_DOCKER", &bin),
            ("FAKE_LOG", &log),
            ("FAKE_FAIL_ON", "--no-cache-dir"),
        ],
        &["fix", "--verify", "--write", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
    assert!(
        err.contains("Dockerfile: error: rewrite not written: the rewrite did not build"),
        "{err}"
    );
    assert!(
        err.contains("ERROR: process did not complete successfully"),
        "{err}"
    );
}

#[test]
fn when_the_original_does_not_build_nothing_is_written() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[
            ("DOCKOPT_DOCKER", &bin),
            ("FAKE_LOG", &log),
            ("FAKE_FAIL_ON", "pip install"),
        ],
        &["fix", "--verify", "--write", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
    assert!(err.contains("the original did not build"), "{err}");
    // The rewrite is not even built.
    let calls = fs::read_to_string(&log).unwrap();
    assert_eq!(calls.matches(" -f - ").count(), 1, "{calls}");
}

#[test]
fn a_failing_smoke_command_keeps_the_file() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[("DOCKOPT_DOCKER", &bin), ("FAKE_LOG", &log)],
        &[
            "fix",
            "--only",
            "pip-no-cache",
            "--verify",
            "--write",
            "--smoke",
            "echo broken; exit 7",
            "Dockerfile",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
    assert!(err.contains("fails in the original"), "{err}");
    assert!(err.contains("| broken"), "{err}");
}

#[test]
fn verify_without_write_reports_and_leaves_the_file() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[("DOCKOPT_DOCKER", &bin), ("FAKE_LOG", &log)],
        &["fix", "--verify", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("verified: image"), "{err}");
    assert!(text(&out.stdout).contains("+RUN pip install --no-cache-dir flask"));
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        PIP
    );
}

#[test]
fn a_user_docker_buildkit_setting_wins() {
    let d = project();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = fake_docker(tools.path());
    let out = dockopt(
        d.path(),
        &[
            ("DOCKOPT_DOCKER", &bin),
            ("FAKE_LOG", &log),
            ("DOCKER_BUILDKIT", "0"),
        ],
        &["fix", "--verify", "Dockerfile"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("builder: the legacy builder"), "{err}");
    let calls = fs::read_to_string(&log).unwrap();
    assert!(!calls.contains("--progress=plain"), "{calls}");
}
