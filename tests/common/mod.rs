//! Shared helpers for integration tests: run the engine on text or on a fixture directory, and
//! snapshot input, output, diff and report together with insta (snapshots live in `snapshots/`).
#![allow(dead_code)]

use std::path::Path;

use dockopt::engine::{self, FixError, Outcome};
use dockopt::output::unified_diff;
use dockopt::passes::{self, PassContext};

/// Options for a test run.
#[derive(Default, Clone)]
pub struct Opts<'a> {
    pub only: &'a [&'a str],
    pub unsafe_fixes: bool,
    pub base_alpine: bool,
    pub cache_mounts: bool,
    /// Build context directory (for passes that read it).
    pub context: Option<&'a Path>,
}

pub fn run(input: &str, opts: &Opts) -> Result<Outcome, FixError> {
    run_bytes(input.as_bytes(), opts)
}

pub fn run_bytes(input: &[u8], opts: &Opts) -> Result<Outcome, FixError> {
    let only: Vec<String> = opts.only.iter().map(|s| s.to_string()).collect();
    let selected = passes::select(&only, &[]).expect("known passes");
    let dockerfile = opts.context.map(|c| c.join("Dockerfile"));
    let cx = PassContext {
        dockerfile: dockerfile.as_deref(),
        context_dir: opts.context,
        unsafe_fixes: opts.unsafe_fixes,
        base_alpine: opts.base_alpine,
        cache_mounts: opts.cache_mounts,
        ..Default::default()
    };
    engine::run(input, &selected, &cx)
}

/// Runs the passes, checks idempotence (a second run changes nothing), and renders a report.
pub fn report(input: &str, opts: &Opts) -> String {
    let out = run(input, opts).unwrap_or_else(|e| panic!("fix failed: {e}"));
    let again = run(&out.output, opts).expect("own output parses");
    assert_eq!(again.output, out.output, "not idempotent");
    render(input, &out)
}

pub fn render(input: &str, out: &Outcome) -> String {
    let mut s = String::new();
    s.push_str("---- input ----\n");
    s.push_str(input);
    s.push_str("\n---- output ----\n");
    s.push_str(&out.output);
    s.push_str("\n---- diff ----\n");
    s.push_str(&unified_diff(Some(input), &out.output, "Dockerfile"));
    for side in &out.side_files {
        s.push_str(&format!(
            "---- side file {} ----\n",
            side.path.file_name().unwrap().to_string_lossy()
        ));
        s.push_str(&unified_diff(
            side.old.as_deref(),
            &side.new,
            &side.path.file_name().unwrap().to_string_lossy(),
        ));
    }
    s.push_str("---- report ----\n");
    for a in &out.applied {
        s.push_str(&format!(
            "{}:{} [{}] {} ({:?})\n",
            a.line, a.col, a.pass, a.message, a.applicability
        ));
    }
    for k in &out.skipped {
        s.push_str(&format!(
            "{}:{} [{}] skipped: {}\n",
            k.line, k.col, k.pass, k.reason
        ));
    }
    for side in &out.side_files {
        s.push_str(&format!("[{}] {}\n", side.pass, side.message));
    }
    for n in &out.notes {
        s.push_str(&format!("[{}] note: {}\n", n.pass, n.message));
    }
    s
}

/// Snapshot a case into `snapshots/<name>.snap`.
#[macro_export]
macro_rules! snap {
    ($name:expr, $content:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $content);
        });
    };
}
