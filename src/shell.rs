//! Shell awareness for RUN: split a shell-form command into simple commands and words, and map every
//! word back to its exact byte range in the original Dockerfile text.
//!
//! Two steps:
//! 1. [`Logical`] turns the raw instruction text into the string the shell will see, the way BuildKit
//!    does: an escape character at the end of a line (followed only by blanks) joins the next line, and
//!    blank lines and comment lines inside a continuation are dropped. Every logical byte remembers its
//!    raw offset.
//! 2. [`lex`] splits that string into words, operators and redirections with POSIX quoting rules
//!    (single and double quotes, backslash escapes, `$(...)`, `${...}` and backticks kept inside one
//!    word), then groups the words into [`SimpleCommand`]s separated by `&&`, `||`, `;`, `|`, `&`,
//!    parentheses and newlines.
//!
//! We evaluated the shell-parsing crates first (conch-parser is unmaintained, brush-parser and
//! yash-syntax build full ASTs without a way to feed them Dockerfile continuations and comment lines,
//! tree-sitter-bash needs a C build and gives spans only in its own joined text). None maps back through
//! Dockerfile continuations, which is the part that matters for exact edits, so this small lexer is ours.
//! It never panics on any input: unterminated quotes run to the end of the text, and the script is
//! marked [`Script::unterminated`] so that nothing edits text whose quoting the shell would reject.

use std::ops::Range;

/// How the raw text is joined into what the shell sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A Dockerfile instruction: `escape` + blanks + newline continues the line; blank and comment
    /// lines inside a continuation are dropped.
    Dockerfile { escape: u8 },
    /// Plain shell text, such as a heredoc body: the shell itself handles `\` + newline.
    Plain,
}

/// The text the shell sees, with the raw offset of every byte.
#[derive(Debug, Clone)]
pub struct Logical {
    pub bytes: Vec<u8>,
    /// `map[i]` is the absolute offset in the Dockerfile of logical byte `i`.
    pub map: Vec<usize>,
}

impl Logical {
    pub fn new(text: &str, range: Range<usize>, mode: Mode) -> Logical {
        let raw = &text.as_bytes()[range.clone()];
        let base = range.start;
        let mut bytes = Vec::with_capacity(raw.len());
        let mut map = Vec::with_capacity(raw.len());
        let escape = match mode {
            Mode::Dockerfile { escape } => escape,
            Mode::Plain => {
                bytes.extend_from_slice(raw);
                map.extend(base..base + raw.len());
                return Logical { bytes, map };
            }
        };
        let mut pos = 0;
        let mut continued = false;
        while pos < raw.len() {
            let nl = raw[pos..].iter().position(|&b| b == b'\n');
            let (end, next) = match nl {
                Some(i) => (pos + i, pos + i + 1),
                None => (raw.len(), raw.len()),
            };
            let mut content_end = end;
            if content_end > pos && raw[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let line = &raw[pos..content_end];
            if continued {
                let trimmed = line.iter().position(|b| !matches!(b, b' ' | b'\t'));
                match trimmed {
                    None => {
                        pos = next;
                        continue;
                    }
                    Some(i) if line[i] == b'#' => {
                        pos = next;
                        continue;
                    }
                    _ => {}
                }
            }
            let mut ce = content_end;
            while ce > pos && matches!(raw[ce - 1], b' ' | b'\t') {
                ce -= 1;
            }
            // An escape at the end of the text (no line terminator after it) is a dangling
            // continuation too: BuildKit drops it, so the shell never sees it.
            if ce > pos && raw[ce - 1] == escape {
                bytes.extend_from_slice(&raw[pos..ce - 1]);
                map.extend(base + pos..base + ce - 1);
                continued = true;
            } else {
                bytes.extend_from_slice(&raw[pos..content_end]);
                map.extend(base + pos..base + content_end);
                if next > end {
                    bytes.push(b'\n');
                    map.push(base + end);
                }
                continued = false;
            }
            pos = next;
        }
        Logical { bytes, map }
    }

    /// Raw range covering logical bytes `r`.
    pub fn raw_range(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() {
            let at = self.map.get(r.start).copied().unwrap_or_else(|| self.end());
            return at..at;
        }
        self.map[r.start]..self.map[r.end - 1] + 1
    }

    fn end(&self) -> usize {
        self.map.last().map_or(0, |&m| m + 1)
    }
}

/// A shell word with its unquoted value and its exact raw range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub range: Range<usize>,
    /// The word with quotes and escapes removed. Expansions (`$X`, `$(...)`) are kept as written.
    pub value: String,
    /// Some part of the word was quoted or escaped.
    pub quoted: bool,
    /// The word contains an expansion (`$`, backtick) whose value is unknown statically.
    pub dynamic: bool,
}

