//! `dockopt fix --verify`: prove a rewrite on a real Docker engine before it is written.
//!
//! For every Dockerfile that dockopt would change, [`verify_file`] builds the original and the rewritten
//! text from the same build context (`docker build -f - CONTEXT`, the Dockerfile on standard input),
//! optionally runs a smoke command in both images, and reports the image sizes and build times. The CLI
//! writes a rewrite only when both built and both smoke runs passed. When a rewrite also creates or changes
//! files in the build context (a `.dockerignore`), the rewrite is built from a temporary copy of the
//! context with those files in place, so that they are verified too.
//!
//! The engine is the `docker` client on `PATH` (or `$DOCKOPT_DOCKER`) and whatever engine it talks to
//! (`DOCKER_HOST`, contexts). [`Engine::detect`] fails, and nothing is built or written, when no engine
//! answers.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// How long `docker version` may take before the engine counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a smoke command may run in a container.
pub const SMOKE_TIMEOUT: Duration = Duration::from_secs(300);
/// Build output lines kept to show when a build fails.
const TAIL_LINES: usize = 25;

/// Which builder the engine uses for `docker build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    BuildKit,
    Legacy,
}

/// A reachable Docker engine and how to build on it.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: OsString,
    /// `DOCKER_BUILDKIT` to set for builds, when dockopt chooses it.
    buildkit_env: Option<&'static str>,
    pub builder: Builder,
    pub server_version: String,
    pub client_version: String,
}

/// The measurements of one build.
#[derive(Debug, Clone)]
pub struct Build {
    pub image: String,
    pub size: u64,
    pub seconds: f64,
}

/// What one file's verification found.
#[derive(Debug, Clone)]
pub struct Verified {
    pub original: Build,
    pub rewrite: Build,
}

/// One rewrite to verify.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The Dockerfile, for messages.
    pub display: &'a str,
    /// The build context directory.
    pub context: &'a Path,
    pub original: &'a [u8],
    pub rewrite: &'a [u8],
    /// Files the rewrite creates or changes: (path, new content).
    pub side_files: Vec<(&'a Path, &'a str)>,
}

/// Runs `cmd` with a timeout, capturing standard output and error. `None` on a timeout.
fn run_captured(
    cmd: &mut Command,
    timeout: Duration,
) -> std::io::Result<Option<(bool, String, String)>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = match child.wait_timeout(timeout)? {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Some((status.success(), stdout, stderr)))
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

