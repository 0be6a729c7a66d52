//! `.dockopt.yaml` / `.dockopt.yml`: project configuration, found by walking up from each Dockerfile's
//! directory, or given with `--config FILE`. Command-line flags win over the file.
//!
//! ```yaml
//! only: [pip-no-cache, slim-base]   # passes to run (default: every default pass)
//! skip: [dockerignore]              # passes not to run
//! unsafe: false                     # also apply unsafe fixes
//! base: slim                        # slim (default) or alpine
//! cache_mounts: false               # offer RUN --mount=type=cache on BuildKit files
//! base_images: []                   # extra base-image mappings, same schema as transforms/base-images.yaml
//! dockerignore: [".cache/", "**/*.sqlite3"]  # extra .dockerignore entries
//! exclude: ["vendor/**", "legacy/Dockerfile"]  # paths (globs, relative to this file) never walked
//! ```
//!
//! An unknown key is an error that names the key and the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

pub const FILE_NAMES: &[&str] = &[".dockopt.yaml", ".dockopt.yml"];

/// The contents of a config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub only: Vec<String>,
    #[serde(default)]
    pub skip: Vec<String>,
    #[serde(default, rename = "unsafe")]
    pub unsafe_fixes: bool,
    #[serde(default)]
    pub base: Option<BaseVariant>,
    #[serde(default)]
    pub cache_mounts: bool,
    /// Extra base-image mappings, in the schema of `transforms/base-images.yaml` (read by slim-base).
    #[serde(default)]
    pub base_images: Vec<serde_yaml_ng::Value>,
    /// Extra `.dockerignore` entries (read by the dockerignore pass).
    #[serde(default)]
    pub dockerignore: Vec<String>,
    /// Globs, relative to the config file's directory, of paths never walked.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Where the file was read from (not a key).
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseVariant {
    Slim,
    Alpine,
}

impl Config {
    /// Reads and validates a config file. Errors read `PATH: error: ...`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: error: {}", path.display(), crate::walk::io_reason(&e)))?;
        let mut cfg: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| {
                let msg = e.to_string();
                let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                let msg = msg.replace("unknown field", "unknown key");
                format!("{}:{line}:{col}: error: {msg}", path.display())
            })?
        };
        for name in cfg.only.iter().chain(&cfg.skip) {
            if crate::passes::by_name(name).is_none() {
                return Err(format!(
                    "{}: error: unknown pass `{name}` in only/skip",
                    path.display()
                ));
            }
        }
        for g in &cfg.exclude {
            globset::Glob::new(g).map_err(|e| {
                format!("{}: error: bad exclude pattern `{g}`: {e}", path.display())
            })?;
        }
        cfg.path = path.to_path_buf();
        Ok(cfg)
    }

    /// Whether `file` is excluded by this config's `exclude` globs.
    pub fn excludes(&self, file: &Path) -> bool {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let rel = pathdiff(file, base);
        let mut b = globset::GlobSetBuilder::new();
        for g in &self.exclude {
            if let Ok(g) = globset::GlobBuilder::new(g)
                .literal_separator(false)
                .build()
            {
                b.add(g);
            }
        }
        let set = b.build().unwrap_or_else(|_| globset::GlobSet::empty());
        // A pattern matching a directory excludes what is below it.
        rel.ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| set.is_match(a))
    }
}

fn pathdiff(file: &Path, base: &Path) -> PathBuf {
    let f = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let b = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    f.strip_prefix(&b).map(Path::to_path_buf).unwrap_or(f)
}

/// Finds the config for each Dockerfile, caching per directory.
#[derive(Default)]
pub struct Finder {
    explicit: Option<Config>,
    cache: Mutex<HashMap<PathBuf, Option<Result<Config, String>>>>,
}

impl Finder {
    pub fn new(explicit: Option<Config>) -> Finder {
        Finder {
            explicit,
            cache: Mutex::default(),
        }
    }

    /// The config that governs `dockerfile`: `--config`, else the nearest `.dockopt.yaml` above it.
    pub fn for_file(&self, dockerfile: &Path) -> Option<Result<Config, String>> {
        if let Some(c) = &self.explicit {
            return Some(Ok(c.clone()));
        }
        let abs = std::fs::canonicalize(dockerfile).ok()?;
        let mut dir = abs.parent();
        while let Some(d) = dir {
            if let Some(hit) = self.lookup(d) {
                return Some(hit);
            }
            dir = d.parent();
        }
        None
    }

    fn lookup(&self, dir: &Path) -> Option<Result<Config, String>> {
        if let Some(v) = self.cache.lock().ok()?.get(dir) {
            return v.clone();
        }
        let found = FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
            .map(|p| Config::load(&p));
        if let Ok(mut c) = self.cache.lock() {
            c.insert(dir.to_path_buf(), found.clone());
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_key_and_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".dockopt.yaml");
        std::fs::write(&p, "skip: [pip-no-cache]\nfrobnicate: true\n").unwrap();
        let e = Config::load(&p).unwrap_err();
        assert!(
            e.contains(".dockopt.yaml:2:1: error: unknown key `frobnicate`"),
            "{e}"
        );
    }

    #[test]
    fn finds_nearest_config_upwards() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::write(d.path().join(".dockopt.yml"), "unsafe: true\n").unwrap();
        std::fs::write(d.path().join("a/b/Dockerfile"), "FROM x\n").unwrap();
        let f = Finder::new(None);
        let c = f
            .for_file(&d.path().join("a/b/Dockerfile"))
            .unwrap()
            .unwrap();
        assert!(c.unsafe_fixes);
        assert!(!c.excludes(&d.path().join("a/b/Dockerfile")));
    }

    #[test]
    fn exclude_globs_are_relative_to_the_config() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("vendor/x")).unwrap();
        std::fs::write(d.path().join("vendor/x/Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(d.path().join(".dockopt.yaml"), "exclude: [vendor]\n").unwrap();
        let c = Config::load(&d.path().join(".dockopt.yaml")).unwrap();
        assert!(c.excludes(&d.path().join("vendor/x/Dockerfile")));
        assert!(!c.excludes(&d.path().join("Dockerfile")));
    }
}
