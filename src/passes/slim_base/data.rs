//! `transforms/slim-lacks.yaml`: what full images have and their variants lack, the commands known to
//! be the same on both, the commands that build native code, and the pip package tables. The schema is
//! documented at the top of the YAML file.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

pub const LACKS_YAML: &str = include_str!("../../../transforms/slim-lacks.yaml");

pub static LACKS: LazyLock<Lacks> = LazyLock::new(|| {
    serde_yaml_ng::from_str(LACKS_YAML).expect("transforms/slim-lacks.yaml is valid")
});

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lacks {
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub package_mb: BTreeMap<String, u32>,
    pub compilers: Vec<String>,
    pub safe: Vec<String>,
    pub builders: Vec<Builder>,
    pub pip: Pip,
    pub alpine: Alpine,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub libraries: bool,
    #[serde(default)]
    pub commands: BTreeMap<String, Action>,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// What to do when a stage runs a command the variant lacks.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub add: Option<Vec<String>>,
    #[serde(default)]
    pub compile: bool,
    pub refuse: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BuilderClass {
    Likely,
    Possible,
    AlpineOnly,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Builder {
    pub command: String,
    pub subcommands: Option<Vec<String>>,
    pub class: BuilderClass,
    #[serde(default)]
    pub unless_env: BTreeMap<String, String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pip {
    pub pure: Vec<String>,
    pub wheels: Vec<String>,
    pub build: BTreeMap<String, Vec<String>>,
    pub refuse: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alpine {
    pub missing: BTreeMap<String, String>,
    pub locale_commands: Vec<String>,
}

impl Lacks {
    pub fn is_safe(&self, cmd: &str) -> bool {
        self.safe.iter().any(|s| s == cmd)
    }

    pub fn package_mb(&self, pkg: &str) -> u32 {
        self.package_mb.get(pkg).copied().unwrap_or(5)
    }

    /// The builder entry for a command and its subcommand, if it is one.
    pub fn builder(&self, cmd: &str, sub: &str) -> Option<(usize, &Builder)> {
        self.builders.iter().enumerate().find(|(_, b)| {
            b.command == cmd
                && b.subcommands
                    .as_ref()
                    .is_none_or(|subs| subs.iter().any(|s| s == sub))
        })
    }
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_pip(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_consistent() {
        let l: Lacks = serde_yaml_ng::from_str(LACKS_YAML).unwrap();
        assert!(l.profiles.contains_key("buildpack-deps"));
        for (name, p) in &l.profiles {
            for (cmd, a) in &p.commands {
                let n = a.add.is_some() as u8 + a.compile as u8 + a.refuse.is_some() as u8;
                assert_eq!(n, 1, "{name}/{cmd}: exactly one of add, compile, refuse");
                assert!(!l.is_safe(cmd), "{cmd} is both safe and lacking");
            }
        }
        for pkg in l.pip.pure.iter().chain(&l.pip.wheels) {
            assert_eq!(&normalize_pip(pkg), pkg, "pip names are normalised");
            assert!(!l.pip.build.contains_key(pkg) && !l.pip.refuse.contains_key(pkg));
        }
        for b in &l.builders {
            // A builder may also be safe for its other subcommands (`cargo --version`).
            assert!(
                b.subcommands.is_some() || !l.is_safe(&b.command),
                "{}",
                b.command
            );
        }
        // Every profile named by base-images.yaml exists.
        let images: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(crate::images::TABLE_YAML).unwrap();
        for img in images["images"].as_sequence().unwrap() {
            for p in img["lacks"].as_sequence().unwrap() {
                assert!(l.profiles.contains_key(p.as_str().unwrap()), "{p:?}");
            }
        }
    }

    #[test]
    fn pep503() {
        assert_eq!(
            normalize_pip("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_pip("ruamel.yaml.clib"), "ruamel-yaml-clib");
    }
}
