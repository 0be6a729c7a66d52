//! Data for the instruction hygiene passes (not a pass itself): which ADD flags and sources COPY can
//! take over, and how archives are recognised. Loaded once from `transforms/instructions.yaml`.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Table {
    pub add_to_copy: AddToCopy,
}

#[derive(Debug, Deserialize)]
pub struct AddToCopy {
    pub copy_compatible_flags: Vec<String>,
    pub url_markers: Vec<String>,
    pub archive_extensions: Vec<String>,
    pub plain_extensions: Vec<String>,
    pub archive_magic: Vec<String>,
}

pub static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!("../../transforms/instructions.yaml"))
        .expect("transforms/instructions.yaml is valid (checked by a unit test)")
});

/// Whether `name` ends with one of `extensions` (case-insensitive).
pub fn has_extension(name: &str, extensions: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    extensions
        .iter()
        .any(|e| lower.ends_with(&e.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        let t = &TABLE.add_to_copy;
        assert!(t.copy_compatible_flags.contains(&"chown".to_string()));
        assert!(has_extension("rootfs.TAR.GZ", &t.archive_extensions));
        assert!(has_extension("app.jar", &t.plain_extensions));
        assert!(!has_extension("app", &t.plain_extensions));
        assert!(t.archive_magic.iter().all(|m| m.len() % 2 == 0));
    }
}
