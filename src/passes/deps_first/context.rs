//! The build context as the pass sees it: which files exist, their text, and what `.dockerignore`
//! excludes, evaluated with Docker's own rules (`crate::dockerignore_match`): the last matching line
//! wins, a pattern naming a directory excludes what is inside, `!` lines bring files back. An ignore
//! file Docker would reject makes every manifest count as excluded, so the pass refuses (the safe
//! direction: copying a file that `.dockerignore` excludes breaks the build).

use std::fs;
use std::path::{Path, PathBuf};

use crate::dockerignore_match::Matcher;
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

/// The build context directory with its ignore file.
#[derive(Debug)]
pub struct Ctx {
    root: PathBuf,
    /// The ignore file's name for messages (`.dockerignore` or `Dockerfile.dockerignore`).
    ignore_name: String,
    ignore: Matcher,
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
        // The .dockerignore this same run proposes, if any, else the one on disk.
        let pending = cx
            .pending_ignore
            .as_ref()
            .filter(|(p, _)| *p == path)
            .map(|(_, t)| t.clone());
        let ignore = match pending.or_else(|| read_limited(&path)) {
            Some(text) => Matcher::parse(&text),
            None => Matcher::default(),
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
            ignore: Matcher::parse(ignore),
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

    /// If the ignore file excludes `rel` (or a directory above it, with no `!` line bringing it
    /// back), the reason. An ignore file Docker rejects counts as excluding everything.
    pub fn maybe_ignored(&self, rel: &str) -> Option<String> {
        if let Some(e) = self.ignore.errors().first() {
            return Some(format!(
                "{} line {} (`{}`) is invalid for Docker ({}), so the build cannot read {rel}",
                self.ignore_name, e.line, e.pattern, e.message
            ));
        }
        let i = self.ignore.deciding_pattern(rel)?;
        let p = &self.ignore.patterns()[i];
        Some(format!(
            "{rel} is excluded by {} (line {}: `{}`)",
            self.ignore_name, p.line, p.text
        ))
    }

    /// Whether the ignore file certainly excludes `rel` and everything inside it: Docker's rules
    /// exclude it and no exception line (`!...`) could bring back it or anything inside it.
    pub fn surely_ignored(&self, rel: &str) -> bool {
        if !self.ignore.errors().is_empty() || !self.ignore.excluded(rel) {
            return false;
        }
        let rel = rel.trim_matches('/');
        !self
            .ignore
            .patterns()
            .iter()
            .filter(|p| p.exception)
            .any(|p| {
                let literal: String = p
                    .text
                    .chars()
                    .take_while(|c| !matches!(c, '*' | '?' | '[' | '\\'))
                    .collect();
                literal.starts_with(rel) || rel.starts_with(&literal)
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ignore: &str) -> Ctx {
        Ctx::for_test(Path::new("/nonexistent"), ignore)
    }

    #[test]
    fn maybe_ignored_follows_dockers_rules() {
        assert!(ctx("*.txt\n").maybe_ignored("requirements.txt").is_some());
        // An allow-list brings the manifest back.
        assert!(
            ctx("*\n!requirements.txt\n")
                .maybe_ignored("requirements.txt")
                .is_none()
        );
        assert!(
            ctx("*\n!*.json\n")
                .maybe_ignored("requirements.txt")
                .is_some()
        );
        // `*` stays within one path segment; patterns are anchored at the root.
        assert!(ctx("*.txt\n").maybe_ignored("reqs/base.txt").is_none());
        assert!(
            ctx("requirements.txt\n")
                .maybe_ignored("api/requirements.txt")
                .is_none()
        );
        // An ignore file Docker rejects counts as excluding everything.
        assert!(ctx("!\n").maybe_ignored("package.json").is_some());
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
