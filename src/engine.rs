//! The fix engine: decode, parse, let the passes propose fixes, apply the ones that do not conflict,
//! re-parse, and repeat until nothing changes. Before anything is emitted it checks its own output:
//! the output parses, every comment line and heredoc body of the input is still there, and the loop
//! reached a fixed point. Any failure of those checks is an internal error and the input is left as is.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::fix::{Applicability, Edit, Findings, Fix, Note, SideFile};
use crate::model::{CommandForm, CopySource, Detail, Document, Instruction, ParseError};
use crate::passes::{Pass, PassContext};
use crate::pragma::Pragmas;
use crate::text::{self, DecodeError};

/// How many rounds of fix, re-parse the engine runs before it gives up.
const MAX_ROUNDS: usize = 10;

/// A fix that was applied (or is pending in a dry run), located for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub pass: &'static str,
    pub message: String,
    pub applicability: Applicability,
    pub line: usize,
    pub col: usize,
    /// The edits in the coordinates of the round that applied them (used by SARIF output).
    pub edits: Vec<Edit>,
    /// The round (0-based) that applied the fix; round 0 edits are in the input's coordinates.
    pub round: usize,
}

/// A skip, located for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub pass: &'static str,
    pub reason: String,
    pub line: usize,
    pub col: usize,
}

/// The result of running the passes over one file.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rewritten file, BOM restored.
    pub output: String,
    pub changed: bool,
    pub applied: Vec<Applied>,
    pub skipped: Vec<Skipped>,
    pub side_files: Vec<SideFile>,
    pub notes: Vec<Note>,
}

/// Why a file could not be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixError {
    Decode(DecodeError),
    Parse(ParseError),
    /// A bug in dockopt: the file is left untouched.
    Internal(String),
}

impl FixError {
    /// `(kind, line, col, message)` for reports.
    pub fn parts(&self) -> (&'static str, usize, usize, String) {
        let full = self.to_string();
        let message = full
            .split_once(": error: ")
            .map_or(full.clone(), |(_, m)| m.to_string());
        match self {
            FixError::Decode(DecodeError::Binary { line, col })
            | FixError::Decode(DecodeError::NotUtf8 { line, col }) => {
                ("decode", *line, *col, message)
            }
            FixError::Parse(e) => ("parse", e.line, e.col, message),
            FixError::Internal(_) => ("internal", 1, 1, message),
        }
    }
}

impl std::fmt::Display for FixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixError::Decode(DecodeError::Binary { line, col }) => {
                write!(
                    f,
                    "{line}:{col}: error: binary file (NUL byte): not a Dockerfile"
                )
            }
            FixError::Decode(DecodeError::NotUtf8 { line, col }) => write!(
                f,
                "{line}:{col}: error: invalid UTF-8: dockopt reads Dockerfiles as UTF-8 text"
            ),
            FixError::Parse(e) => write!(f, "{}:{}: error: {}", e.line, e.col, e.message),
            FixError::Internal(m) => write!(
                f,
                "1:1: error: internal error, file left unchanged (please report): {m}"
            ),
        }
    }
}

/// Runs `passes` over `bytes` to a fixed point.
///
/// When the dockerignore pass proposes a new `.dockerignore` and the caller emits side files, the
/// other passes may decide differently once that file exists (deps-first refuses while a local
/// `node_modules` would be copied over the install). The run is then repeated with the proposed file
/// visible to them, and that outcome is kept only if the dockerignore pass proposes the very same
/// file for the result: one run then reaches what a second run would (idempotence).
pub fn run(bytes: &[u8], passes: &[&dyn Pass], cx: &PassContext) -> Result<Outcome, FixError> {
    let first = run_once(bytes, passes, cx)?;
    if !cx.side_files_emitted || cx.pending_ignore.is_some() {
        return Ok(first);
    }
    let Some(ignore) = first
        .side_files
        .iter()
        .find(|f| f.pass == "dockerignore" && f.old.as_deref() != Some(f.new.as_str()))
    else {
        return Ok(first);
    };
    let again = PassContext {
        pending_ignore: Some((ignore.path.clone(), ignore.new.clone())),
        ..cx.clone()
    };
    match run_once(bytes, passes, &again) {
        Ok(second)
            if second.output != first.output
                && second
                    .side_files
                    .iter()
                    .any(|f| f.path == ignore.path && f.new == ignore.new) =>
        {
            Ok(second)
        }
        _ => Ok(first),
    }
}