/// An operator that separates two commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Separator {
    pub op: &'static str,
    pub range: Range<usize>,
}

/// One simple command: `VAR=x cmd arg arg > file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `VAR=value` prefixes.
    pub assigns: Vec<Word>,
    /// The command name and its arguments (reserved words such as `then` or `do` removed).
    pub words: Vec<Word>,
    /// Raw ranges of redirections, each with its target.
    pub redirects: Vec<Range<usize>>,
    /// Raw range from the first to the last token of the command.
    pub range: Range<usize>,
    pub before: Option<Separator>,
    pub after: Option<Separator>,
}

impl SimpleCommand {
    /// The command name, if any.
    pub fn name(&self) -> Option<&Word> {
        self.words.first()
    }

    /// Whether an assignment prefix sets `var`.
    pub fn assigns_var(&self, var: &str) -> bool {
        self.assigns
            .iter()
            .any(|w| w.value.split_once('=').is_some_and(|(k, _)| k == var))
    }
}

/// A lexed shell script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<SimpleCommand>,
    /// A quote, `$(`, `${`, `$'` or backtick runs to the end of the text unclosed. The shell rejects
    /// such a script, and anything appended to it would land inside the open quote.
    pub unterminated: bool,
}

#[derive(Debug)]
enum Tok {
    Word(Word),
    Sep(Separator),
    Redirect(Range<usize>),
}

const RESERVED_PREFIX: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time",
];

/// Lexes raw text into a [`Script`].
pub fn parse(text: &str, range: Range<usize>, mode: Mode) -> Script {
    let logical = Logical::new(text, range, mode);
    let mut unterminated = false;
    let toks = lex(&logical, mode == Mode::Plain, &mut unterminated);
    let mut script = group(toks);
    script.unterminated = unterminated;
    script
}

fn group(toks: Vec<Tok>) -> Script {
    let mut commands = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut before: Option<Separator> = None;
    let flush = |cur: &mut Vec<Tok>,
                 before: &mut Option<Separator>,
                 after: Option<Separator>,
                 commands: &mut Vec<SimpleCommand>| {
        let toks = std::mem::take(cur);
        let b = before.take();
        *before = after.clone();
        if toks.is_empty() {
            return;
        }
        let start = match &toks[0] {
            Tok::Word(w) => w.range.start,
            Tok::Redirect(r) | Tok::Sep(Separator { range: r, .. }) => r.start,
        };
        let end = match toks.last() {
            Some(Tok::Word(w)) => w.range.end,
            Some(Tok::Redirect(r)) | Some(Tok::Sep(Separator { range: r, .. })) => r.end,
            None => start,
        };
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) => words.push(w),
                Tok::Redirect(r) => redirects.push(r),
                Tok::Sep(_) => {}
            }
        }
        let mut i = 0;
        while i < words.len()
            && !words[i].quoted
            && RESERVED_PREFIX.contains(&words[i].value.as_str())
        {
            i += 1;
        }
        let mut rest = words.split_off(i);
        let n_assigns = rest.iter().take_while(|w| is_assignment(w)).count();
        let assigns: Vec<Word> = rest.drain(..n_assigns).collect();
        commands.push(SimpleCommand {
            assigns,
            words: rest,
            redirects,
            range: start..end,
            before: b,
            after,
        });
    };
    for t in toks {
        match t {
            Tok::Sep(s) => {
                let s2 = s.clone();
                flush(&mut cur, &mut before, Some(s2), &mut commands);
                before = Some(s);
            }
            other => cur.push(other),
        }
    }
    flush(&mut cur, &mut before, None, &mut commands);
    Script {
        commands,
        unterminated: false,
    }
}

fn is_assignment(w: &Word) -> bool {
    let Some((name, _)) = w.value.split_once('=') else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()))
}

