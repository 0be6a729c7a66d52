//! The build context as the pass sees it: which files exist, their text, and a deliberately
//! conservative reading of `.dockerignore`.
//!
//! The `.dockerignore` check here is a stopgap until the shared matcher lands: a manifest is treated as
//! possibly excluded when ANY non-negated line could match it or one of its parent directories (with
//! `*` allowed to cross `/`, a superset of Docker's rules). An allow-list `.dockerignore` (`*` and then
//! `!requirements.txt`) therefore makes the pass refuse. That is the safe direction: copying a file that
//! `.dockerignore` excludes breaks the build, refusing only costs the optimisation.

use std::fs;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::passes::PassContext;

/// The largest manifest the pass reads.
const MAX_READ: u64 = 1 << 20;

/// What a context path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File,
    Dir,
    /// A symlink: COPY of a named symlink follows it, a whole-context copy does not.
    Symlink,
    Other,
}

/// One line of `.dockerignore`.
#[derive(Debug)]
struct IgnoreLine {
    line: usize,
    raw: String,
    negated: bool,
    /// The pattern cleaned the way Docker cleans it (no leading `/`, no trailing `/`, no `./`).
    pattern: String,
    /// Superset matcher: `*` may cross `/`.
    loose: Option<GlobMatcher>,
    /// Docker-like matcher: `*` stays within a path segment.
    strict: Option<GlobMatcher>,
}

/// The build context directory with its ignore file.
#[derive(Debug)]
pub struct Ctx {
    root: PathBuf,
    /// The ignore file's name for messages (`.dockerignore` or `Dockerfile.dockerignore`).
    ignore_name: String,
    ignore: Vec<IgnoreLine>,
}

impl Ctx {
    /// The context of this run, or `None` when it is unknown (standard input without `--context`).
    pub fn new(cx: &PassContext) -> Option<Ctx> {
        let root = cx.context_dir?.to_path_buf();
        // BuildKit prefers `<Dockerfile>.dockerignore` next to the Dockerfile over the context's one.
        let specific = cx.dockerfile.and_then(|d| {
            let name = d.file_name()?.to_string_lossy().into_owned();
            let p = d.with_file_name(format!("{name}.dockerignore"));
            p.is_file().then_some((p, format!("{name}.dockerignore")))
        });
        let (path, ignore_name) =
            specific.unwrap_or_else(|| (root.join(".dockerignore"), ".dockerignore".to_string()));
        let ignore = match read_limited(&path) {
            Some(text) => parse_ignore(&text),
            None => Vec::new(),
        };
        Some(Ctx {
            root,
            ignore_name,
            ignore,
        })
    }

