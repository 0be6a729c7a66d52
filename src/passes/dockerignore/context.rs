//! Walking the build context: what is there and how big it is.
//!
//! The walk is bounded. Directories that are known to be bulky and are never looked into by name
//! (`node_modules`, `.git`, `.venv`, `target`, ...) are listed as one entry each and only counted
//! (files and bytes), after the rest of the tree has been listed; both phases stop at a fixed budget, and
//! the report then says "at least". Symlinks are never followed. Results are cached per process, keyed
//! by the directory and its modification time, because the engine runs the pass once per round and
//! several Dockerfiles can share a context.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use crate::dockerignore_match::Matcher;

/// Entries listed before the walk stops (outside bulk directories).
const MAX_LISTED: usize = 100_000;
/// Files counted inside bulk directories, all together.
const MAX_COUNTED: u64 = 300_000;
/// Deepest directory level visited.
const MAX_DEPTH: usize = 64;

/// Directory names that are counted, not listed.
const BULK: &[&str] = &[
    "node_modules",
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "target",
    ".gradle",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];

/// One listed file, directory or symlink, relative to the context root with `/` separators.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    /// A bulk directory: its content is counted in `files`/`size`, not listed.
    pub bulk: bool,
    /// Files inside (bulk directories only).
    pub files: u64,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Context {
    /// Depth-first, sorted by name within each directory.
    pub entries: Vec<Entry>,
    /// The budget ran out: counts are lower bounds.
    pub truncated: bool,
    /// The directory walked.
    pub root: std::path::PathBuf,
    paths: HashSet<String>,
}

/// Files and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub files: u64,
    pub bytes: u64,
}

impl Size {
    fn add(&mut self, e: &Entry) {
        if e.bulk {
            self.files += e.files;
            self.bytes += e.size;
        } else if !e.is_dir {
            self.files += 1;
            self.bytes += e.size;
        }
    }
}

type Key = (PathBuf, Option<SystemTime>);
static CACHE: LazyLock<Mutex<HashMap<Key, Arc<Context>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl Context {
    /// The (cached) walk of `root`; `None` when it is not a readable directory.
    pub fn load(root: &Path) -> Option<Arc<Context>> {
        let meta = std::fs::metadata(root).ok()?;
        if !meta.is_dir() {
            return None;
        }
        let key = (
            std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            meta.modified().ok(),
        );
        if let Ok(cache) = CACHE.lock()
            && let Some(c) = cache.get(&key)
        {
            return Some(c.clone());
        }
        let walked = Arc::new(Context::walk(root));
        if let Ok(mut cache) = CACHE.lock() {
            cache.insert(key, walked.clone());
        }
        Some(walked)
    }

    /// Walks `root` without caching.
    pub fn walk(root: &Path) -> Context {
        let mut cx = Context {
            root: root.to_path_buf(),
            ..Context::default()
        };
        cx.list(root, "", 0);
        let mut budget = MAX_COUNTED;
        for e in cx.entries.iter_mut().filter(|e| e.bulk) {
            let (files, bytes, complete) = count(&root.join(&e.path), &mut budget);
            e.files = files;
            e.size = bytes;
            cx.truncated |= !complete;
        }
        cx.paths = cx.entries.iter().map(|e| e.path.clone()).collect();
        cx
    }

    fn list(&mut self, dir: &Path, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.truncated = true;
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut children: Vec<(String, std::fs::DirEntry)> = rd
            .filter_map(Result::ok)
            .map(|d| (d.file_name().to_string_lossy().into_owned(), d))
            .collect();
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, d) in children {
            if self.entries.len() >= MAX_LISTED {
                self.truncated = true;
                return;
            }
            // DirEntry::file_type does not follow symlinks.
            let Ok(ft) = d.file_type() else { continue };
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let is_dir = ft.is_dir();
            let size = if is_dir {
                0
            } else {
                d.metadata().map(|m| m.len()).unwrap_or(0)
            };
            let bulk = is_dir && BULK.contains(&name.as_str());
            self.entries.push(Entry {
                path: path.clone(),
                is_dir,
                size,
                bulk,
                files: 0,
            });
            if is_dir && !bulk {
                self.list(&d.path(), &path, depth + 1);
            }
        }
    }

    /// Whether `path` was listed, or lies inside a bulk directory that was.
    pub fn exists(&self, path: &str) -> bool {
        if self.paths.contains(path) {
            return true;
        }
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            let parent = &path[..end];
            if self.paths.contains(parent) {
                return self
                    .entries
                    .iter()
                    .any(|e| e.bulk && e.path.as_str() == parent);
            }
            end += 1;
        }
        false
    }

    /// The text of a listed file (at most `max` bytes of UTF-8), relative to the root.
    pub fn read(&self, rel: &str, max: u64) -> Option<String> {
        if rel.is_empty() || rel.split('/').any(|c| c == ".." || c.is_empty()) || !self.exists(rel)
        {
            return None;
        }
        let p = self.root.join(rel);
        let meta = std::fs::metadata(&p).ok()?;
        if !meta.is_file() || meta.len() > max {
            return None;
        }
        std::fs::read_to_string(p).ok()
    }

    /// Names at the context root.
    pub fn root_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.path.contains('/'))
    }

    /// Everything in the context.
    pub fn total(&self) -> Size {
        let mut s = Size::default();
        for e in &self.entries {
            s.add(e);
        }
        s
    }

    /// What `m` excludes, attributed to the pattern that decides (index into `m.patterns()`).
    pub fn excluded_by(&self, m: &Matcher) -> (Size, HashMap<usize, Size>) {
        let mut all = Size::default();
        let mut per: HashMap<usize, Size> = HashMap::new();
        // Below an excluded directory everything is excluded by the same pattern, unless an exception
        // could re-include something.
        let shortcut = !m.has_exceptions();
        let mut stack: Vec<(String, usize)> = Vec::new();
        for e in &self.entries {
            while let Some((dir, _)) = stack.last() {
                if e.path.len() > dir.len()
                    && e.path.starts_with(dir.as_str())
                    && e.path.as_bytes()[dir.len()] == b'/'
                {
                    break;
                }
                stack.pop();
            }
            let decided = match stack.last() {
                Some((_, idx)) if shortcut => Some(*idx),
                _ => m.deciding_pattern(&e.path),
            };
            if let Some(idx) = decided {
                all.add(e);
                per.entry(idx).or_default().add(e);
                if e.is_dir && shortcut {
                    stack.push((e.path.clone(), idx));
                }
            }
        }
        (all, per)
    }
}

