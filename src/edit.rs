//! Edit helpers: the only way passes change text. Each helper knows about continuations, indentation,
//! line endings and JSON forms, so passes never compute offsets by hand.

use crate::fix::Edit;
use crate::model::{Document, Instruction, Spanned};
use crate::shell::{SimpleCommand, Word};

/// Rewrites `\n` in inserted text to the document's line terminator.
pub fn with_eol(doc: &Document, text: &str) -> String {
    if doc.eol == "\n" {
        text.to_string()
    } else {
        text.replace("\r\n", "\n").replace('\n', doc.eol)
    }
}

/// Inserts ` arg` right after a shell word (`pip install` -> `pip install --no-cache-dir`).
pub fn insert_after_word(word: &Word, arg: &str) -> Edit {
    Edit::insert(word.range.end, format!(" {arg}"))
}

/// Inserts `arg ` right before a shell word.
pub fn insert_before_word(word: &Word, arg: &str) -> Edit {
    Edit::insert(word.range.start, format!("{arg} "))
}

/// Inserts `, "arg"` after an element of a JSON (exec) form. `None` if the element is not a plain
/// double-quoted JSON string in the text.
pub fn insert_after_exec_arg(doc: &Document, arg: &Spanned, value: &str) -> Option<Edit> {
    let bytes = doc.text.as_bytes();
    if arg.range.start == 0 || bytes.get(arg.range.start - 1) != Some(&b'"') {
        return None;
    }
    if bytes.get(arg.range.end) != Some(&b'"') {
        return None;
    }
    let quoted = serde_json::to_string(value).ok()?;
    Some(Edit::insert(arg.range.end + 1, format!(", {quoted}")))
}

/// Appends ` && cmd` after a simple command of a RUN (before any inline comment or continuation).
pub fn append_command(cmd: &SimpleCommand, text: &str) -> Edit {
    Edit::insert(cmd.range.end, format!(" && {text}"))
}

/// The indentation of an instruction's line.
pub fn indentation<'d>(doc: &'d Document, inst: &Instruction) -> &'d str {
    &doc.text[inst.line_start..inst.keyword.start]
}

/// Inserts whole lines (one or more instructions) before `inst`, with its indentation and the file's
/// line terminator.
pub fn insert_lines_before(doc: &Document, inst: &Instruction, lines: &str) -> Edit {
    let indent = indentation(doc, inst);
    let mut out = String::new();
    for line in lines.lines() {
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
        out.push_str(doc.eol);
    }
    Edit::insert(inst.line_start, out)
}

/// Inserts whole lines after `inst`.
pub fn insert_lines_after(doc: &Document, inst: &Instruction, lines: &str) -> Edit {
    let indent = indentation(doc, inst);
    let end = inst.extent.end;
    let mut out = String::new();
    if !doc.text[..end].ends_with('\n') {
        out.push_str(doc.eol);
    }
    for line in lines.lines() {
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
        out.push_str(doc.eol);
    }
    Edit::insert(end, out)
}

/// Deletes an instruction, its indentation and continuation lines included.
pub fn delete_instruction(inst: &Instruction) -> Edit {
    Edit::delete(inst.full_range())
}

/// Moves `inst` (with its continuation and comment lines) to just before `target`.
pub fn move_before(doc: &Document, inst: &Instruction, target: &Instruction) -> Vec<Edit> {
    let mut moved = doc.text[inst.full_range()].to_string();
    if !moved.ends_with('\n') {
        moved.push_str(doc.eol);
    }
    vec![
        Edit::delete(inst.full_range()),
        Edit::insert(target.line_start, moved),
    ]
}

/// Replaces an instruction's keyword-to-end text (keeps its indentation and line terminator).
pub fn replace_instruction(doc: &Document, inst: &Instruction, new_text: &str) -> Edit {
    let body = &doc.text[inst.extent.clone()];
    let trailing = if body.ends_with("\r\n") {
        2
    } else if body.ends_with('\n') {
        1
    } else {
        0
    };
    let end = inst.extent.end - trailing;
    Edit::replace(inst.extent.start..end, with_eol(doc, new_text))
}

/// Replaces the text of a spanned value (such as a FROM image reference) with `text`.
pub fn replace_spanned(s: &Spanned, text: &str) -> Edit {
    Edit::replace(s.range.clone(), text)
}
