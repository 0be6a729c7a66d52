//! The pass's data: `transforms/dockerignore.yaml`, loaded once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Table {
    pub sections: Vec<Section>,
    pub ecosystems: BTreeMap<String, Vec<String>>,
    pub entries: Vec<EntrySpec>,
    pub git_readers: Vec<GitReader>,
    /// Files whose content shows the application loads `.env` at run time (`when_run` unused).
    pub env_loaders: Vec<GitReader>,
    pub git_harmless: Vec<String>,
    pub env_readers: EnvReaders,
    pub node_installers: BTreeMap<String, Vec<String>>,
    pub node_runners: Vec<String>,
    pub not_paths: Vec<String>,
    pub project_installers: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct EntrySpec {
    pub pattern: String,
    pub section: String,
    #[serde(default)]
    pub predictable: Vec<String>,
    #[serde(default)]
    pub only_with: Vec<String>,
    #[serde(default)]
    pub requires_child: Option<String>,
    #[serde(default)]
    pub whole_copy: bool,
    #[serde(default)]
    pub always: bool,
    #[serde(default)]
    pub group: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GitReader {
    pub file: String,
    pub contains: Vec<String>,
    #[serde(default)]
    pub when_run: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EnvReaders {
    pub commands: Vec<String>,
    pub subcommands: BTreeMap<String, Vec<String>>,
    pub python_tools: Vec<String>,
}

pub static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!("../../../transforms/dockerignore.yaml"))
        .expect("transforms/dockerignore.yaml is valid (checked by a unit test)")
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerignore_match::Pattern;

    #[test]
    fn table_parses_and_is_consistent() {
        let t = &*TABLE;
        assert!(!t.entries.is_empty());
        for e in &t.entries {
            assert!(
                t.sections.iter().any(|s| s.id == e.section),
                "{} names an unknown section",
                e.pattern
            );
            assert!(Pattern::new(&e.pattern).is_ok(), "{}", e.pattern);
            for eco in e.predictable.iter().chain(&e.only_with) {
                assert!(t.ecosystems.contains_key(eco), "unknown ecosystem {eco}");
            }
        }
        for pats in t.ecosystems.values() {
            for p in pats {
                let clean = crate::dockerignore_match::go_clean(p);
                assert!(Pattern::new(&clean).is_ok(), "{p}");
            }
        }
    }
}