/// Counts files and bytes below `dir` within `budget`; returns whether the count is complete.
fn count(dir: &Path, budget: &mut u64) -> (u64, u64, bool) {
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return (files, bytes, false);
        }
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for ent in rd.filter_map(Result::ok) {
            if *budget == 0 {
                return (files, bytes, false);
            }
            let Ok(ft) = ent.file_type() else { continue };
            if ft.is_dir() {
                stack.push((ent.path(), depth + 1));
            } else {
                *budget -= 1;
                files += 1;
                bytes += ent.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    (files, bytes, true)
}

/// A size for people: `0 B`, `812 B`, `3.1 MB`, `812 MB` (decimal units, like `docker build`).
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(999), "999 B");
        assert_eq!(human(3_100_000), "3.1 MB");
        assert_eq!(human(812_000_000), "812 MB");
    }

    #[test]
    fn walk_lists_and_counts() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("node_modules/a/b")).unwrap();
        std::fs::write(r.join("node_modules/a/b/x.js"), "12345").unwrap();
        std::fs::write(r.join("node_modules/a/y.js"), "1").unwrap();
        std::fs::create_dir_all(r.join("src")).unwrap();
        std::fs::write(r.join("src/app.py"), "print()").unwrap();
        let cx = Context::walk(r);
        let paths: Vec<&str> = cx.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["node_modules", "src", "src/app.py"]);
        assert_eq!(cx.entries[0].files, 2);
        assert_eq!(
            cx.total(),
            Size {
                files: 3,
                bytes: 13
            }
        );
        assert!(cx.exists("node_modules/a/y.js"));
        assert!(cx.exists("src/app.py"));
        assert!(!cx.exists("src/other.py"));
        let m = Matcher::parse("node_modules\n");
        let (all, per) = cx.excluded_by(&m);
        assert_eq!(all, Size { files: 2, bytes: 6 });
        assert_eq!(per[&0], all);
    }
}
