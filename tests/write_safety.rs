//! `fix --write` safety: a run killed at any moment leaves every file exactly old or exactly new; a
//! normal run leaves no temporary file, keeps modes, owners and untouched files' mtimes, and writes
//! through symlinks; files and directories that cannot be written give `path: error: ...` and exit 2
//! while the other files are still written. These tests run as root in CI, so none of them relies on
//! permission bits stopping root.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_dockopt");

/// One cheap pass: this is about writing, and the passes' own cost (the dockerignore pass alone takes
/// ~20 ms per file in a debug build) would only make the kill windows harder to hit.
const PASSES: [&str; 2] = ["--only", "pip-no-cache"];

fn dockopt(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_no_panic(out: &Output) {
    let err = stderr_of(out);
    assert!(
        matches!(out.status.code(), Some(0..=2)) && !err.contains("panic"),
        "status {:?}: {err}",
        out.status
    );
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(".dockopt-") && name.ends_with(".tmp")
}

/// Every file and symlink under `root` (directories themselves are not listed).
fn list_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn temp_files(root: &Path) -> Vec<PathBuf> {
    list_files(root)
        .into_iter()
        .filter(|p| is_temp_name(&p.file_name().unwrap().to_string_lossy()))
        .collect()
}

/// A deterministic pseudo-random sequence in [0, 1) (a 64-bit LCG; no rand crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const FILES: usize = 300;
const ITERATIONS: usize = 20;

/// The original content of Dockerfile `i`: most change, every tenth does not, and a few are large
/// (half a megabyte) so that writing them takes measurable time.
fn old_content(i: usize) -> Vec<u8> {
    if i % 10 == 9 {
        format!("FROM scratch\nCOPY app{i} /app\n").into_bytes()
    } else if i % 75 == 1 {
        format!(
            "FROM python:3.12\nRUN pip install flask{i}\nLABEL blob=\"{}\"\n",
            "y".repeat(512 * 1024)
        )
        .into_bytes()
    } else {
        format!("FROM python:3.12\nRUN pip install flask{i} requests\n").into_bytes()
    }
}

fn rel(i: usize) -> PathBuf {
    PathBuf::from(format!("d{i:03}/Dockerfile"))
}

fn spawn_write(root: &Path) -> Child {
    Command::new(BIN)
        .args(["fix", "--write", "--quiet"])
        .args(PASSES)
        .arg(".")
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `file` no longer holds `old` (the run has started writing) and returns how long that
/// took, or `None` if the process exited first.
fn wait_for_first_write(child: &mut Child, file: &Path, old: &[u8]) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if fs::read(file).unwrap() != old {
            return Some(start.elapsed());
        }
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "dockopt hangs");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn sigkill_at_random_moments_leaves_every_file_old_or_new() {
    let test_start = Instant::now();
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("tree");
    let old: Vec<Vec<u8>> = (0..FILES).map(old_content).collect();
    for (i, content) in old.iter().enumerate() {
        fs::create_dir_all(root.join(rel(i)).parent().unwrap()).unwrap();
        fs::write(root.join(rel(i)), content).unwrap();
    }

    // The expected new contents, from a normal run on a copy (timed, to place the kills).
    let reference = d.path().join("reference");
    for (i, content) in old.iter().enumerate() {
        fs::create_dir_all(reference.join(rel(i)).parent().unwrap()).unwrap();
        fs::write(reference.join(rel(i)), content).unwrap();
    }
    let start = Instant::now();
    let mut child = spawn_write(&reference);
    let first_write = wait_for_first_write(&mut child, &reference.join(rel(0)), &old[0])
        .expect("the first file is rewritten");
    let status = child.wait().unwrap();
    let total = start.elapsed();
    assert_eq!(status.code(), Some(0), "reference run failed");
    assert_eq!(temp_files(&reference), Vec::<PathBuf>::new());
    assert_eq!(list_files(&reference).len(), FILES, "no stray files");
    let new: Vec<Vec<u8>> = (0..FILES)
        .map(|i| fs::read(reference.join(rel(i))).unwrap())
        .collect();
    let changed: Vec<usize> = (0..FILES).filter(|&i| new[i] != old[i]).collect();
    assert_eq!(
        changed.len(),
        FILES - FILES / 10,
        "every file but the FROM scratch ones changes"
    );

    // Unchanged files keep their mtime through every run, killed or not.
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for i in (0..FILES).filter(|i| !changed.contains(i)) {
        fs::File::options()
            .write(true)
            .open(root.join(rel(i)))
            .unwrap()
            .set_modified(past)
            .unwrap();
    }

    // Kill windows, capped so that a slow machine does not make the test slow.
    let whole_run = total.min(Duration::from_millis(800));
    let write_phase = total
        .saturating_sub(first_write)
        .min(Duration::from_millis(400));
    let mut rng = Lcg(0x5eed_d0c0_0917);
    let (mut mid_run, mut before_any, mut after_all, mut finished, mut temps_left) =
        (0, 0, 0, 0, 0);
    for k in 0..ITERATIONS {
        // Stratified delays: iteration k covers its own slice of the window, jittered.
        let slice = (k / 2) as f64;
        let frac = (slice + rng.next()) / (ITERATIONS / 2) as f64;
        let mut child = spawn_write(&root);
        if k % 2 == 0 {
            // Any moment of the run: walking, reading, fixing or writing.
            std::thread::sleep(whole_run.mul_f64(frac));
        } else {
            // A moment of the write phase.
            wait_for_first_write(&mut child, &root.join(rel(0)), &old[0]);
            std::thread::sleep(write_phase.mul_f64(frac));
        }
        let _ = child.kill(); // SIGKILL; fails only if the process was already reaped
        let status = child.wait().unwrap();
        let killed = status.signal() == Some(9);
        if !killed {
            assert_eq!(status.code(), Some(0), "iteration {k}: run failed");
        }

        let mut new_count = 0;
        for i in 0..FILES {
            let p = root.join(rel(i));
            let now = fs::read(&p).unwrap();
            if now == new[i] && new[i] != old[i] {
                new_count += 1;
            } else {
                assert!(
                    now == old[i],
                    "iteration {k}: {} is neither old ({} bytes) nor new ({} bytes) but {} bytes",
                    p.display(),
                    old[i].len(),
                    new[i].len(),
                    now.len()
                );
            }
            if !changed.contains(&i) {
                let m = fs::metadata(&p).unwrap().modified().unwrap();
                assert_eq!(
                    m,
                    past,
                    "iteration {k}: unchanged {} was touched",
                    p.display()
                );
            }
        }
        // Anything else in the tree must be a temp file of the killed run: dockopt's name, in the
        // directory of a changed Dockerfile, holding a prefix of that file's new content.
        let expected: Vec<PathBuf> = (0..FILES).map(|i| root.join(rel(i))).collect();
        for extra in list_files(&root)
            .into_iter()
            .filter(|p| !expected.contains(p))
        {
            let name = extra.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                killed && is_temp_name(&name),
                "iteration {k} (killed: {killed}): stray file {}",
                extra.display()
            );
            let i: usize = extra
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()[1..]
                .parse()
                .unwrap();
            let content = fs::read(&extra).unwrap();
            assert!(
                changed.contains(&i) && new[i].starts_with(&content),
                "iteration {k}: {} does not hold part of d{i:03}/Dockerfile's rewrite",
                extra.display()
            );
            temps_left += 1;
            fs::remove_file(&extra).unwrap();
        }

        match (killed, new_count) {
            (false, n) => {
                assert_eq!(
                    n,
                    changed.len(),
                    "iteration {k}: a normal run wrote everything"
                );
                finished += 1;
            }
            (true, 0) => before_any += 1,
            (true, n) if n == changed.len() => after_all += 1,
            (true, _) => mid_run += 1,
        }
        // Back to the old tree for the next iteration (the last one is resumed below).
        // Unlink and create rather than truncate: ext4 flushes a truncated file on close
        // (auto_da_alloc), which would make this loop the slowest part of the test.
        if k + 1 < ITERATIONS {
            for &i in &changed {
                let p = root.join(rel(i));
                if fs::read(&p).unwrap() != old[i] {
                    fs::remove_file(&p).unwrap();
                    fs::write(&p, &old[i]).unwrap();
                }
            }
        }
    }
    eprintln!(
        "[{:?}] {ITERATIONS} runs of {FILES} files (normal run {total:?}, first write at {first_write:?}): \
         {mid_run} killed mid-write, {before_any} killed before any write, {after_all} killed after \
         the last write, {finished} finished; {temps_left} temp files left by killed runs",
        test_start.elapsed()
    );
    assert!(
        mid_run >= 1,
        "no kill landed while files were being written, so nothing was tested"
    );

    // A normal run after a kill finishes the job and leaves no temp file.
    let out = dockopt(
        &root,
        &["fix", "--write", "--quiet", PASSES[0], PASSES[1], "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for (i, content) in new.iter().enumerate() {
        assert_eq!(&fs::read(root.join(rel(i))).unwrap(), content);
    }
    assert_eq!(temp_files(&root), Vec::<PathBuf>::new());
}

#[test]
fn write_keeps_modes_owner_and_mtimes_and_writes_through_symlinks() {
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("outside");
    let root = d.path().join("root");
    for dir in ["a", "b", "c", "shared", "owned"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    fs::create_dir_all(&outside).unwrap();
    let before = |n: &str| format!("FROM python:3.12\nRUN pip install {n}\n");
    let after = |n: &str| format!("FROM python:3.12\nRUN pip install --no-cache-dir {n}\n");
    let files: BTreeMap<&str, (String, u32)> = [
        ("a/Dockerfile", (before("a"), 0o640)),
        ("b/Dockerfile", (before("b"), 0o755)),
        (
            "c/Dockerfile",
            ("FROM scratch\nCOPY c /c\n".to_string(), 0o644),
        ),
        ("shared/python.df", (before("shared"), 0o600)),
        ("owned/Dockerfile", (before("owned"), 0o664)),
    ]
    .into_iter()
    .collect();
    for (p, (content, mode)) in &files {
        fs::write(root.join(p), content).unwrap();
        fs::set_permissions(root.join(p), fs::Permissions::from_mode(*mode)).unwrap();
    }
    fs::write(outside.join("Dockerfile"), before("outside")).unwrap();
    // A Dockerfile that is a symlink to a file inside the root, and one that points outside it.
    std::os::unix::fs::symlink("shared/python.df", root.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("../outside/Dockerfile", root.join("escape.Dockerfile")).unwrap();
    // A link to a Dockerfile that the walk finds as well: the file is reached twice, written once.
    std::os::unix::fs::symlink("b/Dockerfile", root.join("b.Dockerfile")).unwrap();
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(root.join("c/Dockerfile"))
        .unwrap()
        .set_modified(past)
        .unwrap();
    // Only root can give a file away; as root, the rewrite must not become root's file.
    let chowned =
        std::os::unix::fs::chown(root.join("owned/Dockerfile"), Some(4242), Some(4343)).is_ok();

    let out = dockopt(&root, &["fix", "--write", "--only", "pip-no-cache", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    for (p, name) in [
        ("a/Dockerfile", "a"),
        ("b/Dockerfile", "b"),
        ("shared/python.df", "shared"),
        ("owned/Dockerfile", "owned"),
    ] {
        assert_eq!(
            fs::read_to_string(root.join(p)).unwrap(),
            after(name),
            "{p}"
        );
        let mode = fs::metadata(root.join(p)).unwrap().mode() & 0o7777;
        assert_eq!(mode, files[p].1, "{p}: mode {mode:o}");
    }
    let c = fs::metadata(root.join("c/Dockerfile")).unwrap();
    assert_eq!(
        c.modified().unwrap(),
        past,
        "an unchanged file is not rewritten"
    );
    // The link is still a link, to the same target, and the target holds the rewrite.
    let link = fs::symlink_metadata(root.join("Dockerfile")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(
        fs::read_link(root.join("Dockerfile")).unwrap(),
        Path::new("shared/python.df")
    );
    // The link outside the root is not followed, and its target is not written.
    assert_eq!(
        fs::read_to_string(outside.join("Dockerfile")).unwrap(),
        before("outside")
    );
    assert!(
        fs::symlink_metadata(root.join("escape.Dockerfile"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    if chowned {
        let m = fs::metadata(root.join("owned/Dockerfile")).unwrap();
        assert_eq!((m.uid(), m.gid()), (4242, 4343), "owner and group kept");
    } else {
        eprintln!("note: not root, the owner check did not run");
    }
    assert_eq!(temp_files(d.path()), Vec::<PathBuf>::new());
}

#[test]
fn read_only_file_is_not_replaced_even_by_root() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let input = "FROM python:3.12\nRUN pip install x\n";
    fs::write(p.join("ro.Dockerfile"), input).unwrap();
    fs::write(p.join("rw.Dockerfile"), input).unwrap();
    fs::set_permissions(p.join("ro.Dockerfile"), fs::Permissions::from_mode(0o444)).unwrap();
    let out = dockopt(p, &["fix", "--write", "--only", "pip-no-cache", "."]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("ro.Dockerfile: error: read-only file (no write permission); not written"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(p.join("ro.Dockerfile")).unwrap(), input);
    let mode = fs::metadata(p.join("ro.Dockerfile")).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o444);
    assert!(
        fs::read_to_string(p.join("rw.Dockerfile"))
            .unwrap()
            .contains("--no-cache-dir"),
        "the other file is still written"
    );
    assert_eq!(temp_files(p), Vec::<PathBuf>::new());
}

/// Clears the immutable flags it set, so the temporary directory can be removed.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    /// Sets `chattr +i` on `path`; false when the filesystem or the process cannot.
    fn set(&mut self, path: &Path) -> bool {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            self.0.push(path.to_path_buf());
        }
        ok
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[test]
fn immutable_file_and_directory_get_errors_and_the_rest_is_written() {
    // `chattr +i` stops root too, unlike permission bits. It needs ext4/xfs/btrfs and
    // CAP_LINUX_IMMUTABLE; without them there is nothing to test here.
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let input = "FROM python:3.12\nRUN pip install x\n";
    fs::create_dir(p.join("locked")).unwrap();
    fs::write(p.join("locked/Dockerfile"), input).unwrap();
    fs::write(p.join("frozen.Dockerfile"), input).unwrap();
    fs::write(p.join("ok.Dockerfile"), input).unwrap();
    let mut imm = Immutable(Vec::new());
    if !imm.set(&p.join("frozen.Dockerfile")) || !imm.set(&p.join("locked")) {
        eprintln!("note: chattr +i is not available here; immutable files were not tested");
        return;
    }
    let out = dockopt(p, &["fix", "--write", "--only", "pip-no-cache", "."]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("frozen.Dockerfile: error: cannot write: permission denied"),
        "{err}"
    );
    assert!(
        err.contains("locked/Dockerfile: error: cannot create a temporary file in"),
        "{err}"
    );
    drop(imm);
    assert_eq!(
        fs::read_to_string(p.join("frozen.Dockerfile")).unwrap(),
        input
    );
    assert_eq!(
        fs::read_to_string(p.join("locked/Dockerfile")).unwrap(),
        input
    );
    assert!(
        fs::read_to_string(p.join("ok.Dockerfile"))
            .unwrap()
            .contains("--no-cache-dir")
    );
    assert_eq!(temp_files(p), Vec::<PathBuf>::new());
}

#[test]
fn a_write_that_fails_halfway_keeps_the_old_file_and_no_temp_file() {
    // RLIMIT_FSIZE makes writing the large rewrite fail part-way (EFBIG), for root too; SIGXFSZ is
    // ignored so that the write returns an error instead of killing the process.
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let big = format!(
        "FROM python:3.12\nRUN pip install big\nRUN echo {}\n",
        "z".repeat(1024 * 1024)
    );
    let small = "FROM python:3.12\nRUN pip install small\n";
    fs::write(p.join("big.Dockerfile"), &big).unwrap();
    fs::write(p.join("small.Dockerfile"), small).unwrap();
    let out = Command::new("/bin/sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 256 && exec \"$0\" \"$@\"",
            BIN,
            "fix",
            "--write",
            "--only",
            "pip-no-cache",
            ".",
        ])
        .current_dir(p)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("big.Dockerfile: error: cannot write: file too large"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(p.join("big.Dockerfile")).unwrap(), big);
    assert!(
        fs::read_to_string(p.join("small.Dockerfile"))
            .unwrap()
            .contains("--no-cache-dir")
    );
    assert_eq!(temp_files(p), Vec::<PathBuf>::new());
}
