//! Working around known gaps of `parse-dockerfile` on files that BuildKit accepts, without ever
//! changing byte offsets.
//!
//! The crate reads a heredoc only when it starts a RUN (`RUN <<EOF`), and only one per RUN; BuildKit
//! also accepts `RUN cat <<EOF > /file`, `RUN python3 <<EOF` and `RUN <<A <<B`. It also rejects
//! `ENTRYPOINT []` and `CMD []`. When parsing fails on one of these, we mask the construct in a copy of
//! the text with bytes of the same length (heredoc bodies become spaces, `[]` becomes `""`), parse the
//! copy, and record a [`Repair`] so that the model can put the real construct back. Offsets stay valid
//! because masking never changes a length or a line break.

use std::ops::Range;

use parse_dockerfile as pd;

use crate::shell::{self, Mode};
use crate::text;

/// Something masked for the parser that the model must restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// Heredoc bodies of the RUN whose keyword starts at `keyword`: `(body, expand)`, terminator
    /// excluded; `end` is the end of the last terminator line.
    HereDocs {
        keyword: usize,
        bodies: Vec<(Range<usize>, bool)>,
        end: usize,
    },
    /// An empty JSON array (`ENTRYPOINT []`) at this range.
    EmptyExec(Range<usize>),
}

/// Returns a masked copy of `text` that `parse-dockerfile` accepts and the repairs made, or `None`
/// when no repair applies (the original error then stands).
pub fn repair(text: &str) -> Option<(String, Vec<Repair>)> {
    let mut masked = text.as_bytes().to_vec();
    let mut repairs = Vec::new();
    for _ in 0..256 {
        let s = std::str::from_utf8(&masked).ok()?.to_string();
        // Heredocs the crate did not read come first, even when the file parses: their bodies would
        // otherwise be read as instructions (and could be edited).
        if s.contains("<<") && repair_heredocs(&s, &mut masked, &mut repairs) {
            continue;
        }
        let result = pd::parse(&s).map(|_| ());
        let err = match result {
            Ok(()) if repairs.is_empty() => return None,
            Ok(()) => return Some((s, repairs)),
            Err(e) => e,
        };
        if !repair_empty_exec(&s, &err, &mut masked, &mut repairs) {
            return None;
        }
    }
    None
}

fn error_offset(text: &str, err: &pd::Error) -> usize {
    let line = err.line().max(1);
    let start = text::line_ranges(text)
        .nth(line - 1)
        .map_or(text.len(), |r| r.start);
    start + err.column().saturating_sub(1)
}

/// `ENTRYPOINT []` / `CMD []`: mask the brackets as an empty quoted string.
fn repair_empty_exec(
    text: &str,
    err: &pd::Error,
    masked: &mut [u8],
    repairs: &mut Vec<Repair>,
) -> bool {
    if !err.to_string().contains("requires at least one argument") {
        return false;
    }
    let at = error_offset(text, err);
    let line_end = text::line_end_inclusive(text, at);
    let line = &text[at..line_end];
    let kw_len = line.find(|c: char| c.is_whitespace()).unwrap_or(line.len());
    let kw = line[..kw_len].to_ascii_uppercase();
    if kw != "ENTRYPOINT" && kw != "CMD" {
        return false;
    }
    let rest = &line[kw_len..];
    let Some(open) = rest.find('[') else {
        return false;
    };
    if !rest[..open].trim().is_empty() {
        return false;
    }
    let after = &rest[open + 1..];
    let Some(close) = after.find(']') else {
        return false;
    };
    if !after[..close].trim().is_empty() {
        return false;
    }
    let start = at + kw_len + open;
    let end = start + 1 + close + 1;
    // `[]` -> `""`, `[ ]` -> `"" `: the same length, and a shell form the crate accepts.
    masked[start] = b'"';
    masked[start + 1] = b'"';
    for b in &mut masked[start + 2..end] {
        *b = b' ';
    }
    repairs.push(Repair::EmptyExec(start..end));
    true
}

