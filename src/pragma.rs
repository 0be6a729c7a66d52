//! Inline pragmas: comments that turn passes off for one instruction or for the whole file.
//!
//! - `# dockopt: skip=pass-a,pass-b` on the line(s) directly above an instruction skips those passes
//!   there; `# dockopt: skip` skips every pass there.
//! - `# dockopt: skip-file` in the comments before the first instruction skips the whole file.
//! - `# hadolint ignore=DL3042,...` above an instruction skips the passes that fix those rules, so a
//!   team's choice to ignore a rule is not overridden; `# hadolint global ignore=...` does so for the file.
//!
//! The engine reports every suppression as a skip, and every pragma that suppressed nothing.

use std::ops::Range;

use crate::fix::Edit;
use crate::model::Document;
use crate::passes::PassInfo;
use crate::text;

/// What a pragma turns off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    AllPasses,
    Passes(Vec<String>),
    Hadolint(Vec<String>),
}

impl Target {
    fn covers(&self, pass: &PassInfo) -> bool {
        match self {
            Target::AllPasses => true,
            Target::Passes(names) => names.iter().any(|n| n == pass.name),
            Target::Hadolint(codes) => codes
                .iter()
                .any(|c| pass.hadolint.iter().any(|h| h.eq_ignore_ascii_case(c))),
        }
    }
}

/// One pragma comment.
#[derive(Debug, Clone)]
pub struct Pragma {
    /// 1-based line of the comment.
    pub line: usize,
    /// The comment text (trimmed), used with `ordinal` to follow a pragma across rounds.
    pub text: String,
    pub ordinal: usize,
    pub target: Target,
    /// The instruction it applies to (full range), or `None` for a file-wide pragma.
    pub scope: Option<Range<usize>>,
}

impl Pragma {
    /// A key that stays the same when other text moves: the comment text and its ordinal.
    pub fn key(&self) -> (String, usize) {
        (self.text.clone(), self.ordinal)
    }
}

/// All pragmas of a document.
#[derive(Debug, Default)]
pub struct Pragmas {
    /// The line of a `# dockopt: skip-file`, if any.
    pub skip_file: Option<usize>,
    pub list: Vec<Pragma>,
    /// Malformed or unknown pragmas: (line, message).
    pub problems: Vec<(usize, String)>,
}

impl Pragmas {
    pub fn parse(doc: &Document) -> Pragmas {
        let mut out = Pragmas::default();
        let first_inst = doc
            .instructions
            .first()
            .map_or(doc.text.len(), |i| i.line_start);
        let mut seen: Vec<String> = Vec::new();
        for c in &doc.comments {
            let raw = doc.text[c.clone()].trim();
            let body = raw.trim_start_matches('#').trim();
            let line = doc.line(c.start);
            let parsed = if let Some(rest) = strip_prefix_ci(body, "dockopt:") {
                parse_dockopt(rest.trim())
            } else if let Some(rest) = strip_prefix_ci(body, "hadolint ") {
                parse_hadolint(rest.trim())
            } else {
                continue;
            };
            let (target, file_wide) = match parsed {
                Ok(Parsed::SkipFile) => {
                    if c.start < first_inst {
                        out.skip_file = Some(line);
                    } else {
                        out.problems.push((
                            line,
                            "`# dockopt: skip-file` must come before the first instruction".into(),
                        ));
                    }
                    continue;
                }
                Ok(Parsed::Target(t, file_wide)) => (t, file_wide),
                Err(msg) => {
                    if !msg.is_empty() {
                        out.problems.push((line, msg));
                    }
                    continue;
                }
            };
            let ordinal = seen.iter().filter(|t| *t == raw).count();
            seen.push(raw.to_string());
            let scope = if file_wide {
                None
            } else {
                match attached_instruction(doc, c) {
                    Some(r) => Some(r),
                    None => {
                        out.problems.push((
                            line,
                            format!("`{raw}` is not directly above an instruction, so it applies to nothing"),
                        ));
                        continue;
                    }
                }
            };
            out.list.push(Pragma {
                line,
                text: raw.to_string(),
                ordinal,
                target,
                scope,
            });
        }
        out
    }

