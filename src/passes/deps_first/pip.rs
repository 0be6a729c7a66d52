//! pip (and `uv pip`): installs from requirements files, and the files those reference.

use std::collections::BTreeSet;

use crate::recognize::{basename, is_pip, is_python};
use crate::shell::Word;

use super::classify::Args;
use super::context::Ctx;
use super::{Early, Eco, Install, Need, Role, join, parent};

/// pip install options that take a value.
const VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--progress-bar",
    "--trusted-host",
    "--upgrade-strategy",
    "--global-option",
    "--install-option",
    "-C",
    "--config-settings",
    "--report",
    "--cache-dir",
    "--log",
    "--timeout",
    "--retries",
    "--proxy",
    "--exists-action",
    "--cert",
    "--client-cert",
    "--root-user-action",
    "--python",
    "--keyring-provider",
    "--use-feature",
    "--use-deprecated",
    "--group",
    // uv pip
    "-p",
    "--index",
    "--default-index",
    "--index-strategy",
    "--resolution",
    "--prerelease",
    "--link-mode",
    "--override",
    "--build-constraint",
    "-b",
    "--extra",
    "--python-platform",
    "--exclude-newer",
    "--reinstall-package",
    "--upgrade-package",
    "-P",
    "--no-build-package",
    "--no-binary-package",
    "--only-binary-package",
    "--torch-backend",
];

/// Options of a requirements file line that take a value (pip's `SUPPORTED_OPTIONS` and
/// per-requirement options).
const REQ_FILE_VALUE: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--only-binary",
    "--no-binary",
    "--trusted-host",
    "--use-feature",
    "--hash",
    "--config-settings",
    "--global-option",
    "--install-option",
];

/// Options of a requirements file line without a value.
const REQ_FILE_FLAGS: &[&str] = &["--pre", "--prefer-binary", "--require-hashes", "--no-index"];

/// pip global options (before the subcommand) that take a value.
const GLOBAL_VALUE_OPTS: &[&str] = &[
    "--python",
    "--log",
    "--log-file",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--src",
    "--use-feature",
    "--use-deprecated",
    "--progress-bar",
    "--root-user-action",
    "--keyring-provider",
];

/// `pip ...`, `python -m pip ...`, `uv pip install|sync ...`.
pub fn recognise(words: &[Word]) -> Option<Role> {
    let first = basename(&words[0].value);
    let (args, uv) = if is_pip(first) {
        (&words[1..], false)
    } else if is_python(first) {
        let mut i = 1;
        while i < words.len() && words[i].value.starts_with('-') && words[i].value != "-m" {
            i += 1;
        }
        if words.get(i)?.value != "-m" || words.get(i + 1)?.value != "pip" {
            return None;
        }
        (&words[i + 2..], false)
    } else if first == "uv" && words.get(1).is_some_and(|w| w.value == "pip") {
        (&words[2..], true)
    } else {
        return None;
    };
    let mut i = 0;
    while i < args.len() && args[i].value.starts_with('-') {
        i += if GLOBAL_VALUE_OPTS.contains(&args[i].value.as_str()) {
            2
        } else {
            1
        };
    }
    let Some(sub) = args.get(i) else {
        return Some(free());
    };
    let rest = &args[i + 1..];
    Some(match sub.value.as_str() {
        "install" => install(rest, uv),
        "sync" if uv => sync(rest),
        "cache" | "config" | "list" | "freeze" | "show" | "check" | "--version" | "help"
        | "index" | "debug" | "inspect" | "tree" => free(),
        _ => Role::Source(None),
    })
}

fn free() -> Role {
    Role::Free {
        writes: vec![],
        touches: vec![],
    }
}

/// Whether a requirement or argument is a local path rather than a package name or URL.
pub fn is_local(v: &str) -> bool {
    let v = v.trim();
    if v.contains("://") && !v.contains("file:") {
        return false;
    }
    v == "."
        || v == ".."
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with('/')
        || v.starts_with('~')
        || v.starts_with("file:")
        || v.contains("@ file:")
        || v.contains('/')
        || [".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"]
            .iter()
            .any(|e| v.ends_with(e))
}