fn lex(l: &Logical, plain: bool, unterminated: &mut bool) -> Vec<Tok> {
    let b = &l.bytes;
    let n = b.len();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if plain && b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' => {
                toks.push(Tok::Sep(Separator {
                    op: "\n",
                    range: l.raw_range(i..i + 1),
                }));
                i += 1;
            }
            b'#' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'&' | b'|' | b';' | b'(' | b')' => {
                let two = b.get(i + 1).copied();
                let (op, len): (&'static str, usize) = match (c, two) {
                    (b'&', Some(b'&')) => ("&&", 2),
                    (b'&', Some(b'>')) => {
                        i = lex_redirect(l, i, &mut toks, unterminated);
                        continue;
                    }
                    (b'|', Some(b'|')) => ("||", 2),
                    (b'|', Some(b'&')) => ("|&", 2),
                    (b';', Some(b';')) => (";;", 2),
                    (b'&', _) => ("&", 1),
                    (b'|', _) => ("|", 1),
                    (b';', _) => (";", 1),
                    (b'(', _) => ("(", 1),
                    _ => (")", 1),
                };
                toks.push(Tok::Sep(Separator {
                    op,
                    range: l.raw_range(i..i + len),
                }));
                i += len;
            }
            b'<' | b'>' => {
                // A word made only of digits right before the operator is its file descriptor.
                if let Some(Tok::Word(w)) = toks.last()
                    && !w.quoted
                    && !w.value.is_empty()
                    && w.value.bytes().all(|d| d.is_ascii_digit())
                    && i > 0
                    && l.map[i - 1] + 1 == l.map[i]
                    && w.range.end == l.map[i]
                    && !matches!(b[i - 1], b' ' | b'\t')
                {
                    toks.pop();
                }
                i = lex_redirect(l, i, &mut toks, unterminated);
            }
            _ => {
                let (w, next) = lex_word(l, i, plain, unterminated);
                toks.push(Tok::Word(w));
                i = next;
            }
        }
    }
    toks
}

/// Lexes a redirection operator at `i` and its target word; returns the next position.
fn lex_redirect(l: &Logical, start: usize, toks: &mut Vec<Tok>, unterminated: &mut bool) -> usize {
    let b = &l.bytes;
    let n = b.len();
    let mut i = start;
    while i < n && matches!(b[i], b'<' | b'>' | b'&' | b'|' | b'-') && i - start < 3 {
        i += 1;
    }
    let op_end = i;
    while i < n && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    let mut end = op_end;
    if i < n && !matches!(b[i], b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>') {
        let (_, next) = lex_word(l, i, false, unterminated);
        end = next;
        i = next;
    } else {
        i = op_end;
    }
    toks.push(Tok::Redirect(l.raw_range(start..end)));
    i
}

