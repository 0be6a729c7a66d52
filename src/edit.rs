//! Edit helpers: the only way passes change text. Each helper knows about continuations, indentation,
//! line endings and JSON forms, so passes never compute offsets by hand.

use crate::fix::Edit;
use crate::model::{Document, Instruction, Spanned};
use crate::shell::{Script, SimpleCommand, Word};

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

/// The start of the comment lines directly above `inst` (no blank line between), or its line start.
/// New instructions inserted there stay clear of the comments that belong to `inst`.
pub fn comment_block_start(doc: &Document, inst: &Instruction) -> usize {
    let floor = doc
        .instructions
        .iter()
        .map(|i| i.extent.end)
        .filter(|&e| e <= inst.line_start)
        .max()
        .unwrap_or(0);
    let mut start = inst.line_start;
    while start > floor {
        let prev = crate::text::line_start(&doc.text, start - 1);
        if prev < floor || !doc.text[prev..start].trim_start().starts_with('#') {
            break;
        }
        start = prev;
    }
    start
}

/// New instruction lines as text: each indented like `like` and ended with the file's line terminator.
pub fn lines_text(doc: &Document, like: &Instruction, lines: &str) -> String {
    let indent = indentation(doc, like);
    let mut out = String::new();
    for line in lines.lines() {
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
        out.push_str(doc.eol);
    }
    out
}

/// A copy of `inst` (indentation through its end) with `edits` (ranges inside it) applied, ended with
/// the file's line terminator: the text of a new instruction made from an existing one.
pub fn instruction_copy(doc: &Document, inst: &Instruction, edits: &[Edit]) -> String {
    let range = inst.full_range();
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| range.start <= e.range.start && e.range.end <= range.end)
        .collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::new();
    let mut cursor = range.start;
    for e in sorted {
        if e.range.start < cursor {
            continue;
        }
        out.push_str(&doc.text[cursor..e.range.start]);
        out.push_str(&e.text);
        cursor = e.range.end;
    }
    out.push_str(&doc.text[cursor..range.end]);
    if !out.ends_with('\n') {
        out.push_str(doc.eol);
    }
    out
}

/// The text of `inst` from its line start to `end` (an offset inside it), ended with the file's line
/// terminator: the first commands of a RUN as an instruction of their own.
pub fn instruction_prefix(doc: &Document, inst: &Instruction, end: usize) -> String {
    let end = end.clamp(inst.line_start, inst.extent.end);
    let mut out = doc.text[inst.line_start..end].trim_end().to_string();
    out.push_str(doc.eol);
    out
}

/// Moves `inst`, with the comment lines directly above it, to the line start `at` (before it), after
/// `middle` (whole lines): the comments stay attached to their instruction, so a pragma
/// (`# hadolint ignore=...`, `# dockopt: skip=...`) still governs it. When the instruction was
/// set off by a blank line above, the moved block is followed by one and the blank lines above it
/// leave with it, so no gap is doubled.
pub fn move_block_before(doc: &Document, inst: &Instruction, at: usize, middle: &str) -> Vec<Edit> {
    let text = &doc.text;
    let block = comment_block_start(doc, inst);
    let end = inst.extent.end;
    let is_blank = |s: usize| {
        let e = crate::text::line_end_inclusive(text, s);
        text[s..e].trim().is_empty()
    };
    let mut blank_start = block;
    while blank_start > 0 {
        let prev = crate::text::line_start(text, blank_start - 1);
        if !is_blank(prev) {
            break;
        }
        blank_start = prev;
    }
    let blank_before = blank_start < block && blank_start > at;
    // The blank lines above leave with the block (which ends in one): no gap is doubled.
    let delete_start = if blank_before { blank_start } else { block };
    let mut moved = String::new();
    moved.push_str(middle);
    moved.push_str(&text[block..end]);
    if !moved.ends_with('\n') {
        moved.push_str(doc.eol);
    }
    if blank_before {
        moved.push_str(doc.eol);
    }
    vec![Edit::insert(at, moved), Edit::delete(delete_start..end)]
}

/// Deletes simple command `idx` of a shell-form script together with one separator next to it, so
/// `a && b && c` loses `b` as `a && c` and `b; c` loses `b` as `c`. Only the separators whose meaning
/// survives are removed: `None` when the command is the only one, is joined by a pipe or `&`, starts
/// with a reserved word (`then b`), or the text to delete holds a comment.
pub fn delete_command(doc: &Document, script: &Script, idx: usize) -> Option<Edit> {
    let cmd = script.commands.get(idx)?;
    let first = cmd.assigns.first().or(cmd.words.first())?;
    if first.range.start != cmd.range.start {
        return None;
    }
    let op = |s: &Option<crate::shell::Separator>| s.as_ref().map(|s| s.op);
    let adjacent = |a: &SimpleCommand, b: &SimpleCommand| matches!((&a.after, &b.before), (Some(x), Some(y)) if x.range == y.range);
    let prev = idx.checked_sub(1).map(|i| &script.commands[i]);
    let next = script.commands.get(idx + 1);
    let range = match (op(&cmd.before), op(&cmd.after)) {
        // `p && X ...`: drop ` && X`; the separator after X now follows p, which X never changed.
        (Some("&&"), None | Some(";" | "&&" | "||" | ")"))
            if prev.is_some_and(|p| adjacent(p, cmd)) =>
        {
            prev?.range.end..cmd.range.end
        }
        // `p; X` at the end: drop `; X`.
        (Some(";"), None | Some(";" | ")")) if prev.is_some_and(|p| adjacent(p, cmd)) => {
            prev?.range.end..cmd.range.end
        }
        // `X && n` or `X; n` at a start: drop `X && `.
        (None | Some(";" | "("), Some("&&" | ";")) if next.is_some_and(|n| adjacent(cmd, n)) => {
            cmd.range.start..next?.range.start
        }
        _ => return None,
    };
    if doc.text[range.clone()].contains('#') {
        return None;
    }
    Some(Edit::delete(range))
}