fn install(args: &[Word], uv: bool) -> Role {
    let tool = if uv { "uv pip install" } else { "pip install" };
    let a = Args::parse(args, VALUE_OPTS);
    if let Some(w) = args.iter().find(|w| w.dynamic) {
        // With a requirements file it is a dependency install the user expects moved: say why not.
        if a.has(&["-r", "--requirement", "-c", "--constraint"]) {
            return Role::Local {
                eco: Eco::Pip,
                reason: format!(
                    "`{tool}` is given `{}`, only known when the RUN runs: the pass cannot tell what it reads",
                    w.value
                ),
            };
        }
        return Role::Source(Some(format!("`{}` depends on a variable", w.value)));
    }
    // An index that is a local directory or a file: URL reads files the pass does not copy.
    if let Some(u) = a
        .values(&[
            "-i",
            "--index-url",
            "--extra-index-url",
            "--index",
            "--default-index",
        ])
        .into_iter()
        .find(|u| (!u.contains("://") || u.contains("file:")) && !u.contains('$'))
    {
        return Role::Local {
            eco: Eco::Pip,
            reason: format!("`{tool}` uses the local index {u}"),
        };
    }
    if let Some(e) = a.values(&["-e", "--editable"]).first() {
        return Role::Local {
            eco: Eco::Pip,
            reason: format!("`{tool} -e {e}` is an editable install: it needs the project source"),
        };
    }
    for p in &a.pos {
        if is_local(&p.value) {
            let reason = if p.value == "." {
                format!("`{tool} .` installs the project itself, not dependencies from a manifest")
            } else {
                format!("`{tool} {}` installs a local path", p.value)
            };
            return Role::Local {
                eco: Eco::Pip,
                reason,
            };
        }
        if !p.value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Role::Source(Some(format!("`{}` is not a package name", p.value)));
        }
    }
    if let Some(f) = a
        .values(&["-f", "--find-links"])
        .into_iter()
        .find(|f| !f.contains("://"))
    {
        return Role::Local {
            eco: Eco::Pip,
            reason: format!("`{tool} --find-links {f}` reads a local directory"),
        };
    }
    if a.has(&["--group"]) {
        return Role::Source(Some("--group reads pyproject.toml".into()));
    }
    let writes: Vec<String> = a
        .values(&["-t", "--target", "--prefix", "--root", "--src"])
        .into_iter()
        .filter(|p| !p.starts_with('~') && !p.contains('$'))
        .collect();
    let mut named = a.values(&["-r", "--requirement"]);
    named.extend(a.values(&[
        "-c",
        "--constraint",
        "--override",
        "--build-constraint",
        "-b",
    ]));
    if named.is_empty() {
        return Role::Free {
            writes,
            touches: vec![],
        };
    }
    Role::Install(Install {
        eco: Eco::Pip,
        named,
        early: Early::AsIs,
        writes,
    })
}

/// `uv pip sync requirements.txt ...`.
fn sync(args: &[Word]) -> Role {
    if args.iter().any(|w| w.dynamic) {
        return Role::Source(None);
    }
    let a = Args::parse(args, VALUE_OPTS);
    let mut named: Vec<String> = a.pos.iter().map(|w| w.value.clone()).collect();
    named.extend(a.values(&["-c", "--constraint", "--build-constraint", "-b"]));
    if named.is_empty() {
        return Role::Source(None);
    }
    Role::Install(Install {
        eco: Eco::Pip,
        named,
        early: Early::AsIs,
        writes: vec![],
    })
}