fn run_once(bytes: &[u8], passes: &[&dyn Pass], cx: &PassContext) -> Result<Outcome, FixError> {
    let (bom, text) = text::decode(bytes).map_err(FixError::Decode)?;
    let original = Document::parse(text).map_err(FixError::Parse)?;
    if let Some(line) = Pragmas::parse(&original).skip_file {
        return Ok(Outcome {
            output: String::from_utf8_lossy(bytes).into_owned(),
            changed: false,
            applied: vec![],
            skipped: vec![Skipped {
                pass: "pragma",
                reason: "file skipped by `# dockopt: skip-file`".into(),
                line,
                col: 1,
            }],
            side_files: vec![],
            notes: vec![],
        });
    }
    let mut doc = original.clone();
    // Every rewrite step, so that positions found on a later text are reported in the input's lines.
    let mut trail = Trail::default();
    let mut used_pragmas: HashSet<(String, usize)> = HashSet::new();
    let mut last_pragmas = Pragmas::default();
    let mut applied = Vec::new();
    let mut rejected: Vec<(&'static str, String, String)> = Vec::new();
    let mut last: Option<(Vec<Skipped>, Vec<SideFile>, Vec<Note>)> = None;
    // Notes of fixes that were applied (Findings::fix_with_note), kept across rounds.
    let mut applied_notes: Vec<Note> = Vec::new();

    for round in 0..MAX_ROUNDS {
        let steps = trail.len();
        // Where an offset of this round's text is in the input.
        let loc = |trail: &Trail, at: usize| input_line_col(&original, trail.to_input(steps, at));
        let mut findings = Findings::default();
        for pass in passes {
            pass.run(&doc, cx, &mut findings);
        }
        let pragmas = Pragmas::parse(&doc);
        let info = |name: &str| passes.iter().map(|p| p.info()).find(|i| i.name == name);
        let fix_notes: Vec<(&'static str, String, Note)> = std::mem::take(&mut findings.fix_notes)
            .into_iter()
            .filter_map(|(i, n)| {
                findings
                    .fixes
                    .get(i)
                    .map(|f| (f.pass, f.message.clone(), n))
            })
            .collect();
        let mut skipped: Vec<Skipped> = findings
            .skips
            .iter()
            .filter(|s| !info(s.pass).is_some_and(|i| pragmas.covers_point(i, s.anchor)))
            // A pass that rewrote the file does not comment on the text it wrote itself (multi-stage
            // on its own stages: "already multi-stage").
            .filter(|s| {
                !(trail.trace(steps, s.anchor).1
                    && applied.iter().any(|a: &Applied| a.pass == s.pass))
            })
            .map(|s| {
                let (line, col) = loc(&trail, s.anchor);
                Skipped {
                    pass: s.pass,
                    reason: s.reason.clone(),
                    line,
                    col,
                }
            })
            .collect();
        let unterminated = unterminated_shell(&doc);
        let mut candidates = Vec::new();
        for fix in findings.fixes {
            if let Some(i) = info(fix.pass)
                && let Some(p) = pragmas.suppressing(i, fix.anchor, &fix.edits)
            {
                used_pragmas.insert(p.key());
                let (line, col) = loc(&trail, fix.anchor);
                let pragma_line = text::line_ranges(&doc.text)
                    .nth(p.line.saturating_sub(1))
                    .map_or(p.line, |r| loc(&trail, r.start).0);
                skipped.push(Skipped {
                    pass: fix.pass,
                    reason: format!(
                        "suppressed by `{}` (line {pragma_line}), not applied: {}",
                        p.text, fix.message
                    ),
                    line,
                    col,
                });
                continue;
            }
            if rejected
                .iter()
                .any(|(p, m, _)| *p == fix.pass && *m == fix.message)
            {
                continue;
            }
            // Text appended to (or edited inside) a shell command with an open quote would land inside
            // the quote, and the shell rejects the command anyway: leave such commands alone.
            if fix
                .edits
                .iter()
                .any(|e| unterminated.iter().any(|r| conflicts(&e.range, r)))
            {
                let (line, col) = loc(&trail, fix.anchor);
                skipped.push(Skipped {
                    pass: fix.pass,
                    reason: format!(
                        "the shell command has an unterminated quote or substitution, left alone: {}",
                        fix.message
                    ),
                    line,
                    col,
                });
                continue;
            }
            if fix.applicability == Applicability::Unsafe && !cx.unsafe_fixes {
                let (line, col) = loc(&trail, fix.anchor);
                skipped.push(Skipped {
                    pass: fix.pass,
                    reason: format!(
                        "unsafe fix not applied (rerun with --unsafe): {}",
                        fix.message
                    ),
                    line,
                    col,
                });
                continue;
            }
            if !edits_valid(&doc.text, &fix.edits) {
                return Err(FixError::Internal(format!(
                    "pass {} proposed an edit outside the text or inside a character",
                    fix.pass
                )));
            }
            candidates.push(fix);
        }
        let chosen = choose(candidates);
        if chosen.is_empty() {
            last = Some((skipped, findings.side_files, findings.notes));
            last_pragmas = pragmas;
            break;
        }
        // Apply all chosen fixes; if the result does not parse, fall back to one at a time and keep
        // only those that parse (the others become internal-error skips in the next round).
        let applied_before = applied.len();
        let all: Vec<&Fix> = chosen.iter().collect();
        let next = match apply_and_parse(&doc.text, &all) {
            Ok(d) => {
                applied.extend(
                    chosen
                        .iter()
                        .map(|f| locate_fix(loc(&trail, f.anchor), f, round)),
                );
                trail.push(&doc.text, chosen.iter().flat_map(|f| f.edits.iter()));
                d
            }
            Err(_) => {
                let mut cur = doc.clone();
                for fix in &chosen {
                    match apply_and_parse(&cur.text, &[fix]) {
                        Ok(d) => {
                            // Anchors are in the coordinates of the round's text (`doc`).
                            applied.push(locate_fix(
                                loc(&trail, fix.anchor),
                                fix,
                                round + usize::from(cur.text != doc.text),
                            ));
                            trail.push(&cur.text, fix.edits.iter());
                            cur = d;
                        }
                        Err(e) => rejected.push((
                            fix.pass,
                            fix.message.clone(),
                            format!("{} (its output did not parse: {})", fix.message, e.message),
                        )),
                    }
                }
                // Fixes found on the old text are relocated by re-running the passes next round.
                cur
            }
        };
        for a in &applied[applied_before..] {
            for (pass, message, note) in &fix_notes {
                if *pass == a.pass && *message == a.message && !applied_notes.contains(note) {
                    applied_notes.push(note.clone());
                }
            }
        }
        doc = next;
    }
    // Pragma lines were read on the final text.
    let final_line = |line: usize| -> usize {
        match text::line_ranges(&doc.text).nth(line.saturating_sub(1)) {
            Some(r) => input_line_col(&original, trail.to_input(trail.len(), r.start)).0,
            None => line,
        }
    };
    let Some((mut skipped, side_files, last_notes)) = last else {
        return Err(FixError::Internal(format!(
            "the passes did not reach a fixed point in {MAX_ROUNDS} rounds"
        )));
    };
    for p in &last_pragmas.list {
        // A hadolint pragma for rules no dockopt pass fixes is the linter's business, not ours.
        let ours = match &p.target {
            crate::pragma::Target::Hadolint(codes) => crate::passes::ALL.iter().any(|pass| {
                codes.iter().any(|c| {
                    pass.info()
                        .hadolint
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(c))
                })
            }),
            _ => true,
        };
        if ours && !used_pragmas.contains(&p.key()) {
            skipped.push(Skipped {
                pass: "pragma",
                reason: format!("`{}` suppressed nothing", p.text),
                line: final_line(p.line),
                col: 1,
            });
        }
    }
    for (line, msg) in &last_pragmas.problems {
        skipped.push(Skipped {
            pass: "pragma",
            reason: msg.clone(),
            line: final_line(*line),
            col: 1,
        });
    }
    for (pass, _, msg) in rejected {
        skipped.push(Skipped {
            pass,
            reason: format!("internal error, fix dropped: {msg}"),
            line: 1,
            col: 1,
        });
    }
    check_preserved(&original, &doc)?;
    let mut notes = applied_notes;
    notes.extend(last_notes);
    let mut output = String::with_capacity(doc.text.len() + 3);
    if bom {
        output.push_str(text::BOM);
    }
    output.push_str(&doc.text);
    let changed = doc.text != original.text;
    skipped.sort_by(|a, b| (a.line, a.col, a.pass).cmp(&(b.line, b.col, b.pass)));
    skipped.dedup();
    Ok(Outcome {
        output,
        changed,
        applied,
        skipped,
        side_files,
        notes,
    })
}

fn locate_fix((line, col): (usize, usize), fix: &Fix, round: usize) -> Applied {
    Applied {
        round,
        pass: fix.pass,
        message: fix.message.clone(),
        applicability: fix.applicability,
        line,
        col,
        edits: fix.edits.clone(),
    }
}

/// The line and column of an input offset; the end of a file that ends in a newline counts as its
/// last line (annotations must name a line that exists).
fn input_line_col(original: &Document, at: usize) -> (usize, usize) {
    let at = if at > 0 && at == original.text.len() && original.text.ends_with('\n') {
        at - 1
    } else {
        at
    };
    original.line_col(at)
}

/// One rewrite step: the text it started from and the edits applied to it, in the order applied.
struct Step {
    old: String,
    edits: Vec<Edit>,
}

/// The rewrite steps so far, to report positions of a later text in the input's coordinates.
#[derive(Default)]
struct Trail {
    steps: Vec<Step>,
}

impl Trail {
    fn len(&self) -> usize {
        self.steps.len()
    }

    fn push<'e>(&mut self, old: &str, edits: impl Iterator<Item = &'e Edit>) {
        // The order `apply_edits` applies them in.
        let mut edits: Vec<(usize, Edit)> = edits.cloned().enumerate().collect();
        edits.sort_by_key(|(i, e)| (e.range.start, e.range.end, *i));
        self.steps.push(Step {
            old: old.to_string(),
            edits: edits.into_iter().map(|(_, e)| e).collect(),
        });
    }

    /// Offset `at` of the text after the first `upto` steps, as an offset of the input.
    fn to_input(&self, upto: usize, at: usize) -> usize {
        self.trace(upto, at).0
    }

    /// Like [`Trail::to_input`], and whether `at` lies in text a step inserted (not moved).
    fn trace(&self, upto: usize, at: usize) -> (usize, bool) {
        self.steps[..upto]
            .iter()
            .rev()
            .fold((at, false), |(at, new), step| {
                let (at, inserted) = step.back(at);
                (at, new || inserted)
            })
    }
}

