//! Fixes are data: a pass returns edits (a byte range and its replacement) grouped into a [`Fix`] with an
//! [`Applicability`] and a message, or a [`Skip`] that says what it saw and why it left it alone. Passes
//! never splice strings themselves; the engine applies the edits.

use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

/// One replacement of a byte range of the (BOM-less) text. An empty range is an insertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            text: text.into(),
        }
    }

    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
        }
    }

    pub fn delete(range: Range<usize>) -> Edit {
        Edit {
            range,
            text: String::new(),
        }
    }
}

/// Whether a fix may change what the build does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// The build produces the same program; applied by default.
    Safe,
    /// Likely right, but it can change the image in a way that matters; applied only with `--unsafe`.
    Unsafe,
}

/// A proposed change: all of its edits apply together or not at all.
#[derive(Debug, Clone)]
pub struct Fix {
    pub pass: &'static str,
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    /// Where the finding is, for `line:col` in reports.
    pub anchor: usize,
}

/// Something a pass saw and deliberately left alone, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub pass: &'static str,
    pub anchor: usize,
    pub reason: String,
}

/// A file next to the Dockerfile that a pass wants to create or change (such as `.dockerignore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideFile {
    pub pass: &'static str,
    pub path: PathBuf,
    /// The current content, `None` when the file does not exist yet.
    pub old: Option<String>,
    pub new: String,
    pub message: String,
}

/// A free-form line for the report (for example an estimated size saving).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub pass: &'static str,
    pub message: String,
    /// An estimated image size saving in bytes, summed in bulk reports.
    pub saved_bytes: Option<u64>,
}

/// What one pass found in one document.
#[derive(Debug, Default)]
pub struct Findings {
    pub fixes: Vec<Fix>,
    pub skips: Vec<Skip>,
    pub side_files: Vec<SideFile>,
    pub notes: Vec<Note>,
    /// Notes reported only if the fix at that index of `fixes` is applied (such as the estimated
    /// saving of a swap, which the pass can no longer compute once the fix changed the text).
    pub fix_notes: Vec<(usize, Note)>,
}

impl Findings {
    pub fn fix(
        &mut self,
        pass: &'static str,
        anchor: usize,
        applicability: Applicability,
        message: impl Into<String>,
        edits: Vec<Edit>,
    ) {
        self.fixes.push(Fix {
            pass,
            message: message.into(),
            applicability,
            edits,
            anchor,
        });
    }

    /// Records a fix together with a note that the report keeps if, and only if, the fix is applied.
    #[allow(clippy::too_many_arguments)]
    pub fn fix_with_note(
        &mut self,
        pass: &'static str,
        anchor: usize,
        applicability: Applicability,
        message: impl Into<String>,
        edits: Vec<Edit>,
        note: impl Into<String>,
        saved_bytes: Option<u64>,
    ) {
        self.fix(pass, anchor, applicability, message, edits);
        self.fix_notes.push((
            self.fixes.len() - 1,
            Note {
                pass,
                message: note.into(),
                saved_bytes,
            },
        ));
    }

    pub fn skip(&mut self, pass: &'static str, anchor: usize, reason: impl Into<String>) {
        self.skips.push(Skip {
            pass,
            anchor,
            reason: reason.into(),
        });
    }

    pub fn note(&mut self, pass: &'static str, message: impl Into<String>) {
        self.notes.push(Note {
            pass,
            message: message.into(),
            saved_bytes: None,
        });
    }

    /// A note that carries an estimated size saving (summed in the bulk summary).
    pub fn note_saving(
        &mut self,
        pass: &'static str,
        message: impl Into<String>,
        saved_bytes: u64,
    ) {
        self.notes.push(Note {
            pass,
            message: message.into(),
            saved_bytes: Some(saved_bytes),
        });
    }
}
