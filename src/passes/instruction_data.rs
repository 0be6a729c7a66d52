//! Data for the instruction hygiene passes (not a pass itself): which ADD flags and sources COPY can
//! take over, how archives are recognised, and which shell commands exec form cannot run. Loaded once from `transforms/instructions.yaml`.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Table {
    pub add_to_copy: AddToCopy,
    pub exec_form: ExecForm,
}

#[derive(Debug, Deserialize)]
pub struct ExecForm {
    pub shell_builtins: Vec<String>,
    pub special_chars: Vec<String>,
    pub windows_images: Vec<String>,
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
        let e = &TABLE.exec_form;
        assert!(e.shell_builtins.contains(&"cd".to_string()));
        assert!(e.special_chars.iter().all(|c| c.chars().count() == 1));
    }
}