impl Engine {
    /// The docker client: `$DOCKOPT_DOCKER`, else `docker` on `PATH`.
    fn client() -> OsString {
        std::env::var_os("DOCKOPT_DOCKER")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "docker".into())
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.docker);
        if let Some(v) = self.buildkit_env {
            c.env("DOCKER_BUILDKIT", v);
        }
        c
    }

    /// Finds a reachable engine, or says why there is none.
    pub fn detect() -> Result<Engine, String> {
        let docker = Engine::client();
        let shown = docker.to_string_lossy().into_owned();
        let probe = run_captured(
            Command::new(&docker).args([
                "version",
                "--format",
                "{{.Client.Version}}|{{.Server.Version}}",
            ]),
            PROBE_TIMEOUT,
        );
        let (ok, out, err) = match probe {
            Err(e) => return Err(format!("cannot run the docker client `{shown}`: {e}")),
            Ok(None) => {
                return Err(format!(
                    "`{shown} version` did not answer within {}s",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Ok(Some(x)) => x,
        };
        let (client_version, server_version) = out
            .trim()
            .split_once('|')
            .map(|(c, s)| (c.trim().to_string(), s.trim().to_string()))
            .unwrap_or_default();
        if !ok || server_version.is_empty() {
            let why = first_line(&err);
            return Err(if why.is_empty() {
                format!("no Docker engine answers `{shown} version`")
            } else {
                format!("no Docker engine answers `{shown} version`: {why}")
            });
        }
        // BuildKit when the client offers it: buildx, or a client older than 23 that drives the daemon's
        // built-in BuildKit with DOCKER_BUILDKIT=1. A user's own DOCKER_BUILDKIT wins.
        let (builder, buildkit_env) = match std::env::var("DOCKER_BUILDKIT") {
            Ok(v) if v == "0" || v.eq_ignore_ascii_case("false") => (Builder::Legacy, None),
            Ok(_) => (Builder::BuildKit, None),
            Err(_) => {
                let buildx = run_captured(
                    Command::new(&docker).args(["buildx", "version"]),
                    PROBE_TIMEOUT,
                );
                let major: u32 = client_version
                    .split('.')
                    .next()
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                if matches!(buildx, Ok(Some((true, _, _)))) {
                    (Builder::BuildKit, None)
                } else if major > 0 && major < 23 {
                    (Builder::BuildKit, Some("1"))
                } else {
                    (Builder::Legacy, Some("0"))
                }
            }
        };
        Ok(Engine {
            docker,
            buildkit_env,
            builder,
            server_version,
            client_version,
        })
    }

    /// One line for the report: engine version and builder.
    pub fn describe(&self) -> String {
        let builder = match (self.builder, self.buildkit_env) {
            (Builder::BuildKit, Some(_)) => "BuildKit (the engine's built-in, DOCKER_BUILDKIT=1)",
            (Builder::BuildKit, None) => "BuildKit",
            (Builder::Legacy, _) => {
                "the legacy builder (no buildx: RUN --mount and heredocs cannot build)"
            }
        };
        format!(
            "Docker engine {} (client {} `{}`), builder: {builder}",
            self.server_version,
            self.client_version,
            self.docker.to_string_lossy()
        )
    }

    /// Builds `dockerfile` in `context`, showing each step on standard error.
    pub fn build(&self, label: &str, dockerfile: &[u8], context: &Path) -> Result<Build, String> {
        let iid_dir =
            tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let iid = iid_dir.path().join("iid");
        let mut cmd = self.command();
        cmd.arg("build");
        if self.builder == Builder::BuildKit {
            cmd.arg("--progress=plain");
        } else {
            // The legacy builder keeps the containers of failed steps unless told otherwise.
            cmd.arg("--force-rm");
        }
        cmd.arg("--iidfile")
            .arg(&iid)
            .args(["-f", "-"])
            .arg(context);
        let start = Instant::now();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.docker.to_string_lossy()))?;
        let mut stdin = child.stdin.take().expect("piped");
        let text = dockerfile.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&text);
        });
        let (tx, rx) = mpsc::channel::<String>();
        let readers: Vec<_> = [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ]
        .into_iter()
        .map(|r| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                // Bytes, not `lines()`: a build may print invalid UTF-8, and the pipe must be drained
                // to the end or docker blocks.
                let mut r = BufReader::new(r);
                let mut buf = Vec::new();
                while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                    let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                    buf.clear();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
        drop(tx);
        let mut tail: VecDeque<String> = VecDeque::new();
        let stderr = std::io::stderr();
        for line in rx {
            if is_step_line(&line) {
                let _ = writeln!(stderr.lock(), "  {label}: {}", shorten(&line, 110));
            }
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        for r in readers {
            let _ = r.join();
        }
        let _ = writer.join();
        let status = child
            .wait()
            .map_err(|e| format!("waiting for docker build: {e}"))?;
        let seconds = start.elapsed().as_secs_f64();
        if !status.success() {
            let lines: Vec<String> = tail.into_iter().map(|l| format!("    | {l}")).collect();
            return Err(format!(
                "the {label} did not build ({status}); last lines of the build:\n{}",
                lines.join("\n")
            ));
        }
        let image = std::fs::read_to_string(&iid)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("docker build gave no image id: {e}"))?;
        let size = self.image_size(&image)?;
        Ok(Build {
            image,
            size,
            seconds,
        })
    }

    fn image_size(&self, image: &str) -> Result<u64, String> {
        let out = run_captured(
            self.command()
                .args(["image", "inspect", "--format", "{{.Size}}", image]),
            PROBE_TIMEOUT,
        )
        .map_err(|e| e.to_string())?;
        match out {
            Some((true, s, _)) => s
                .trim()
                .parse()
                .map_err(|_| format!("unexpected image size `{}`", s.trim())),
            Some((false, _, e)) => Err(format!("docker image inspect: {}", first_line(&e))),
            None => Err("docker image inspect did not answer".into()),
        }
    }

    /// Runs `sh -c SMOKE` in a container of `image`; `Ok(())` when it exits 0 in time.
    pub fn smoke(&self, image: &str, smoke: &str) -> Result<(), String> {
        let short: String = image
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        let name = format!("dockopt-verify-{}-{short}", std::process::id());
        let out = run_captured(
            self.command().args([
                "run",
                "--rm",
                "--name",
                &name,
                "--entrypoint",
                "/bin/sh",
                image,
                "-c",
                smoke,
            ]),
            SMOKE_TIMEOUT,
        )
        .map_err(|e| e.to_string())?;
        match out {
            Some((true, _, _)) => Ok(()),
            Some((false, o, e)) => {
                let mut all: Vec<&str> = o.lines().chain(e.lines()).collect();
                let keep = all.len().saturating_sub(10);
                all.drain(..keep);
                Err(format!(
                    "it failed; its last output:\n{}",
                    all.iter()
                        .map(|l| format!("    | {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            }
            None => {
                let _ = run_captured(self.command().args(["rm", "-f", &name]), PROBE_TIMEOUT);
                Err(format!(
                    "it did not finish within {}s (it must be a command that exits, not a server)",
                    SMOKE_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// Removes an image this run built, unless a tag refers to it (an identical image the user keeps).
    pub fn remove_if_untagged(&self, image: &str) {
        let tags = run_captured(
            self.command()
                .args(["image", "inspect", "--format", "{{len .RepoTags}}", image]),
            PROBE_TIMEOUT,
        );
        if let Ok(Some((true, n, _))) = tags
            && n.trim() == "0"
        {
            let _ = run_captured(self.command().args(["image", "rm", image]), PROBE_TIMEOUT);
        }
    }
}

/// A line of build output that starts a step: BuildKit's `#5 [2/4] RUN ...`, the legacy `Step 2/4 : RUN`.
fn is_step_line(line: &str) -> bool {
    if let Some(rest) = line.strip_prefix('#') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        return digits > 0 && rest[digits..].starts_with(" [");
    }
    line.starts_with("Step ") && line.contains(" : ")
}

fn shorten(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max).collect();
    s.push_str(" ...");
    s
}

/// Megabytes, as `docker images` shows them.
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The size change, signed, with its percentage.
fn size_delta(before: u64, after: u64) -> String {
    let d = after as f64 - before as f64;
    let pct = if before > 0 {
        d / before as f64 * 100.0
    } else {
        0.0
    };
    format!("{:+.1} MB, {:+.1}%", d / 1e6, pct)
}

/// A temporary copy of `context` with the side files written into it, for building a rewrite that adds
/// or changes files there. `None` when no side file lies inside the context.
fn context_with_side_files(
    context: &Path,
    side_files: &[(&Path, &str)],
) -> Result<Option<tempfile::TempDir>, String> {
    let base = context
        .canonicalize()
        .map_err(|e| format!("build context {}: {e}", context.display()))?;
    let mut inside: Vec<(PathBuf, &str)> = Vec::new();
    for (path, text) in side_files {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let Ok(dir) = parent.canonicalize() else {
            continue;
        };
        if let Ok(rel) = dir.strip_prefix(&base) {
            inside.push((rel.join(name), text));
        }
    }
    if inside.is_empty() {
        return Ok(None);
    }
    let tmp = tempfile::Builder::new()
        .prefix("dockopt-verify-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    copy_tree(&base, tmp.path()).map_err(|e| format!("copying the build context: {e}"))?;
    for (rel, text) in inside {
        let dest = tmp.path().join(rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(|e| e.to_string())?;
        }
        std::fs::write(&dest, text).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(Some(tmp))
}

/// Copies a directory tree: files with their permissions, symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else if kind.is_dir() {
            std::fs::create_dir(&dest)?;
            std::fs::set_permissions(&dest, entry.metadata()?.permissions())?;
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Builds the original and the rewrite of one Dockerfile, runs the smoke command in both, and reports
/// on standard error. `Err` says why the rewrite must not be written.
pub fn verify_file(
    engine: &Engine,
    c: &Candidate,
    smoke: Option<&str>,
) -> Result<Verified, String> {
    let say = |msg: String| eprintln!("verify: {}: {msg}", c.display);
    say(format!(
        "building the original (context {})",
        c.context.display()
    ));
    let original = engine
        .build("original", c.original, c.context)
        .map_err(|e| {
            format!("{e}\n    (the original must build here before a rewrite can be verified)")
        })?;
    say(format!(
        "the original built in {:.1}s: {}",
        original.seconds,
        mb(original.size)
    ));
    let copied = context_with_side_files(c.context, &c.side_files)?;
    let rewrite_context = copied.as_ref().map_or(c.context, |t| t.path());
    if copied.is_some() {
        say(
            "building the rewrite (from a copy of the context with the rewritten side files)"
                .into(),
        );
    } else {
        say("building the rewrite".into());
    }
    let result = (|| {
        let rewrite = engine.build("rewrite", c.rewrite, rewrite_context)?;
        say(format!(
            "the rewrite built in {:.1}s: {}",
            rewrite.seconds,
            mb(rewrite.size)
        ));
        if let Some(cmd) = smoke {
            engine
                .smoke(&original.image, cmd)
                .map_err(|e| format!("the smoke command `{cmd}` fails in the original: {e}"))?;
            engine.smoke(&rewrite.image, cmd).map_err(|e| {
                format!(
                    "the smoke command `{cmd}` passes in the original but fails in the rewrite: {e}"
                )
            })?;
            say(format!("the smoke command `{cmd}` passed in both images"));
        }
        Ok(rewrite)
    })();
    let rewrite = match result {
        Ok(r) => r,
        Err(e) => {
            engine.remove_if_untagged(&original.image);
            return Err(e);
        }
    };
    say(format!(
        "verified: image {} -> {} ({}); build {:.1}s -> {:.1}s",
        mb(original.size),
        mb(rewrite.size),
        size_delta(original.size, rewrite.size),
        original.seconds,
        rewrite.seconds
    ));
    engine.remove_if_untagged(&rewrite.image);
    if rewrite.image != original.image {
        engine.remove_if_untagged(&original.image);
    }
    Ok(Verified { original, rewrite })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_of_both_builders_are_recognised() {
        assert!(is_step_line("#5 [2/4] RUN pip install -r requirements.txt"));
        assert!(is_step_line("#12 [build 3/7] COPY . ."));
        assert!(is_step_line("Step 3/9 : RUN apt-get update"));
        assert!(!is_step_line("#5 0.412 Collecting flask"));
        assert!(!is_step_line("#5 DONE 3.1s"));
        assert!(!is_step_line("# a comment"));
        assert!(!is_step_line(" ---> Running in 1234"));
    }

    #[test]
    fn size_delta_is_signed() {
        assert_eq!(size_delta(1_000_000_000, 900_000_000), "-100.0 MB, -10.0%");
        assert_eq!(size_delta(100, 100), "+0.0 MB, +0.0%");
        assert_eq!(size_delta(0, 5_000_000), "+5.0 MB, +0.0%");
    }

    #[test]
    fn side_files_go_into_a_copy_of_the_context() {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(ctx.path().join("app.py"), "print('hi')\n").unwrap();
        std::fs::create_dir(ctx.path().join("pkg")).unwrap();
        std::fs::write(ctx.path().join("pkg/mod.py"), "x = 1\n").unwrap();
        std::os::unix::fs::symlink("app.py", ctx.path().join("link.py")).unwrap();
        let ignore = ctx.path().join(".dockerignore");
        let copy = context_with_side_files(ctx.path(), &[(&ignore, ".git\n")])
            .unwrap()
            .expect("a side file inside the context makes a copy");
        let p = copy.path();
        assert_eq!(
            std::fs::read_to_string(p.join(".dockerignore")).unwrap(),
            ".git\n"
        );
        assert_eq!(
            std::fs::read_to_string(p.join("pkg/mod.py")).unwrap(),
            "x = 1\n"
        );
        assert_eq!(
            std::fs::read_link(p.join("link.py")).unwrap(),
            Path::new("app.py")
        );
        // The original context is untouched.
        assert!(!ignore.exists());
        // A side file elsewhere needs no copy.
        let other = tempfile::tempdir().unwrap();
        let elsewhere = other.path().join(".dockerignore");
        assert!(
            context_with_side_files(ctx.path(), &[(&elsewhere, "x\n")])
                .unwrap()
                .is_none()
        );
    }
}
