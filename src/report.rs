//! Machine-readable reports: `--format json` (dockopt's own versioned schema), `--format sarif`
//! (SARIF 2.1.0 for GitHub code scanning) and `--format github` (workflow-command annotations).
//!
//! JSON schema, version 1 (documented in README.md):
//! ```text
//! { "version": 1, "tool": {"name", "version"},
//!   "files": [ { "path", "changed", "written",
//!                "applied":   [ {"pass", "line", "column", "message", "applicability"} ],
//!                "skipped":   [ {"pass", "line", "column", "reason"} ],
//!                "notes":     [ {"pass", "message", "saved_bytes"} ],
//!                "side_files":[ {"pass", "path", "created", "message"} ],
//!                "errors":    [ {"kind", "line", "column", "message"} ],
//!                "diff" } ],
//!   "errors": [ {"path", "kind", "message"} ],
//!   "summary": {"files", "changed", "unchanged", "errors", "fixes", "skipped", "saved_bytes"} }
//! ```

use serde_json::{Value, json};

use crate::engine::Outcome;
use crate::passes;
use crate::text::LineIndex;

pub const JSON_VERSION: u32 = 1;

/// What happened to one file, for every output format.
#[derive(Debug)]
pub struct FileResult {
    /// The path as found (used for writing).
    pub path: std::path::PathBuf,
    pub display: String,
    /// The input bytes (empty when the file could not be read).
    pub input: Vec<u8>,
    pub outcome: Option<Outcome>,
    pub error: Option<FileError>,
    /// The unified diff of the Dockerfile and its side files.
    pub diff: String,
    pub written: bool,
}

impl FileResult {
    pub fn changed(&self) -> bool {
        self.outcome.as_ref().is_some_and(|o| {
            o.changed
                || o.side_files
                    .iter()
                    .any(|s| s.old.as_deref() != Some(&s.new))
        })
    }
}

/// An error for one file.
#[derive(Debug, Clone)]
pub struct FileError {
    /// read, decode, parse, config, internal or write.
    pub kind: &'static str,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl FileError {
    /// `path:line:col: error: message` (or `path: error: message` without a position).
    pub fn render(&self, display: &str) -> String {
        match (self.line, self.col) {
            (Some(l), Some(c)) => format!("{display}:{l}:{c}: error: {}", self.message),
            _ => format!("{display}: error: {}", self.message),
        }
    }
}

/// An error about a path argument rather than a file (missing path, directory without Dockerfiles).
#[derive(Debug, Clone)]
pub struct PathError {
    pub display: String,
    pub kind: &'static str,
    pub message: String,
}

/// Totals over a run.
#[derive(Debug, Default)]
pub struct Totals {
    pub files: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub fixes: usize,
    pub skipped: usize,
    pub saved_bytes: u64,
}

pub fn totals(results: &[FileResult], path_errors: &[PathError]) -> Totals {
    let mut t = Totals {
        files: results.len(),
        errors: path_errors.len(),
        ..Totals::default()
    };
    for r in results {
        if r.error.is_some() {
            t.errors += 1;
        } else if r.changed() {
            t.changed += 1;
        } else {
            t.unchanged += 1;
        }
        if let Some(o) = &r.outcome {
            t.fixes += o.applied.len()
                + o.side_files
                    .iter()
                    .filter(|s| s.old.as_deref() != Some(&s.new))
                    .count();
            t.skipped += o.skipped.len();
            t.saved_bytes += o.notes.iter().filter_map(|n| n.saved_bytes).sum::<u64>();
        }
    }
    t
}