    /// The pragma that suppresses `pass` for a fix anchored at `anchor` with `edits`, if any.
    pub fn suppressing(&self, pass: &PassInfo, anchor: usize, edits: &[Edit]) -> Option<&Pragma> {
        self.list.iter().find(|p| {
            p.target.covers(pass)
                && match &p.scope {
                    None => true,
                    Some(scope) => {
                        (scope.start <= anchor && anchor < scope.end)
                            || edits.iter().any(|e| touches(&e.range, scope))
                    }
                }
        })
    }

    /// Whether a skip note of `pass` at `anchor` falls under a pragma (and should not be reported).
    pub fn covers_point(&self, pass: &PassInfo, anchor: usize) -> bool {
        self.suppressing(pass, anchor, &[]).is_some()
    }
}

fn touches(e: &Range<usize>, scope: &Range<usize>) -> bool {
    if e.is_empty() {
        scope.start < e.start && e.start < scope.end
    } else {
        e.start < scope.end && scope.start < e.end
    }
}

enum Parsed {
    SkipFile,
    Target(Target, bool),
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // `get`: the prefix length may fall inside a multi-byte character of `s`.
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_dockopt(rest: &str) -> Result<Parsed, String> {
    let rest = rest.split_whitespace().collect::<Vec<_>>().join("");
    if rest == "skip-file" {
        return Ok(Parsed::SkipFile);
    }
    if rest == "skip" {
        return Ok(Parsed::Target(Target::AllPasses, false));
    }
    if let Some(v) = rest.strip_prefix("skip=") {
        let names = list(v);
        if names.is_empty() {
            return Err("`# dockopt: skip=` names no pass".into());
        }
        if let Some(unknown) = names.iter().find(|n| crate::passes::by_name(n).is_none()) {
            return Err(format!("pragma names an unknown pass `{unknown}`"));
        }
        return Ok(Parsed::Target(Target::Passes(names), false));
    }
    Err(format!(
        "unknown pragma `# dockopt: {rest}` (use `skip=PASS,...`, `skip` or `skip-file`)"
    ))
}

fn parse_hadolint(rest: &str) -> Result<Parsed, String> {
    let (global, rest) = match strip_prefix_ci(rest, "global") {
        Some(r) => (true, r.trim()),
        None => (false, rest),
    };
    match rest.strip_prefix("ignore=") {
        Some(v) => Ok(Parsed::Target(Target::Hadolint(list(v)), global)),
        // Other hadolint pragmas (shell=, trusted-registry) are not ours.
        None => Err(String::new()),
    }
}

/// The instruction directly below a comment (through a contiguous block of comment lines).
fn attached_instruction(doc: &Document, comment: &Range<usize>) -> Option<Range<usize>> {
    let mut pos = text::line_end_inclusive(&doc.text, comment.end);
    loop {
        if let Some(inst) = doc.instructions.iter().find(|i| i.line_start == pos) {
            return Some(inst.full_range());
        }
        let next = doc
            .comments
            .iter()
            .find(|c| text::line_start(&doc.text, c.start) == pos)?;
        pos = text::line_end_inclusive(&doc.text, next.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pragmas() {
        let t = "# dockopt: skip-file\n# hadolint global ignore=DL3008\nFROM a\n# dockopt: skip=pip-no-cache\n# another comment\nRUN pip install x\n\n# dockopt: skip\n\nRUN y\n# hadolint ignore=DL3042\nRUN z\n# dockopt: bogus\nRUN w\n";
        let d = Document::parse(t).unwrap();
        let p = Pragmas::parse(&d);
        assert_eq!(p.skip_file, Some(1));
        assert_eq!(p.list.len(), 3, "{:?}", p.list);
        assert_eq!(p.list[0].target, Target::Hadolint(vec!["DL3008".into()]));
        assert!(p.list[0].scope.is_none());
        assert_eq!(
            p.list[1].target,
            Target::Passes(vec!["pip-no-cache".into()])
        );
        assert_eq!(&t[p.list[1].scope.clone().unwrap()], "RUN pip install x\n");
        assert_eq!(p.list[2].target, Target::Hadolint(vec!["DL3042".into()]));
        // `# dockopt: skip` above a blank line applies to nothing; `bogus` is unknown.
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
    }
}
