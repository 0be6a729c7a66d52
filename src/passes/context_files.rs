//! Files of the build context that the build runs or reads: which command runs a script from a file
//! (`./build.sh`, `sh x.sh`, `python x.py`), and which context file a COPY or ADD put at a container
//! path. Shared by slim-base (what a stage runs), dockerignore (what the build reads) and the hygiene
//! passes (whether a later script needs a cache).

use std::path::{Component, Path, PathBuf};

use crate::model::{CopySource, Detail, Document, Kind, Spanned};
use crate::recognize::{basename, is_pip, is_python};

/// Larger files in the build context are not read.
pub const MAX_FILE: u64 = 512 * 1024;

/// Whether `path` names a command in the system's bin directories (`/usr/bin/curl`), not a script.
pub fn is_system_path(path: &str) -> bool {
    [
        "/bin/",
        "/sbin/",
        "/usr/bin/",
        "/usr/sbin/",
        "/usr/local/bin/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The script a command runs from a file: `./build.sh`, `scripts/x.sh`, `sh x.sh`, `bash -e x.sh`,
/// `. ./env.sh`, `python x.py`, `node x.js`.
pub fn script_run<'w>(name: &str, words: &'w [String]) -> Option<&'w str> {
    let first = words.first()?.as_str();
    if first.contains(['$', '`']) {
        return None;
    }
    if (first.starts_with("./")
        || first.starts_with("../")
        || first.ends_with(".sh")
        || (first.contains('/') && !is_system_path(first)))
        && !is_python(name)
        && !is_pip(name)
    {
        return Some(first);
    }
    let interpreter = matches!(
        name,
        "sh" | "bash" | "ash" | "dash" | "zsh" | "." | "source" | "node" | "ruby" | "perl" | "php"
    ) || is_python(name);
    if !interpreter {
        return None;
    }
    let mut i = 1;
    while i < words.len() {
        let a = words[i].as_str();
        // `sh -c '...'` runs a string; `python -m mod` a module; `-` reads stdin.
        if a == "-m" || a == "-c" || a == "-e" && name != "sh" && name != "bash" || a == "-" {
            return None;
        }
        if a.starts_with('-') && !a.starts_with("--") && a.ends_with('c') && !is_python(name) {
            return None;
        }
        if !a.starts_with('-') {
            return (!a.contains(['$', '`'])).then_some(a);
        }
        i += if a == "-o" { 2 } else { 1 };
    }
    None
}

/// Finds the build-context file that a COPY or ADD of stage `stage` (before instruction `idx`) put at
/// `path` (a container path, relative to the WORKDIR in effect), and reads it. Falls back to `path`
/// relative to the context.
pub fn context_file(
    doc: &Document,
    context_dir: Option<&Path>,
    stage: usize,
    idx: usize,
    path: &str,
) -> Option<(PathBuf, String)> {
    if path.contains('$') {
        return None;
    }
    let wd = doc.workdir_before(idx).unwrap_or_else(|| "/".into());
    let target = crate::model::normalize_path(&if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{wd}/{path}")
    });
    for (ci, inst) in doc.stage_body(stage).collect::<Vec<_>>().into_iter().rev() {
        if ci >= idx || !matches!(inst.kind, Kind::Copy | Kind::Add) || inst.flag("from").is_some()
        {
            continue;
        }
        let Detail::Copy { sources, dest } = &inst.detail else {
            continue;
        };
        let paths: Vec<&Spanned> = sources
            .iter()
            .filter_map(|s| match s {
                CopySource::Path(p) => Some(p),
                CopySource::HereDoc(_) => None,
            })
            .collect();
        let cwd = doc.workdir_before(ci).unwrap_or_else(|| "/".into());
        let dest_abs = crate::model::normalize_path(&if dest.value.starts_with('/') {
            dest.value.clone()
        } else {
            format!("{cwd}/{}", dest.value)
        });
        let dest_is_dir =
            dest.value.ends_with('/') || dest.value == "." || paths.len() > 1 || sources.len() > 1;
        for src in paths {
            let s = src.value.trim_start_matches("./").trim_start_matches('/');
            let s = s.trim_end_matches('/');
            if s.contains("://") || s.contains('$') {
                continue;
            }
            let s_dir = s.is_empty() || s == "." || context_is_dir(context_dir, s);
            if s_dir {
                let rest = if dest_abs == "/" {
                    target.strip_prefix('/')
                } else {
                    target.strip_prefix(&format!("{dest_abs}/"))
                };
                if let Some(rest) = rest {
                    let rel = if s.is_empty() || s == "." {
                        PathBuf::from(rest)
                    } else {
                        Path::new(s).join(rest)
                    };
                    if let Some(t) = read_context(context_dir, &rel) {
                        return Some((rel, t));
                    }
                }
                continue;
            }
            let file = basename(s);
            let tbase = basename(&target);
            let tparent = &target[..target.len() - tbase.len()].trim_end_matches('/');
            let tparent = if tparent.is_empty() { "/" } else { tparent };
            let matches = if s.contains(['*', '?', '[']) {
                tparent == dest_abs && glob_match(file, tbase)
            } else if dest_is_dir || dest_is_existing_dir_guess(&dest_abs, &target) {
                tparent == dest_abs && file == tbase
            } else {
                dest_abs == target
            };
            if matches {
                let rel = if s.contains(['*', '?', '[']) {
                    Path::new(s).parent().unwrap_or(Path::new("")).join(tbase)
                } else {
                    PathBuf::from(s)
                };
                if let Some(t) = read_context(context_dir, &rel) {
                    return Some((rel, t));
                }
            }
        }
    }
    // No COPY put it there: try the path as written, relative to the context.
    if !path.starts_with('/') {
        let rel = PathBuf::from(path.trim_start_matches("./"));
        if let Some(t) = read_context(context_dir, &rel) {
            return Some((rel, t));
        }
    }
    None
}

/// `COPY app.sh /app` where `/app` is a directory made earlier: the file lands in it.
fn dest_is_existing_dir_guess(dest_abs: &str, target: &str) -> bool {
    target.starts_with(&format!("{dest_abs}/")) && !target[dest_abs.len() + 1..].contains('/')
}

pub fn safe_rel(rel: &Path) -> bool {
    rel.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn context_is_dir(context_dir: Option<&Path>, rel: &str) -> bool {
    let rel = Path::new(rel);
    match context_dir {
        Some(dir) if safe_rel(rel) => dir.join(rel).is_dir(),
        _ => false,
    }
}

/// Reads a file of the build context (relative path, no `..`, at most 512 KiB of UTF-8).
pub fn read_context(context_dir: Option<&Path>, rel: &Path) -> Option<String> {
    let dir = context_dir?;
    if !safe_rel(rel) || rel.as_os_str().is_empty() {
        return None;
    }
    let p = dir.join(rel);
    let meta = std::fs::metadata(&p).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    std::fs::read_to_string(&p).ok()
}

/// `*` and `?` glob matching of one path component.
pub fn glob_match(pat: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}