/// The requirements files and everything they reference through `-r`, `-c` and `--requirement`.
pub fn needs(named: &[String], ctx: &Ctx) -> Result<Need, String> {
    let mut need = Need::default();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = named.iter().rev().cloned().collect();
    while let Some(f) = queue.pop() {
        if !seen.insert(f.clone()) {
            continue;
        }
        let text = ctx.read(&f)?;
        let dir = parent(&f).to_string();
        for (n, line) in logical_lines(&text) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(&first) = words.first() else {
                continue;
            };
            // A requirement line (options after it, such as `--hash`, apply to it alone).
            if !first.starts_with('-') {
                let req = line.split(" --").next().unwrap_or(&line);
                if is_local(req) || is_local(first) {
                    return Err(format!(
                        "{f} includes {first} (line {n}): a local path, the install needs the project source"
                    ));
                }
                continue;
            }
            // An option line: pip reads every option on it.
            let mut k = 0;
            while k < words.len() {
                let w = words[k];
                k += 1;
                let (name, attached) = match w.split_once('=') {
                    Some((nm, v)) if nm.starts_with("--") => (nm, Some(v)),
                    _ if !w.starts_with("--")
                        && w.len() > 2
                        && let Some(short) = w.get(..2)
                        && REQ_FILE_VALUE.contains(&short) =>
                    {
                        (short, Some(w[2..].trim_start_matches('=')))
                    }
                    _ => (w, None),
                };
                if !w.starts_with('-') {
                    return Err(format!(
                        "{f} has `{w}` among options (line {n}), which the pass does not read"
                    ));
                }
                let value = if REQ_FILE_VALUE.contains(&name) {
                    match attached {
                        Some(v) => v.to_string(),
                        None => {
                            let Some(v) = words.get(k) else {
                                return Err(format!("{f} has {name} without a value (line {n})"));
                            };
                            k += 1;
                            v.to_string()
                        }
                    }
                } else if REQ_FILE_FLAGS.contains(&name) && attached.is_none() {
                    String::new()
                } else {
                    return Err(format!(
                        "{f} uses the option {w} (line {n}), which the pass does not read"
                    ));
                };
                let remote = value.contains("://") && !value.contains("file:");
                match name {
                    "-r" | "--requirement" | "-c" | "--constraint" => {
                        if remote {
                            continue;
                        }
                        if value.contains('$') {
                            return Err(format!(
                                "{f} references {value} (line {n}), a path with a variable"
                            ));
                        }
                        let Some(rel) = join(&dir, &value) else {
                            return Err(format!(
                                "{f} references {value} (line {n}), outside the build context"
                            ));
                        };
                        if !ctx.exists(&rel) {
                            return Err(format!(
                                "{f} references {value} (line {n}), which is not in the build context"
                            ));
                        }
                        queue.push(rel);
                    }
                    "-e" | "--editable" => {
                        return Err(format!(
                            "{f} includes -e {value} (line {n}): the install needs the project source"
                        ));
                    }
                    "-f" | "--find-links" if !remote => {
                        return Err(format!(
                            "{f} uses --find-links {value} (line {n}), a local directory"
                        ));
                    }
                    "-i" | "--index-url" | "--extra-index-url" if !remote => {
                        return Err(format!("{f} uses {name} {value} (line {n}), a local index"));
                    }
                    "--no-index" => {
                        return Err(format!(
                            "{f} uses --no-index (line {n}): packages come from local links the pass does not copy"
                        ));
                    }
                    _ => {}
                }
            }
        }
        need.files.push(f);
    }
    need.extras(Eco::Pip, "", ctx)?;
    Ok(need)
}

/// The lines of a requirements file with continuations joined and comments removed, numbered from 1
/// by the line they start on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if cur.is_empty() {
            start = i + 1;
        }
        let line = strip_comment(raw);
        if let Some(body) = line.trim_end().strip_suffix('\\') {
            cur.push_str(body);
            cur.push(' ');
            continue;
        }
        cur.push_str(line);
        let l = cur.trim().to_string();
        if !l.is_empty() {
            out.push((start, l));
        }
        cur.clear();
    }
    if !cur.trim().is_empty() {
        out.push((start, cur.trim().to_string()));
    }
    out
}

/// Removes a `#` comment (at the start of the line or after whitespace).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let b = line.as_bytes();
    for i in 1..b.len() {
        if b[i] == b'#' && (b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_requirements() {
        for v in [
            ".",
            "./lib",
            "../x",
            "/wheels/a.whl",
            "dist/pkg.tar.gz",
            "pkg @ file:///x",
        ] {
            assert!(is_local(v), "{v}");
        }
        for v in [
            "flask",
            "flask==3.0",
            "requests[socks]>=2",
            "git+https://github.com/a/b.git",
            "pkg @ https://x/y.whl",
        ] {
            assert!(!is_local(v), "{v}");
        }
    }

    #[test]
    fn lines_join_and_drop_comments() {
        let l = logical_lines("# top\nflask \\\n  ==3.0  # pinned\n\n-r base.txt\n");
        assert_eq!(
            l,
            vec![(2, "flask    ==3.0".to_string()), (5, "-r base.txt".into())]
        );
    }
}