pub fn json(results: &[FileResult], path_errors: &[PathError]) -> Value {
    let files: Vec<Value> = results
        .iter()
        .map(|r| {
            let o = r.outcome.as_ref();
            json!({
                "path": r.display,
                "changed": r.changed(),
                "written": r.written,
                "applied": o.map(|o| o.applied.iter().map(|a| json!({
                    "pass": a.pass, "line": a.line, "column": a.col,
                    "message": a.message, "applicability": a.applicability,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "skipped": o.map(|o| o.skipped.iter().map(|s| json!({
                    "pass": s.pass, "line": s.line, "column": s.col, "reason": s.reason,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "notes": o.map(|o| o.notes.iter().map(|n| json!({
                    "pass": n.pass, "message": n.message, "saved_bytes": n.saved_bytes,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "side_files": o.map(|o| o.side_files.iter().map(|s| json!({
                    "pass": s.pass, "path": s.path.to_string_lossy(), "created": s.old.is_none(),
                    "message": s.message,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "errors": r.error.iter().map(|e| json!({
                    "kind": e.kind, "line": e.line, "column": e.col, "message": e.message,
                })).collect::<Vec<_>>(),
                "diff": r.diff,
            })
        })
        .collect();
    let t = totals(results, path_errors);
    json!({
        "version": JSON_VERSION,
        "tool": {"name": "dockopt", "version": env!("CARGO_PKG_VERSION")},
        "files": files,
        "errors": path_errors.iter().map(|e| json!({
            "path": e.display, "kind": e.kind, "message": e.message,
        })).collect::<Vec<_>>(),
        "summary": {
            "files": t.files, "changed": t.changed, "unchanged": t.unchanged, "errors": t.errors,
            "fixes": t.fixes, "skipped": t.skipped, "saved_bytes": t.saved_bytes,
        },
    })
}

/// The SARIF `rules` array: one rule per pass, from its documentation.
fn sarif_rules() -> Vec<Value> {
    passes::ALL
        .iter()
        .map(|p| {
            let i = p.info();
            json!({
                "id": i.name,
                "name": i.name,
                "shortDescription": {"text": i.summary},
                "fullDescription": {"text": i.summary},
                "help": {"text": i.doc, "markdown": i.doc},
                "properties": {"tags": i.hadolint},
            })
        })
        .collect()
}

pub fn sarif(results: &[FileResult], path_errors: &[PathError]) -> Value {
    let mut out = Vec::new();
    let mut notifications = Vec::new();
    for r in results {
        if let Some(e) = &r.error {
            notifications.push(json!({
                "level": "error",
                "message": {"text": e.render(&r.display)},
            }));
        }
        let Some(o) = &r.outcome else { continue };
        let text = crate::text::decode(&r.input).map(|(_, t)| t).unwrap_or("");
        let index = LineIndex::new(text);
        for a in &o.applied {
            let mut result = json!({
                "ruleId": a.pass,
                "level": "warning",
                "message": {"text": a.message},
                "locations": [location(&r.display, a.line, a.col)],
            });
            // Edits of the first round are in the file's own coordinates: offer them as a fix.
            if a.round == 0 {
                let replacements: Vec<Value> = a
                    .edits
                    .iter()
                    .map(|e| {
                        let (sl, sc) = index.line_col(text, e.range.start);
                        let (el, ec) = index.line_col(text, e.range.end);
                        json!({
                            "deletedRegion": {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec},
                            "insertedContent": {"text": e.text},
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": a.message},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": r.display},
                        "replacements": replacements,
                    }],
                }]);
            }
            out.push(result);
        }
        for s in &o.side_files {
            if s.old.as_deref() != Some(&s.new) {
                out.push(json!({
                    "ruleId": s.pass,
                    "level": "warning",
                    "message": {"text": s.message},
                    "locations": [location(&r.display, 1, 1)],
                }));
            }
        }
    }
    for e in path_errors {
        notifications.push(json!({
            "level": "error",
            "message": {"text": format!("{}: error: {}", e.display, e.message)},
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dockopt",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": sarif_rules(),
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": out,
        }],
    })
}

fn location(uri: &str, line: usize, col: usize) -> Value {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri},
        "region": {"startLine": line, "startColumn": col},
    }})
}

/// GitHub Actions workflow commands: a warning per pending fix, a notice per skip, an error per error.
pub fn github(results: &[FileResult], path_errors: &[PathError]) -> String {
    let mut s = String::new();
    for r in results {
        if let Some(e) = &r.error {
            s.push_str(&format!(
                "::error file={},line={},col={},title={}::{}\n",
                prop(&r.display),
                e.line.unwrap_or(1),
                e.col.unwrap_or(1),
                prop(&format!("dockopt {} error", e.kind)),
                data(&e.message)
            ));
        }
        let Some(o) = &r.outcome else { continue };
        for a in &o.applied {
            s.push_str(&format!(
                "::warning file={},line={},col={},title={}::{}\n",
                prop(&r.display),
                a.line,
                a.col,
                prop(&format!("dockopt {}", a.pass)),
                data(&a.message)
            ));
        }
        for side in &o.side_files {
            if side.old.as_deref() != Some(&side.new) {
                s.push_str(&format!(
                    "::warning file={},line=1,title={}::{}\n",
                    prop(&r.display),
                    prop(&format!("dockopt {}", side.pass)),
                    data(&side.message)
                ));
            }
        }
        for k in &o.skipped {
            s.push_str(&format!(
                "::notice file={},line={},col={},title={}::{}\n",
                prop(&r.display),
                k.line,
                k.col,
                prop(&format!("dockopt {} skipped", k.pass)),
                data(&k.reason)
            ));
        }
    }
    for e in path_errors {
        s.push_str(&format!(
            "::error title=dockopt::{}\n",
            data(&format!("{}: {}", e.display, e.message))
        ));
    }
    s
}

/// Escapes a workflow-command message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `dockopt passes --format json`.
pub fn passes_json() -> Value {
    Value::Array(
        passes::ALL
            .iter()
            .map(|p| {
                let i = p.info();
                json!({
                    "name": i.name,
                    "summary": i.summary,
                    "default_enabled": i.default_enabled,
                    "hadolint": i.hadolint,
                    "doc": i.doc,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(prop("x: y, z"), "x%3A y%2C z");
    }
}
