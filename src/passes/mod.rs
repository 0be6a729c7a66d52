//! The passes. Each pass lives in its own file named after it, opens with its user documentation
//! (what it does, why, an example, when it refuses, fix safety), and is registered in [`ALL`].
//! `dockopt passes` lists them and `dockopt explain PASS` prints a pass's documentation.

use std::path::Path;

use crate::fix::Findings;
use crate::model::Document;

pub mod add_to_copy;
pub mod apk_no_cache;
pub mod apt_hygiene;
pub mod cache_mounts;
pub mod context_files;
pub mod deps_first;
pub mod dockerignore;
pub mod drop_overridden;
pub mod exec_form;
pub mod gem_no_document;
pub mod hygiene;
pub mod instruction_data;
pub mod maintainer_to_label;
pub mod multi_stage;
pub mod npm_cache_clean;
pub mod package_managers;
pub mod pip_no_cache;
pub mod rpm_hygiene;
pub mod slim_base;
pub mod useradd_no_log_init;

/// What a pass is, for `dockopt passes` and `dockopt explain`.
#[derive(Debug)]
pub struct PassInfo {
    /// The pass name used by `--only`, `--skip` and in reports (`pip-no-cache`).
    pub name: &'static str,
    /// One line: what it does.
    pub summary: &'static str,
    /// The full documentation (Markdown): What it does, Why, Example, When it refuses, Fix safety.
    pub doc: &'static str,
    /// Whether the pass runs when no `--only` is given.
    pub default_enabled: bool,
    /// hadolint rule codes this pass fixes.
    pub hadolint: &'static [&'static str],
}

/// Options that passes read.
#[derive(Debug, Clone, Default)]
pub struct PassContext<'a> {
    /// The Dockerfile's path (`None` for standard input).
    pub dockerfile: Option<&'a Path>,
    /// The build context directory (`None` when unknown, such as standard input without `--context`).
    pub context_dir: Option<&'a Path>,
    /// Apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// `--base alpine` was given.
    pub base_alpine: bool,
    /// `--cache-mounts` was given.
    pub cache_mounts: bool,
    /// The `.dockopt.yaml` that governs this file, if any (extra base images, .dockerignore entries).
    pub config: Option<&'a crate::config::Config>,
    /// The caller writes or shows side files (not so with `--stdout` or standard input).
    pub side_files_emitted: bool,
    /// A `.dockerignore` (path, text) that the dockerignore pass proposes in this same run. Passes
    /// other than dockerignore read it instead of the file on disk, so that one run reaches the state
    /// a second run would (the engine sets it; see `engine::run`).
    pub pending_ignore: Option<(std::path::PathBuf, String)>,
}

/// A rewrite pass.
pub trait Pass: Sync + Send {
    fn info(&self) -> &'static PassInfo;
    /// Looks at `doc` and records fixes, skips, side files and notes in `out`.
    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings);
}

/// Every pass, in the order the engine runs them. Structural passes come first so that their fixes
/// win conflicts; the engine re-runs everything on the result until nothing changes.
pub static ALL: &[&dyn Pass] = &[
    // Structural: splits a single-stage build; must come before slim-base.
    &multi_stage::MultiStage,
    &deps_first::DepsFirst,
    &slim_base::SlimBase,
    &pip_no_cache::PipNoCache,
    &apt_hygiene::AptHygiene,
    &apk_no_cache::ApkNoCache,
    &rpm_hygiene::RpmHygiene,
    &gem_no_document::GemNoDocument,
    &useradd_no_log_init::UseraddNoLogInit,
    &add_to_copy::AddToCopy,
    &maintainer_to_label::MaintainerToLabel,
    &drop_overridden::DropOverridden,
    &exec_form::ExecForm,
    &npm_cache_clean::NpmCacheClean,
    &cache_mounts::CacheMounts,
    // Only produces a side file, so it goes last.
    &dockerignore::Dockerignore,
];

/// Looks a pass up by name.
pub fn by_name(name: &str) -> Option<&'static dyn Pass> {
    ALL.iter().copied().find(|p| p.info().name == name)
}

/// The passes to run for `--only` / `--skip`. Unknown names are an error naming the pass.
pub fn select(only: &[String], skip: &[String]) -> Result<Vec<&'static dyn Pass>, String> {
    for name in only.iter().chain(skip) {
        if by_name(name).is_none() {
            let known: Vec<_> = ALL.iter().map(|p| p.info().name).collect();
            return Err(format!(
                "unknown pass `{name}` (known passes: {})",
                known.join(", ")
            ));
        }
    }
    Ok(ALL
        .iter()
        .copied()
        .filter(|p| {
            let name = p.info().name;
            let wanted = if only.is_empty() {
                p.info().default_enabled
            } else {
                only.iter().any(|o| o == name)
            };
            wanted && !skip.iter().any(|s| s == name)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pass_doc_has_the_required_sections() {
        for p in ALL {
            let doc = p.info().doc;
            for section in [
                "## What it does",
                "## Why",
                "## Example",
                "## When it refuses",
                "## Fix safety",
            ] {
                assert!(doc.contains(section), "{} lacks {section}", p.info().name);
            }
        }
    }

    #[test]
    fn select_rejects_unknown_names() {
        assert!(select(&["nope".into()], &[]).is_err());
        let rest = select(&[], &["pip-no-cache".into()]).unwrap();
        assert!(rest.iter().all(|p| p.info().name != "pip-no-cache"));
        let only = select(&["pip-no-cache".into()], &[]).unwrap();
        assert_eq!(only.len(), 1);
    }
}
