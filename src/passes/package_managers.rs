//! Package-manager data for the hygiene passes (not a pass itself): which programs, which flags, which
//! cache directories. Loaded once from `transforms/package-managers.yaml`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The whole table.
#[derive(Debug, Deserialize)]
pub struct Table {
    pub apt: Apt,
    pub apk: Apk,
    pub rpm: BTreeMap<String, Rpm>,
    pub gem: Gem,
    pub npm: NodeCache,
    pub yarn: NodeCache,
    pub cache_mounts: BTreeMap<String, MountTool>,
}

/// A tool the cache-mounts pass mounts caches for.
#[derive(Debug, Deserialize)]
pub struct MountTool {
    pub programs: Vec<String>,
    pub subcommands: Vec<String>,
    pub caches: Vec<CacheDir>,
    #[serde(default)]
    pub sharing: Option<String>,
    pub off_env: Vec<String>,
    pub off_flags: Vec<String>,
    pub offline_flags: Vec<String>,
    /// Parts of a cache mount target that show the author mounts this tool's cache themselves.
    pub markers: Vec<String>,
}

/// Where one cache lives: the first of `env`, `images`, `default` that applies.
#[derive(Debug, Deserialize)]
pub struct CacheDir {
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub images: BTreeMap<String, String>,
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Apt {
    pub programs: Vec<String>,
    pub options_with_value: Vec<String>,
    pub yes_flags: Vec<String>,
    pub yes_letters: Vec<char>,
    pub yes_subcommands: Vec<String>,
    pub recommends_subcommands: Vec<String>,
    pub no_recommends_flags: Vec<String>,
    pub no_recommends_options: Vec<String>,
    pub install_subcommands: Vec<String>,
    pub lists_dir: String,
    pub clean: String,
    pub list_readers: Vec<String>,
    pub cache_dirs: Vec<String>,
    pub apt_to_apt_get: BTreeMap<String, AptSpelling>,
    pub apt_left_alone: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct AptSpelling {
    pub program: String,
    pub subcommand: String,
    pub downloads: bool,
}

#[derive(Debug, Deserialize)]
pub struct Apk {
    pub programs: Vec<String>,
    pub options_with_value: Vec<String>,
    pub cache_flag: String,
    pub add_subcommands: Vec<String>,
    pub no_index_subcommands: Vec<String>,
    pub cache_dirs: Vec<String>,
    pub cache_rm_paths: Vec<String>,
}

/// One of yum, dnf, microdnf, zypper.
#[derive(Debug, Deserialize)]
pub struct Rpm {
    pub family: String,
    pub programs: Vec<String>,
    pub options_with_value: Vec<String>,
    pub yes_flags: Vec<String>,
    pub yes_letters: Vec<char>,
    pub refuse_flags: Vec<String>,
    pub yes_subcommands: Vec<String>,
    pub cache_subcommands: Vec<String>,
    pub clean_args: String,
    #[serde(default)]
    pub clean_args_if_used_later: Option<String>,
    pub clean_calls: Vec<String>,
    /// `clean` only counts with `all` (yum, dnf) rather than with any argument (zypper).
    pub clean_needs_all: bool,
    pub refresh_subcommands: Vec<String>,
    pub cacheonly_flags: Vec<String>,
    pub custom_cache_options: Vec<String>,
    pub cache_dirs: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Gem {
    pub programs: Vec<String>,
    pub doc_subcommands: Vec<String>,
    pub doc_flags: Vec<String>,
    pub doc_letters: Vec<char>,
    pub flag: String,
    pub old_rubygems_images: Vec<String>,
    pub old_ruby_mentions: Vec<String>,
    pub gemrc_markers: Vec<String>,
}

/// npm or yarn: how installs fill the cache and how it is cleaned.
#[derive(Debug, Deserialize)]
pub struct NodeCache {
    pub programs: Vec<String>,
    pub options_with_value: Vec<String>,
    pub install_subcommands: Vec<String>,
    pub clean: String,
    pub clean_subcommand: String,
    pub clean_words: Vec<String>,
    pub cache_path_markers: Vec<String>,
    pub offline_flags: Vec<String>,
    pub cache_flags: Vec<String>,
    pub cache_env: Vec<String>,
    pub cache_dirs: Vec<String>,
    pub cache_dir_suffixes: Vec<String>,
    #[serde(default)]
    pub berry_files: Vec<String>,
    #[serde(default)]
    pub berry_text: Vec<String>,
}

pub static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!("../../transforms/package-managers.yaml"))
        .expect("transforms/package-managers.yaml is valid (checked by a unit test)")
});

/// `Vec<String>` as `Vec<&str>`, for the recognisers.
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Whether `v` is one of `list`.
pub fn contains(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        let t = &*TABLE;
        assert!(t.apt.programs.contains(&"apt-get".to_string()));
        assert_eq!(
            t.apt.apt_to_apt_get["full-upgrade"].subcommand,
            "dist-upgrade"
        );
        assert!(t.apt.apt_left_alone.contains_key("upgrade"));
        assert_eq!(t.apk.cache_flag, "--no-cache");
        assert_eq!(
            t.rpm.keys().collect::<Vec<_>>(),
            ["dnf", "microdnf", "yum", "zypper"]
        );
        assert!(t.rpm["microdnf"].yes_subcommands.is_empty());
        assert_eq!(
            t.rpm["zypper"].clean_args_if_used_later.as_deref(),
            Some("clean")
        );
        assert!(t.rpm["dnf"].clean_needs_all && !t.rpm["zypper"].clean_needs_all);
        assert_eq!(t.gem.flag, "--no-document");
        assert_eq!(t.npm.clean, "npm cache clean --force");
        assert!(t.npm.berry_files.is_empty() && !t.yarn.berry_files.is_empty());
        assert_eq!(
            t.cache_mounts.keys().collect::<Vec<_>>(),
            ["apt", "cargo", "go", "npm", "pip"]
        );
        assert_eq!(t.cache_mounts["apt"].sharing.as_deref(), Some("locked"));
        assert_eq!(
            t.cache_mounts["go"].caches[0].images["golang"],
            "/go/pkg/mod"
        );
    }
}