impl Step {
    /// Maps an offset of the text after this step to the text before it. An offset inside inserted
    /// text maps to where that text came from when the step moved it (an edit of the same step
    /// deleted the same text elsewhere), else to the insertion point.
    fn back(&self, at: usize) -> (usize, bool) {
        // Offsets after the edits seen so far shift by `grown - shrunk`.
        let (mut grown, mut shrunk) = (0usize, 0usize);
        for (i, e) in self.edits.iter().enumerate() {
            let new_start = e.range.start + grown - shrunk;
            if at < new_start {
                break;
            }
            let inserted = e.text.len();
            if at < new_start + inserted {
                let o = at - new_start;
                for (j, f) in self.edits.iter().enumerate() {
                    // A moved instruction, not a stray space or newline that happens to recur.
                    if j == i || f.range.len() < 8 || f.range.end > self.old.len() {
                        continue;
                    }
                    let deleted = &self.old[f.range.clone()];
                    if let Some(p) = e
                        .text
                        .match_indices(deleted)
                        .map(|(p, _)| p)
                        .find(|&p| p <= o && o < p + deleted.len())
                    {
                        return (f.range.start + (o - p), false);
                    }
                }
                return (e.range.start, true);
            }
            grown += inserted;
            shrunk += e.range.len();
        }
        (
            (at + shrunk).saturating_sub(grown).min(self.old.len()),
            false,
        )
    }
}

