//! `transforms/multi-stage.yaml`: build-only packages, `-dev` -> runtime library packages, replayable
//! commands and the per-language runtime rules. The schema is documented at the top of the YAML file.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

pub const YAML: &str = include_str!("../../../transforms/multi-stage.yaml");

pub static DATA: LazyLock<Data> =
    LazyLock::new(|| serde_yaml_ng::from_str(YAML).expect("transforms/multi-stage.yaml is valid"));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    pub venv: String,
    pub build_only: Vec<String>,
    pub dev_runtime: BTreeMap<String, Vec<String>>,
    pub replay: Vec<String>,
    pub builder_only: Vec<String>,
    pub python_replay: Vec<String>,
    pub go: Go,
    pub java: Java,
    pub rust: Rust,
    pub build_inputs: BTreeMap<String, Vec<String>>,
    pub node: Node,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Java {
    pub runtime: String,
    pub images: Vec<JavaImage>,
    pub build_tools: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JavaImage {
    pub image: String,
    pub tag: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rust {
    pub runtime: String,
    pub suites: BTreeMap<String, String>,
    pub cargo_bin: String,
    pub sys_crates: BTreeMap<String, Vec<String>>,
    pub pure_sys: Vec<String>,
    pub copy_from_builder: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Go {
    pub runtime: String,
    /// The images `runtime` may be switched to (checked by a unit test).
    #[allow(dead_code)]
    pub runtime_options: Vec<String>,
    pub suites: BTreeMap<String, String>,
    pub cgo_modules: Vec<String>,
    pub copy_from_builder: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub prune: String,
    pub prune_legacy: String,
    pub legacy_below: u32,
    pub installers: Vec<String>,
}

impl Data {
    /// Whether a file name is a build input of `lang` (`go`, `java`, `rust`).
    pub fn is_build_input(&self, lang: &str, path: &str) -> bool {
        let name = path.trim_end_matches('/');
        let name = name.rsplit('/').next().unwrap_or(name);
        self.build_inputs.get(lang).is_some_and(|l| {
            l.iter().any(|p| match p.strip_prefix('*') {
                Some(ext) => name.ends_with(ext) && !name.contains('*') && name.len() > ext.len(),
                None => p == name,
            })
        })
    }

    pub fn is_build_only(&self, pkg: &str) -> bool {
        self.build_only.iter().any(|p| p == pkg)
            || (pkg.starts_with("gcc-") || pkg.starts_with("g++-") || pkg.starts_with("clang-"))
            || (pkg.starts_with("python3.") && pkg.ends_with("-dev"))
    }

    pub fn is_replay(&self, cmd: &str) -> bool {
        self.replay.iter().any(|c| c == cmd)
    }

    pub fn is_builder_only(&self, cmd: &str, sub: &str) -> bool {
        self.builder_only
            .iter()
            .any(|c| c.split_once(' ') == Some((cmd, sub)))
    }
}