/// Heredocs the crate did not read: mask their bodies and terminator lines with spaces.
fn repair_heredocs(text: &str, masked: &mut [u8], repairs: &mut Vec<Repair>) -> bool {
    // The first RUN, in file order, whose shell text still holds a heredoc operator the crate did
    // not read (it reads only a leading `<<EOF`, and puts the text after that delimiter in the span).
    let Ok(iter) = pd::parse_iter(text) else {
        return false;
    };
    let mut target: Option<(usize, Range<usize>, usize)> = None;
    for item in iter {
        let Ok(pd::Instruction::Run(r)) = item else {
            if item.is_err() {
                break;
            }
            continue;
        };
        let pd::Command::Shell(sh) = &r.arguments else {
            continue;
        };
        let done = repairs
            .iter()
            .any(|x| matches!(x, Repair::HereDocs { keyword, .. } if *keyword == r.run.span.start));
        if done || !text[sh.span.clone()].contains("<<") {
            continue;
        }
        let script = shell::parse(text, sh.span.clone(), Mode::Dockerfile { escape: b'\\' });
        let unread = script
            .commands
            .iter()
            .flat_map(|c| &c.redirects)
            .any(|r| heredoc_delim(&text[r.clone()]).is_some());
        if unread {
            // Where the lines after the instruction start: after its last heredoc or its text.
            let after = match r.here_docs.last() {
                Some(h) => text::line_end_inclusive(text, h.span.end),
                None => text::line_end_inclusive(text, sh.span.end.max(r.run.span.end)),
            };
            target = Some((r.run.span.start, sh.span.clone(), after));
            break;
        }
    }
    let Some((keyword, shell_span, mut body_start)) = target else {
        return false;
    };
    let script = shell::parse(text, shell_span, Mode::Dockerfile { escape: b'\\' });
    let mut bodies = Vec::new();
    for cmd in &script.commands {
        for r in &cmd.redirects {
            let Some((delim, strip_tabs, expand)) = heredoc_delim(&text[r.clone()]) else {
                continue;
            };
            // Find the terminator line.
            let mut pos = body_start;
            let mut found = None;
            for line in text::line_ranges(&text[body_start..]) {
                let l = &text[body_start + line.start..body_start + line.end];
                let l = if strip_tabs {
                    l.trim_start_matches('\t')
                } else {
                    l
                };
                if l == delim {
                    found = Some((pos, text::line_end_inclusive(text, body_start + line.start)));
                    break;
                }
                pos = text::line_end_inclusive(text, body_start + line.start);
            }
            let Some((body_end, term_end)) = found else {
                return false;
            };
            bodies.push((body_start..body_end, expand));
            body_start = term_end;
        }
    }
    if bodies.is_empty() {
        return false;
    }
    let first = bodies[0].0.start;
    for b in &mut masked[first..body_start] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
    repairs.push(Repair::HereDocs {
        keyword,
        bodies,
        end: body_start,
    });
    true
}

/// Parses a heredoc redirect (`<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`) into its delimiter, whether
/// tabs are stripped, and whether the body is expanded.
fn heredoc_delim(redirect: &str) -> Option<(String, bool, bool)> {
    let rest = redirect.strip_prefix("<<")?;
    if rest.starts_with('<') {
        return None;
    }
    let (strip, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.starts_with(char::is_whitespace) || rest.is_empty() {
        return None;
    }
    let quoted = rest.contains(['\'', '"']);
    let delim: String = rest.chars().filter(|c| *c != '\'' && *c != '"').collect();
    let delim = delim.trim().to_string();
    if delim.is_empty()
        || !delim
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.".contains(c))
    {
        return None;
    }
    Some((delim, strip, !quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_heredoc_after_a_command_and_keeps_length() {
        let t = "FROM a\nRUN cat <<EOF > /x\nfile here\nEOF\nRUN echo\n";
        let (m, r) = repair(t).unwrap();
        assert_eq!(m.len(), t.len());
        assert!(pd::parse(&m).is_ok());
        assert_eq!(
            r,
            vec![Repair::HereDocs {
                keyword: 7,
                bodies: vec![(26..36, true)],
                end: 40
            }]
        );
    }

    #[test]
    fn masks_second_heredoc_and_empty_entrypoint() {
        let t = "FROM a\nRUN <<A <<'B'\nx\nA\ny\nB\nENTRYPOINT []\n";
        let (m, r) = repair(t).unwrap();
        assert!(pd::parse(&m).is_ok(), "{m}");
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn heredoc_bodies_that_look_like_instructions() {
        // `user nginx;` parses as USER: the repair must still find the RUN that owns the body.
        let t = "FROM nginx\nRUN cat <<EOF > /etc/nginx/nginx.conf\nuser nginx;\nworker_processes auto;\nEOF\nEXPOSE 80\n";
        let (m, r) = repair(t).unwrap();
        assert!(pd::parse(&m).is_ok(), "{m}");
        assert_eq!(r.len(), 1);
        // A body that parses as a RUN without any error is masked too, so it is never edited.
        let t = "FROM python:3\nRUN cat <<EOF > /x.sh\nrun pip install flask \\\nEOF\n";
        let (_, r) = repair(t).unwrap();
        assert!(matches!(&r[0], Repair::HereDocs { bodies, .. } if bodies.len() == 1));
    }

    #[test]
    fn leaves_real_errors_alone() {
        assert!(repair("FROM a\nBOGUS x\n").is_none());
        assert!(repair("FROM a\nRUN cat <<EOF\nno terminator\n").is_none());
    }
}