    #[cfg(test)]
    pub fn for_test(root: &Path, ignore: &str) -> Ctx {
        Ctx {
            root: root.to_path_buf(),
            ignore_name: ".dockerignore".into(),
            ignore: parse_ignore(ignore),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    pub fn entry(&self, rel: &str) -> Entry {
        // A symlinked directory on the way counts as a symlink: COPY would follow it, the
        // whole-context copy would not.
        let parents = with_parents(rel);
        for p in parents.iter().take(parents.len().saturating_sub(1)) {
            if fs::symlink_metadata(self.path(p)).is_ok_and(|m| m.file_type().is_symlink()) {
                return Entry::Symlink;
            }
        }
        match fs::symlink_metadata(self.path(rel)) {
            Err(_) => Entry::Missing,
            Ok(m) if m.file_type().is_symlink() => Entry::Symlink,
            Ok(m) if m.is_file() => Entry::File,
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::Other,
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.entry(rel) != Entry::Missing
    }

    /// The text of a context file; `Err` says why it cannot be read.
    pub fn read(&self, rel: &str) -> Result<String, String> {
        match self.entry(rel) {
            Entry::File => {}
            Entry::Missing => return Err(format!("{rel} is not in the build context")),
            Entry::Symlink => {
                return Err(format!(
                    "{rel} is a symlink: copying it on its own would follow the link"
                ));
            }
            _ => return Err(format!("{rel} is not a regular file")),
        }
        read_limited(&self.path(rel)).ok_or_else(|| format!("{rel} cannot be read as UTF-8 text"))
    }

    /// Sorted names of the subdirectories of a context directory.
    pub fn subdirs(&self, rel: &str) -> Vec<String> {
        let Ok(rd) = fs::read_dir(self.path(rel)) else {
            return Vec::new();
        };
        let mut v: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        v.sort();
        v
    }

    /// Sorted names of the files in a context directory.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let Ok(rd) = fs::read_dir(self.path(rel)) else {
            return Vec::new();
        };
        let mut v: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        v.sort();
        v
    }

    /// If the ignore file might exclude `rel` (or a directory above it), the reason.
    pub fn maybe_ignored(&self, rel: &str) -> Option<String> {
        let paths = with_parents(rel);
        self.ignore
            .iter()
            .filter(|l| !l.negated)
            .find(|l| match &l.loose {
                Some(m) => paths.iter().any(|p| m.is_match(p)),
                None => true,
            })
            .map(|l| {
                format!(
                    "{rel} may be excluded by {} (line {}: `{}`)",
                    self.ignore_name, l.line, l.raw
                )
            })
    }

    /// Whether the ignore file certainly excludes `rel`: a line matches it (Docker's rules) and no
    /// exception line (`!...`) could bring back it or anything inside it.
    pub fn surely_ignored(&self, rel: &str) -> bool {
        let paths = with_parents(rel);
        let excluded = self.ignore.iter().filter(|l| !l.negated).any(|l| {
            l.strict
                .as_ref()
                .is_some_and(|m| paths.iter().any(|p| m.is_match(p)))
        });
        let reincluded = self.ignore.iter().filter(|l| l.negated).any(|l| {
            let literal: String = l
                .pattern
                .chars()
                .take_while(|c| !matches!(c, '*' | '?' | '[' | '\\'))
                .collect();
            literal.starts_with(rel) || rel.starts_with(&literal)
        });
        excluded && !reincluded
    }
}

fn read_limited(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_READ {
        return None;
    }
    let bytes = fs::read(path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// `a/b/c` -> `["a", "a/b", "a/b/c"]`.
fn with_parents(rel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        if !cur.is_empty() {
            cur.push('/');
        }
        cur.push_str(seg);
        out.push(cur.clone());
    }
    out
}

fn clean_pattern(p: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    for s in p.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    segs.join("/")
}

fn parse_ignore(text: &str) -> Vec<IgnoreLine> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let raw = line.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let (negated, body) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, raw),
        };
        let pattern = clean_pattern(body);
        let build = |literal_separator: bool| -> Option<GlobMatcher> {
            GlobBuilder::new(&pattern)
                .literal_separator(literal_separator)
                .backslash_escape(true)
                .build()
                .ok()
                .map(|g: Glob| g.compile_matcher())
        };
        out.push(IgnoreLine {
            line: n + 1,
            raw: raw.to_string(),
            negated,
            loose: build(false),
            strict: build(true),
            pattern,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ignore: &str) -> Ctx {
        Ctx::for_test(Path::new("/nonexistent"), ignore)
    }

    #[test]
    fn maybe_ignored_is_a_superset() {
        assert!(ctx("*.txt\n").maybe_ignored("requirements.txt").is_some());
        assert!(
            ctx("*\n!requirements.txt\n")
                .maybe_ignored("requirements.txt")
                .is_some()
        );
        assert!(ctx("req*\n").maybe_ignored("reqs/base.txt").is_some());
        assert!(ctx("**/*.txt\n").maybe_ignored("a/b.txt").is_some());
        assert!(ctx("/docs\n").maybe_ignored("docs/x").is_some());
        assert!(
            ctx("node_modules\n.git\n# requirements.txt\n")
                .maybe_ignored("requirements.txt")
                .is_none()
        );
        assert!(ctx("").maybe_ignored("package.json").is_none());
    }

    #[test]
    fn surely_ignored_needs_a_match_and_no_exception() {
        assert!(ctx("node_modules\n").surely_ignored("node_modules"));
        assert!(ctx("/node_modules/\n").surely_ignored("node_modules"));
        assert!(ctx("**/node_modules\n").surely_ignored("web/node_modules"));
        assert!(!ctx("node_modules\n").surely_ignored("web/node_modules"));
        assert!(!ctx("node_modules\n!node_modules/keep\n").surely_ignored("node_modules"));
        assert!(!ctx("*\n!*.json\n").surely_ignored("node_modules"));
        assert!(ctx("*\n!src\n").surely_ignored("node_modules"));
        assert!(!ctx("").surely_ignored("node_modules"));
    }
}
