//! Finding Dockerfiles: explicit paths are taken as given; directories are walked with the `ignore`
//! crate (honouring .gitignore, skipping .git and node_modules) for the usual Dockerfile names.

use std::path::{Path, PathBuf};

/// Extensions after `Dockerfile.` that mark a template, note or backup rather than a Dockerfile.
const NOT_DOCKERFILE_EXT: &[&str] = &[
    "dockerignore",
    "md",
    "txt",
    "j2",
    "jinja",
    "jinja2",
    "tmpl",
    "tpl",
    "template",
    "orig",
    "rej",
    "bak",
    "swp",
    "erb",
    "in",
    "sh",
    "py",
    "json",
    "yaml",
    "yml",
    "toml",
    "lock",
    "patch",
    "diff",
];

/// Whether a file name is one dockopt picks up when walking a directory: `Dockerfile`,
/// `Dockerfile.*`, `*.Dockerfile`, `*.dockerfile`, `Containerfile` and `Containerfile.*`.
pub fn is_dockerfile_name(name: &str) -> bool {
    for base in ["Dockerfile", "Containerfile", "dockerfile"] {
        if name == base {
            return true;
        }
        if let Some(ext) = name.strip_prefix(base).and_then(|r| r.strip_prefix('.')) {
            let last = ext.rsplit('.').next().unwrap_or(ext);
            return !ext.is_empty()
                && !NOT_DOCKERFILE_EXT.contains(&last.to_ascii_lowercase().as_str());
        }
    }
    (name.ends_with(".Dockerfile") || name.ends_with(".dockerfile"))
        && name.len() > ".dockerfile".len()
}

/// What a path argument resolved to.
#[derive(Debug)]
pub enum Found {
    /// A Dockerfile; `true` when it was found by walking a directory (not named on the command line).
    File(PathBuf, bool),
    /// The directory holds no Dockerfile.
    EmptyDir(PathBuf),
    /// The path does not exist or could not be read.
    Missing(PathBuf, String),
}

/// Expands path arguments into Dockerfiles, sorted and without duplicates per argument.
pub fn discover(paths: &[PathBuf]) -> Vec<Found> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Err(e) => out.push(Found::Missing(p.clone(), io_reason(&e))),
            Ok(m) if m.is_dir() => {
                let (files, broken) = walk_dir(p);
                if files.is_empty() && broken.is_empty() {
                    out.push(Found::EmptyDir(p.clone()));
                }
                out.extend(files.into_iter().map(|f| Found::File(f, true)));
                out.extend(broken.into_iter().map(|(f, why)| Found::Missing(f, why)));
            }
            Ok(_) => out.push(Found::File(p.clone(), false)),
        }
    }
    out
}

/// The Dockerfiles under `root`, and the Dockerfile-named symlinks that cannot be followed (a loop
/// or a missing target) with the reason.
fn walk_dir(root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut broken = Vec::new();
    let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && (name == ".git" || name == "node_modules"))
        })
        .build()
        .filter_map(Result::ok)
        .filter(|e| is_dockerfile_name(&e.file_name().to_string_lossy()))
        .filter(|e| match e.file_type() {
            Some(t) if t.is_file() => true,
            // A symlinked Dockerfile is followed only when its target is a file inside the root.
            Some(t) if t.is_symlink() => match std::fs::canonicalize(e.path()) {
                Ok(target) => target.starts_with(&canonical_root) && target.is_file(),
                Err(err) => {
                    let why = match err.kind() {
                        std::io::ErrorKind::NotFound => {
                            "broken symlink (its target does not exist)".to_string()
                        }
                        _ => format!("cannot follow the symlink: {}", io_reason(&err)),
                    };
                    broken.push((e.path().to_path_buf(), why));
                    false
                }
            },
            _ => false,
        })
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files.dedup();
    // A symlink to a Dockerfile that the walk also finds under its own name is the same file: report
    // and write it once, under its real path (a diff against the link's path would not apply).
    let real: std::collections::HashSet<PathBuf> = files
        .iter()
        .filter(|f| !f.is_symlink())
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    files.retain(|f| {
        !f.is_symlink() || std::fs::canonicalize(f).map_or(true, |t| !real.contains(&t))
    });
    broken.sort();
    (files, broken)
}

/// A short reason for an I/O error, without Rust's "(os error N)" noise.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "is a directory".into(),
        _ => {
            // "Operation not permitted (os error 1)" -> "operation not permitted", like the others.
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => {
                    let mut c = s[..i].chars();
                    c.next()
                        .map(|first| first.to_lowercase().chain(c).collect())
                        .unwrap_or_default()
                }
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for n in [
            "Dockerfile",
            "Dockerfile.prod",
            "api.Dockerfile",
            "web.dockerfile",
            "Containerfile",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "Dockerfile.md",
            "Dockerfile.j2",
            "README.md",
            ".dockerfile",
            "Dockerfile.",
            "Dockerfiles",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }
}