/// The ranges of shell-form commands (RUN, CMD, ENTRYPOINT, HEALTHCHECK, also under ONBUILD) whose
/// quoting is unterminated.
fn unterminated_shell(doc: &Document) -> Vec<Range<usize>> {
    fn visit(i: &Instruction, out: &mut Vec<Range<usize>>) {
        let form = match &i.detail {
            Detail::Run { command, .. } | Detail::Cmd(command) | Detail::Entrypoint(command) => {
                Some(command)
            }
            Detail::Healthcheck(c) => c.as_ref(),
            Detail::Onbuild(inner) => return visit(inner, out),
            _ => None,
        };
        if let Some(CommandForm::Shell { range, script }) = form
            && script.unterminated
        {
            out.push(range.clone());
        }
    }
    let mut out = Vec::new();
    for i in &doc.instructions {
        visit(i, &mut out);
    }
    out
}

fn edits_valid(text: &str, edits: &[Edit]) -> bool {
    edits.iter().all(|e| {
        e.range.start <= e.range.end
            && e.range.end <= text.len()
            && text.is_char_boundary(e.range.start)
            && text.is_char_boundary(e.range.end)
    })
}

/// Whether two edits from different fixes touch the same text. Insertions at the same point, or at the
/// boundary of another edit, conflict too: their order would be a guess.
fn conflicts(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() || b.is_empty() {
        let (p, other) = if a.is_empty() {
            (a.start, b)
        } else {
            (b.start, a)
        };
        return p >= other.start && p <= other.end;
    }
    a.start < b.end && b.start < a.end
}

