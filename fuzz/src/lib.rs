//! Shared oracle for the fuzz targets: runs the whole fix pipeline (every pass, unsafe ones included)
//! and panics on anything that is a bug, so libFuzzer records it as a crash:
//!
//! - a panic anywhere in the engine or the passes (nothing here catches it);
//! - an internal-error outcome (`FixError::Internal`) or a fix the engine had to drop because its output
//!   did not parse (an "internal error, fix dropped" skip);
//! - an accepted input whose output does not decode and re-parse;
//! - output bytes outside the reported edits differ from the input (the applied edits, replayed round
//!   by round over the input, must give exactly the output);
//! - a comment line or heredoc body of the input missing from the output;
//! - a second run over the output changes it (idempotence).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use dockopt::engine::{self, FixError, Outcome};
use dockopt::fix::Edit;
use dockopt::model::{CopySource, Detail, Document};
use dockopt::passes::{self, PassContext};
use dockopt::text;

pub mod structured;

/// Options for one run of the pipeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub base_alpine: bool,
    pub cache_mounts: bool,
    /// Run with a build context: an empty directory created once per process.
    pub context: bool,
}

/// An empty build context directory, created once and shared by every execution.
static EMPTY_CONTEXT: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("dockopt-fuzz-context-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the empty context directory");
    dir
});

fn run(bytes: &[u8], opts: Options) -> Result<Outcome, FixError> {
    let context: Option<&Path> = opts.context.then(|| EMPTY_CONTEXT.as_path());
    let dockerfile = context.map(|c| c.join("Dockerfile"));
    let cx = PassContext {
        dockerfile: dockerfile.as_deref(),
        context_dir: context,
        unsafe_fixes: true,
        base_alpine: opts.base_alpine,
        cache_mounts: opts.cache_mounts,
        config: None,
        side_files_emitted: true,
        pending_ignore: None,
    };
    engine::run(bytes, passes::ALL, &cx)
}

/// Runs the pipeline on `bytes` and checks every property listed in the module doc.
pub fn check(bytes: &[u8], opts: Options) {
    let out = match run(bytes, opts) {
        Ok(o) => o,
        Err(FixError::Internal(m)) => panic!("internal error on the input: {m}"),
        // Rejected input (binary, not UTF-8, does not parse): fine, as long as nothing panicked.
        Err(_) => return,
    };
    for s in &out.skipped {
        assert!(
            !s.reason.starts_with("internal error"),
            "[{}] {}:{}: {}",
            s.pass,
            s.line,
            s.col,
            s.reason
        );
    }
    let (in_bom, input) = text::decode(bytes).expect("accepted input decodes");
    let (out_bom, output) = text::decode(out.output.as_bytes()).expect("output decodes");
    assert_eq!(in_bom, out_bom, "the BOM was added or lost");
    let before = Document::parse(input).expect("accepted input parses");
    let after = Document::parse(output).unwrap_or_else(|e| {
        panic!(
            "output does not re-parse: {}:{}: {}",
            e.line, e.col, e.message
        )
    });
    if !out.changed {
        assert_eq!(
            out.output.as_bytes(),
            bytes,
            "unchanged output differs from input"
        );
    }
    assert_eq!(out.changed, input != output, "`changed` is wrong");

    // Every byte outside the reported edits is unchanged: replaying the edits gives the output.
    let mut rounds: BTreeMap<usize, Vec<&Edit>> = BTreeMap::new();
    for a in &out.applied {
        rounds.entry(a.round).or_default().extend(a.edits.iter());
    }
    let mut replay = input.to_string();
    for edits in rounds.values() {
        for e in edits {
            assert!(
                e.range.end <= replay.len()
                    && replay.is_char_boundary(e.range.start)
                    && replay.is_char_boundary(e.range.end),
                "reported edit {e:?} is outside its round's text"
            );
        }
        replay = engine::apply_edits(&replay, edits);
    }
    assert!(
        replay == output,
        "replaying the reported edits does not give the output\n--- replay ---\n{replay}\n--- output ---\n{output}"
    );

    // Comment lines and heredoc bodies survive (an independent recount of the engine's own check).
    let after_comments = comment_lines(&after);
    for (line, n) in comment_lines(&before) {
        assert!(
            after_comments.get(line).copied().unwrap_or(0) >= n,
            "comment line lost: {line:?}"
        );
    }
    let after_bodies = heredoc_bodies(&after);
    for (body, n) in heredoc_bodies(&before) {
        assert!(
            after_bodies.get(body).copied().unwrap_or(0) >= n,
            "heredoc body lost or changed: {body:?}"
        );
    }

    // Idempotence: fixing the output changes nothing.
    match run(out.output.as_bytes(), opts) {
        Ok(again) => assert!(
            !again.changed,
            "not idempotent\n--- first output ---\n{}\n--- second output ---\n{}",
            out.output, again.output
        ),
        Err(e) => panic!("the output is rejected on a second run: {e}"),
    }
}

fn comment_lines(d: &Document) -> HashMap<&str, usize> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for l in text::line_ranges(&d.text) {
        let t = d.text[l].trim();
        if t.starts_with('#') {
            *m.entry(t).or_default() += 1;
        }
    }
    m
}

fn heredoc_bodies(d: &Document) -> HashMap<&str, usize> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for i in &d.instructions {
        let bodies: Vec<_> = match &i.detail {
            Detail::Run { heredocs, .. } => heredocs.iter().map(|h| h.body.clone()).collect(),
            Detail::Copy { sources, .. } => sources
                .iter()
                .filter_map(|s| match s {
                    CopySource::HereDoc(h) => Some(h.body.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        for b in bodies {
            *m.entry(&d.text[b]).or_default() += 1;
        }
    }
    m
}
