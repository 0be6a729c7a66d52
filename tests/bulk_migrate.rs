//! The bulk-migration script, on throwaway git repositories made here.

use std::fs;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn repo(root: &Path, name: &str, dockerfile: &str) -> std::path::PathBuf {
    let r = root.join(name);
    fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q", "-b", "main"]);
    fs::write(r.join("Dockerfile"), dockerfile).unwrap();
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "-m", "init"]);
    r
}

#[test]
fn migrates_clean_repos_and_leaves_dirty_ones_alone() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let needs = repo(
        root,
        "needs-fix",
        "FROM python:3.12\nRUN pip install flask\n",
    );
    let clean = repo(
        root,
        "already-clean",
        "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
    );
    let dirty = repo(root, "dirty", "FROM python:3.12\nRUN pip install flask\n");
    fs::write(dirty.join("wip.txt"), "uncommitted").unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bulk-migrate.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(root)
        .args(["--", "--only", "pip-no-cache"])
        .env("DOCKOPT", env!("CARGO_BIN_EXE_dockopt"))
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("needs-fix"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("needs-fix") && l.contains("changed")),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("already-clean") && l.contains("unchanged")),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("dirty") && l.contains("uncommitted changes")),
        "{report}"
    );

    // The fixed repo has a branch with one commit that lists the fix.
    assert_eq!(
        git(&needs, &["branch", "--show-current"]).trim(),
        "dockopt/optimise-dockerfiles"
    );
    let msg = git(&needs, &["log", "-1", "--format=%B"]);
    assert!(msg.starts_with("dockopt: optimise Dockerfiles"), "{msg}");
    assert!(
        msg.contains("- Dockerfile:2:9: [pip-no-cache] added --no-cache-dir to pip install"),
        "{msg}"
    );
    assert_eq!(
        fs::read_to_string(needs.join("Dockerfile")).unwrap(),
        "FROM python:3.12\nRUN pip install --no-cache-dir flask\n"
    );
    // The clean repo has no new branch; the dirty one is untouched.
    assert!(!git(&clean, &["branch"]).contains("dockopt/"));
    assert_eq!(git(&dirty, &["branch", "--show-current"]).trim(), "main");
    assert_eq!(
        fs::read_to_string(dirty.join("Dockerfile")).unwrap(),
        "FROM python:3.12\nRUN pip install flask\n"
    );

    // A second run skips the repo whose branch exists.
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bulk-migrate.sh"))
        .arg(root)
        .env("DOCKOPT", env!("CARGO_BIN_EXE_dockopt"))
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("needs-fix") && l.contains("already exists")),
        "{report}"
    );
}