/// Picks fixes in pass order; a fix conflicting with an already chosen one waits for the next round.
/// Accepted ranges never conflict with each other, so they are ordered by start and by end alike, and
/// each check looks only at the few accepted ranges that start at or before the new range's end.
fn choose(candidates: Vec<Fix>) -> Vec<Fix> {
    use std::collections::BTreeSet;
    let mut accepted: BTreeSet<(usize, usize)> = BTreeSet::new();
    let clashes = |accepted: &BTreeSet<(usize, usize)>, r: &Range<usize>| {
        for &(s, e) in accepted.range(..=(r.end, usize::MAX)).rev() {
            if conflicts(&(s..e), r) {
                return true;
            }
            if e < r.start {
                return false;
            }
        }
        false
    };
    let mut chosen: Vec<Fix> = Vec::new();
    for fix in candidates {
        if fix.edits.is_empty() || fix.edits.iter().any(|e| clashes(&accepted, &e.range)) {
            continue;
        }
        for e in &fix.edits {
            accepted.insert((e.range.start, e.range.end));
        }
        chosen.push(fix);
    }
    chosen
}

/// Applies non-overlapping edits. Edits at the same position keep their order.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<(usize, &Edit)> = edits.iter().copied().enumerate().collect();
    sorted.sort_by_key(|(i, e)| (e.range.start, e.range.end, *i));
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for (_, e) in sorted {
        let start = e.range.start.max(cursor);
        out.push_str(&text[cursor..start]);
        out.push_str(&e.text);
        cursor = e.range.end.max(cursor);
    }
    out.push_str(&text[cursor..]);
    out
}