/// Lexes one word starting at `start`; returns it and the position after it.
/// Sets `unterminated` when a quote or substitution is still open at the end of the text.
fn lex_word(l: &Logical, start: usize, plain: bool, unterminated: &mut bool) -> (Word, usize) {
    let b = &l.bytes;
    let n = b.len();
    let mut i = start;
    let mut value: Vec<u8> = Vec::new();
    let mut quoted = false;
    let mut dynamic = false;
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'&' | b'|' | b';' | b'(' | b')' | b'<' | b'>' => break,
            b'\\' => {
                if plain && b.get(i + 1) == Some(&b'\n') {
                    i += 2;
                    continue;
                }
                quoted = true;
                if let Some(&next) = b.get(i + 1) {
                    value.push(next);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            b'\'' => {
                quoted = true;
                i += 1;
                while i < n && b[i] != b'\'' {
                    value.push(b[i]);
                    i += 1;
                }
                *unterminated |= i >= n;
                i += 1;
            }
            b'"' => {
                quoted = true;
                i += 1;
                while i < n && b[i] != b'"' {
                    match b[i] {
                        b'\\'
                            if matches!(b.get(i + 1), Some(b'"' | b'\\' | b'$' | b'`' | b'\n')) =>
                        {
                            if b[i + 1] != b'\n' {
                                value.push(b[i + 1]);
                            }
                            i += 2;
                        }
                        b'$' if b.get(i + 1) == Some(&b'(') => {
                            dynamic = true;
                            let end = skip_balanced(b, i + 1, unterminated);
                            value.extend_from_slice(&b[i..end]);
                            i = end;
                        }
                        b'$' | b'`' => {
                            dynamic = true;
                            value.push(b[i]);
                            i += 1;
                        }
                        other => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                *unterminated |= i >= n;
                i += 1;
            }
            b'$' => {
                dynamic = true;
                let end = match b.get(i + 1) {
                    Some(b'(') => skip_balanced(b, i + 1, unterminated),
                    Some(b'{') => b[i + 1..]
                        .iter()
                        .position(|&x| x == b'}')
                        .map_or_else(|| open_to_end(n, unterminated), |p| i + 1 + p + 1),
                    Some(b'\'') => {
                        quoted = true;
                        b[i + 2..]
                            .iter()
                            .position(|&x| x == b'\'')
                            .map_or_else(|| open_to_end(n, unterminated), |p| i + 2 + p + 1)
                    }
                    _ => i + 1,
                };
                value.extend_from_slice(&b[i..end.min(n)]);
                i = end.min(n);
            }
            b'`' => {
                dynamic = true;
                let end = b[i + 1..]
                    .iter()
                    .position(|&x| x == b'`')
                    .map_or_else(|| open_to_end(n, unterminated), |p| i + 1 + p + 1);
                value.extend_from_slice(&b[i..end]);
                i = end;
            }
            _ => {
                value.push(c);
                i += 1;
            }
        }
    }
    let i = i.min(n);
    let word = Word {
        range: l.raw_range(start..i),
        value: String::from_utf8_lossy(&value).into_owned(),
        quoted,
        dynamic,
    };
    (word, i)
}

/// Notes that a construct is still open at the end of the text `n` bytes long; returns `n`.
fn open_to_end(n: usize, unterminated: &mut bool) -> usize {
    *unterminated = true;
    n
}

/// Given `b[open] == b'('`, returns the position after the matching `)` (the end of the text, and
/// `unterminated` set, when there is none).
fn skip_balanced(b: &[u8], open: usize, unterminated: &mut bool) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    open_to_end(b.len(), unterminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(text: &str) -> Vec<Vec<String>> {
        parse(text, 0..text.len(), Mode::Dockerfile { escape: b'\\' })
            .commands
            .iter()
            .map(|c| c.words.iter().map(|w| w.value.clone()).collect())
            .collect()
    }

    #[test]
    fn splits_chains_and_keeps_quotes_whole() {
        assert_eq!(
            cmds("apt-get update && pip install 'a b' || echo \"pip install x\"; ls | wc"),
            vec![
                vec!["apt-get", "update"],
                vec!["pip", "install", "a b"],
                vec!["echo", "pip install x"],
                vec!["ls"],
                vec!["wc"],
            ]
        );
    }

    #[test]
    fn words_map_back_across_continuations_and_comment_lines() {
        let t = "pip install \\\n  # a comment\n\n    flask \\\n   && echo hi";
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
        let flask = &s.commands[0].words[2];
        assert_eq!(&t[flask.range.clone()], "flask");
        assert_eq!(s.commands[1].words[0].value, "echo");
        assert_eq!(
            &t[s.commands[0].range.clone()],
            &t[0..t.find("flask").unwrap() + 5]
        );
    }

    #[test]
    fn backtick_escape_and_crlf() {
        let t = "pip install `\r\n  flask\r\n";
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'`' });
        let w: Vec<_> = s.commands[0]
            .words
            .iter()
            .map(|w| &t[w.range.clone()])
            .collect();
        assert_eq!(w, ["pip", "install", "flask"]);
    }

    #[test]
    fn assignments_reserved_words_and_redirects() {
        let t = "if true; then PIP_X=1 pip install -r req.txt 2>/dev/null >log; fi";
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
        let c = &s.commands[1];
        assert_eq!(c.assigns[0].value, "PIP_X=1");
        let w: Vec<_> = c.words.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(w, ["pip", "install", "-r", "req.txt"]);
        assert_eq!(c.redirects.len(), 2);
    }

    #[test]
    fn comment_runs_to_end_of_logical_line() {
        let t = "apt-get install x # note \\\n  && rm -rf y";
        assert_eq!(cmds(t), vec![vec!["apt-get", "install", "x"]]);
    }

    #[test]
    fn substitutions_stay_in_one_word() {
        assert_eq!(
            cmds("echo $(cat a | wc -l) ${X:-a b} `id -u`"),
            vec![vec!["echo", "$(cat a | wc -l)", "${X:-a b}", "`id -u`"]]
        );
    }

    #[test]
    fn dangling_continuation_at_the_end_is_not_a_word() {
        for (t, escape) in [
            ("npm install \\", b'\\'),
            ("npm install \\  ", b'\\'),
            ("npm install \\\n", b'\\'),
            ("npm install \\\r\n", b'\\'),
            ("npm install `", b'`'),
        ] {
            let s = parse(t, 0..t.len(), Mode::Dockerfile { escape });
            let c = &s.commands[0];
            let w: Vec<_> = c.words.iter().map(|w| w.value.as_str()).collect();
            assert_eq!(w, ["npm", "install"], "{t:?}");
            assert_eq!(&t[c.range.clone()], "npm install", "{t:?}");
        }
    }

    #[test]
    fn never_panics_on_unterminated_input() {
        for t in ["'", "\"", "$(", "`", "\\", "a >", "${", "$'", "<<", "&>"] {
            let _ = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
            let _ = parse(t, 0..t.len(), Mode::Plain);
        }
    }
}