fn apply_and_parse(text: &str, fixes: &[&Fix]) -> Result<Document, ParseError> {
    let edits: Vec<&Edit> = fixes.iter().flat_map(|f| f.edits.iter()).collect();
    let new_text = apply_edits(text, &edits);
    Document::parse(&new_text)
}

/// Every comment line and heredoc body of the input must still be in the output.
fn check_preserved(before: &Document, after: &Document) -> Result<(), FixError> {
    let count = |d: &Document| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for l in text::line_ranges(&d.text) {
            let t = d.text[l].trim();
            if t.starts_with('#') {
                *m.entry(t.to_string()).or_default() += 1;
            }
        }
        m
    };
    let (b, a) = (count(before), count(after));
    for (line, n) in &b {
        if a.get(line).copied().unwrap_or(0) < *n {
            return Err(FixError::Internal(format!(
                "a fix would lose the comment line `{line}`"
            )));
        }
    }
    let bodies = |d: &Document| {
        let mut v: Vec<String> = Vec::new();
        for i in &d.instructions {
            match &i.detail {
                Detail::Run { heredocs, .. } => {
                    v.extend(heredocs.iter().map(|h| d.text[h.body.clone()].to_string()))
                }
                Detail::Copy { sources, .. } => v.extend(sources.iter().filter_map(|s| match s {
                    CopySource::HereDoc(h) => Some(d.text[h.body.clone()].to_string()),
                    _ => None,
                })),
                _ => {}
            }
        }
        v.sort();
        v
    };
    let (hb, ha) = (bodies(before), bodies(after));
    let mut ha_iter = ha.iter().peekable();
    for body in &hb {
        while ha_iter.peek().is_some_and(|x| *x < body) {
            ha_iter.next();
        }
        if ha_iter.next() != Some(body) {
            return Err(FixError::Internal(
                "a fix would change a heredoc body".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_edits_keeps_insertion_order() {
        let e1 = Edit::insert(1, "x");
        let e2 = Edit::insert(1, "y");
        let e3 = Edit::replace(2..3, "Z");
        assert_eq!(apply_edits("abcd", &[&e1, &e2, &e3]), "axybZd");
    }

    #[test]
    fn choose_defers_conflicting_fixes() {
        let fix = |edits: Vec<Edit>| Fix {
            pass: "t",
            message: String::new(),
            applicability: Applicability::Safe,
            edits,
            anchor: 0,
        };
        let chosen = choose(vec![
            fix(vec![Edit::replace(10..20, "a")]),
            fix(vec![Edit::insert(15, "b")]),
            fix(vec![Edit::insert(20, "c")]),
            fix(vec![Edit::replace(20..25, "d")]),
            fix(vec![Edit::insert(5, "e"), Edit::insert(5, "f")]),
            fix(vec![Edit::insert(5, "g")]),
            fix(vec![Edit::replace(0..3, "h")]),
        ]);
        let kept: Vec<&str> = chosen.iter().map(|f| f.edits[0].text.as_str()).collect();
        assert_eq!(kept, ["a", "d", "e", "h"]);
    }

    #[test]
    fn conflicting_ranges() {
        assert!(conflicts(&(1..3), &(2..4)));
        assert!(!conflicts(&(1..3), &(3..4)));
        assert!(conflicts(&(3..3), &(3..3)));
        assert!(conflicts(&(3..3), &(1..3)));
        assert!(!conflicts(&(4..4), &(1..3)));
    }
}
