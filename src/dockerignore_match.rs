//! `.dockerignore` matching with Docker's own semantics, so that passes can ask "is this path excluded
//! from the build context?".
//!
//! Docker (the CLI, BuildKit, buildx) reads an ignore file with moby's `ignorefile.ReadAll` and matches
//! paths with moby's `patternmatcher`. Those rules are not gitignore's:
//! - a line whose first byte is `#` is a comment (only in column 1); the rest is trimmed; a leading `!`
//!   makes an exception; the pattern is cleaned like Go's `filepath.Clean` and a leading `/` is dropped,
//!   so `/foo/bar/`, `./foo/bar` and `foo/bar` are the same pattern;
//! - the glob is Go's `filepath.Match` (`*` and `?` never cross `/`, `[...]` classes negated with `^`,
//!   `\` escapes) plus `**`, which matches any number of directories, including none;
//! - a pattern is anchored at the context root: `*.md` excludes `README.md` but not `docs/x.md`;
//! - a pattern that matches a directory also excludes everything below it;
//! - the last matching line wins, so `!` lines re-include what an earlier line excluded;
//! - a bare `!` or a malformed glob makes the whole file invalid (the build fails).
//!
//! No crate implements these rules: the Rust ignore crates (`ignore`, `gitignored`, ...) implement
//! gitignore, where an unanchored `*.md` matches at any depth and a trailing `/` means "directory only",
//! and `use-dockerignore` only classifies lines. So this is a port of the behaviour (not the code) of
//! `patternmatcher`: each pattern is classified as an exact, prefix, suffix or regular-expression match
//! exactly as `patternmatcher` does (its fast paths differ from the regex in corner cases such as `**foo`,
//! and Docker uses the fast paths), and the regular expression Docker would build is compiled with the
//! `regex` crate after translating Go RE2 syntax (character classes, escapes) to Rust's.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

/// Why an ignore file is invalid for Docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// 1-based line number in the ignore file (0 when the pattern did not come from a file).
    pub line: usize,
    pub pattern: String,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: `{}`: {}",
            self.line, self.pattern, self.message
        )
    }
}

#[derive(Debug, Clone)]
enum MatchKind {
    /// The path equals the cleaned pattern.
    Exact,
    /// `foo/**`: the path starts with the pattern minus its trailing `**`.
    Prefix(String),
    /// `**/foo`: the path ends with the pattern minus its leading `**` (or equals `foo`).
    Suffix(String),
    /// Shared, so that every copy of a remembered pattern shares the regex's match caches too.
    Regex(Arc<Regex>),
    /// A pattern Docker would reject; it never matches here.
    Invalid,
}

/// One line of an ignore file.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The cleaned pattern, without the `!`.
    pub text: String,
    /// An exception (`!pattern`): a match re-includes the path.
    pub exception: bool,
    /// 1-based line in the file (0 when built from a bare pattern).
    pub line: usize,
    kind: MatchKind,
}

impl Pattern {
    /// Compiles one cleaned pattern (no `!`) the way `patternmatcher` does.
    pub fn new(text: &str) -> Result<Pattern, String> {
        let kind = compile_cached(text)?;
        Ok(Pattern {
            text: text.to_string(),
            exception: false,
            line: 0,
            kind,
        })
    }

    /// Whether the pattern matches `path` itself (no parent directories considered).
    pub fn matches(&self, path: &str) -> bool {
        match &self.kind {
            MatchKind::Exact => path == self.text,
            MatchKind::Prefix(p) => path.starts_with(p.as_str()),
            MatchKind::Suffix(s) => {
                path.ends_with(s.as_str()) || (s.starts_with('/') && path == &s[1..])
            }
            MatchKind::Regex(re) => re.is_match(path),
            MatchKind::Invalid => false,
        }
    }

    /// Whether the pattern matches `path` or one of its parent directories (how a pattern that names a
    /// directory excludes everything below it).
    pub fn matches_or_parent(&self, path: &str) -> bool {
        if self.matches(path) {
            return true;
        }
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            if self.matches(&path[..end]) {
                return true;
            }
            end += 1;
        }
        false
    }

    /// Whether the pattern has a wildcard (`*`, `?`, `[`).
    pub fn has_wildcard(&self) -> bool {
        self.text.contains(['*', '?', '['])
    }
}

/// The patterns of one ignore file, evaluated the way Docker does.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<Pattern>,
    errors: Vec<PatternError>,
}

impl Matcher {
    /// Parses an ignore file leniently: invalid lines are recorded in [`Matcher::errors`] and never match.
    /// Docker itself refuses to build with such a file; use [`Matcher::try_parse`] to refuse too.
    pub fn parse(text: &str) -> Matcher {
        let mut m = Matcher::default();
        for (line, raw) in read_lines(text) {
            m.push(line, &raw);
        }
        m
    }

    /// Parses an ignore file and fails on the first line Docker would reject.
    pub fn try_parse(text: &str) -> Result<Matcher, PatternError> {
        let m = Matcher::parse(text);
        match m.errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(m),
        }
    }

    /// Appends one pattern as it would be written on a line (`node_modules`, `!README.md`).
    pub fn push_line(&mut self, line_text: &str) {
        let n = self.patterns.len() + self.errors.len() + 1;
        for (_, raw) in read_lines(line_text) {
            self.push(n, &raw);
        }
    }

    fn push(&mut self, line: usize, raw: &str) {
        // patternmatcher.New: trim, clean (with the `!` still on), split off the `!`.
        let p = raw.trim();
        if p.is_empty() {
            return;
        }
        let p = go_clean(p);
        let (exception, body) = match p.strip_prefix('!') {
            Some(rest) => (true, rest.to_string()),
            None => (false, p.clone()),
        };
        if exception && body.is_empty() {
            self.errors.push(PatternError {
                line,
                pattern: raw.to_string(),
                message: "illegal exclusion pattern: \"!\"".into(),
            });
            return;
        }
        match Pattern::new(&body) {
            Ok(mut pat) => {
                pat.exception = exception;
                pat.line = line;
                self.patterns.push(pat);
            }
            Err(message) => {
                self.errors.push(PatternError {
                    line,
                    pattern: raw.to_string(),
                    message,
                });
                self.patterns.push(Pattern {
                    text: body,
                    exception,
                    line,
                    kind: MatchKind::Invalid,
                });
            }
        }
    }

    /// Lines Docker would reject.
    pub fn errors(&self) -> &[PatternError] {
        &self.errors
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any line is an exception (`!pattern`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `rel_path` (relative to the context root, `/`-separated) is excluded from the build
    /// context: the last pattern matching the path or one of its parent directories decides.
    pub fn excluded(&self, rel_path: &str) -> bool {
        self.deciding_pattern(rel_path).is_some()
    }

    /// When `rel_path` is excluded, the index (into [`Matcher::patterns`]) of the pattern that excluded
    /// it last.
    pub fn deciding_pattern(&self, rel_path: &str) -> Option<usize> {
        let path = normalize_path(rel_path)?;
        let mut matched = None;
        for (i, p) in self.patterns.iter().enumerate() {
            // Like patternmatcher: an inclusion is only evaluated while unmatched, an exception only
            // while matched.
            if p.exception != matched.is_some() {
                continue;
            }
            if p.matches_or_parent(&path) {
                matched = if p.exception { None } else { Some(i) };
            }
        }
        matched
    }

    /// Like [`Matcher::excluded`] but without parent directories (`patternmatcher.MatchesExact`).
    pub fn excluded_exact(&self, rel_path: &str) -> bool {
        let Some(path) = normalize_path(rel_path) else {
            return false;
        };
        let mut matched = false;
        for p in &self.patterns {
            if p.exception != matched {
                continue;
            }
            if p.matches(&path) {
                matched = !p.exception;
            }
        }
        matched
    }
}

/// The ignore file BuildKit uses for a build: `<Dockerfile name>.dockerignore` next to the Dockerfile
/// when it exists, otherwise `.dockerignore` at the context root.
pub fn ignore_file_for(
    context_dir: &std::path::Path,
    dockerfile: Option<&std::path::Path>,
) -> std::path::PathBuf {
    if let Some(df) = dockerfile
        && let Some(name) = df.file_name()
    {
        let mut n = name.to_os_string();
        n.push(".dockerignore");
        let specific = df.with_file_name(n);
        if specific.is_file() {
            return specific;
        }
    }
    context_dir.join(".dockerignore")
}

/// The matcher of the ignore file that applies to a build (see [`ignore_file_for`]); `None` when there
/// is no such file or it cannot be read as UTF-8.
pub fn load_for(
    context_dir: &std::path::Path,
    dockerfile: Option<&std::path::Path>,
) -> Option<Matcher> {
    let path = ignore_file_for(context_dir, dockerfile);
    let text = std::fs::read_to_string(path).ok()?;
    Some(Matcher::parse(&text))
}

/// Cleans a path the way BuildKit does before matching; `None` for the context root itself.
fn normalize_path(p: &str) -> Option<String> {
    let c = go_clean(p);
    let c = c.trim_start_matches('/');
    if c.is_empty() || c == "." {
        None
    } else {
        Some(c.to_string())
    }
}

/// `ignorefile.ReadAll`: the patterns of a file with their 1-based line numbers.
fn read_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Comments only in column 1, checked before trimming.
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut p = String::new();
        if !pattern.is_empty() {
            p = go_clean(pattern);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
        }
        if invert {
            p.insert(0, '!');
        }
        out.push((i + 1, p));
    }
    out
}

/// Go's `filepath.Clean` for `/`-separated paths.
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let b = path.as_bytes();
    let rooted = b[0] == b'/';
    let n = b.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        // An empty element or a `.` element.
        if b[r] == b'/' || (b[r] == b'.' && (r + 1 == n || b[r + 1] == b'/')) {
            r += 1;
        } else if b[r] == b'.' && b.get(r + 1) == Some(&b'.') && (r + 2 == n || b[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                out.pop();
                while out.len() > dotdot && out[out.len() - 1] != b'/' {
                    out.pop();
                }
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && b[r] != b'/' {
                out.push(b[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return ".".into();
    }
    // Only whole ASCII bytes were removed, so the rest is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The syntax check `patternmatcher.New` runs through `filepath.Match(pattern, ".")`: unterminated or
/// empty character classes, a class starting with `-` or `]`, and a trailing `\` are errors.
fn validate_go_match(p: &str) -> Result<(), String> {
    let bad = |what: &str| Err(format!("syntax error in pattern: {what}"));
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return bad("trailing backslash");
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut nrange = 0;
                loop {
                    match chars.get(i) {
                        None => return bad("unterminated character class"),
                        Some(']') if nrange > 0 => {
                            i += 1;
                            break;
                        }
                        _ => {}
                    }
                    // One class character (low end of a range).
                    i = class_char(&chars, i).ok_or("syntax error in pattern: bad class")?;
                    if chars.get(i) == Some(&'-') {
                        i = class_char(&chars, i + 1)
                            .ok_or("syntax error in pattern: bad class range")?;
                    }
                    nrange += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Reads one character of a `filepath.Match` class at `i`; returns the index after it.
fn class_char(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i)? {
        '-' | ']' => None,
        '\\' => chars.get(i + 1).map(|_| i + 2),
        _ => Some(i + 1),
    }
}

/// Characters `patternmatcher` escapes because they are regex syntax but plain in `filepath.Match`.
fn should_escape(c: char) -> bool {
    matches!(c, '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$')
}

/// [`validate_go_match`] and [`compile`], remembered per process: the dockerignore pass matches the same table patterns on every
/// round and for every Dockerfile, and compiling their regexes was most of a small file's run.
fn compile_cached(pattern: &str) -> Result<MatchKind, String> {
    static SEEN: LazyLock<Mutex<HashMap<String, Result<MatchKind, String>>>> =
        LazyLock::new(Default::default);
    if let Some(k) = SEEN.lock().expect("pattern cache").get(pattern) {
        return k.clone();
    }
    let k = validate_go_match(pattern).and_then(|()| compile(pattern));
    let mut seen = SEEN.lock().expect("pattern cache");
    // Bounded: a huge ignore file of distinct lines is compiled, not remembered.
    if seen.len() < 4096 {
        seen.insert(pattern.to_string(), k.clone());
    }
    k
}

/// `patternmatcher`'s compile: classify the pattern and build the RE2 expression Docker would use.
fn compile(pattern: &str) -> Result<MatchKind, String> {
    #[derive(PartialEq)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut kind = T::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let mut i = 0;
    while pos < chars.len() {
        let ch = chars[pos];
        pos += 1;
        if ch == '*' {
            if chars.get(pos) == Some(&'*') {
                pos += 1;
                if chars.get(pos) == Some(&'/') {
                    pos += 1;
                }
                if pos >= chars.len() {
                    if kind == T::Exact {
                        kind = T::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = T::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = T::Regex;
                }
                if i == 0 {
                    kind = T::Suffix;
                }
            } else {
                re.push_str("[^/]*");
                kind = T::Regex;
            }
        } else if ch == '?' {
            re.push_str("[^/]");
            kind = T::Regex;
        } else if should_escape(ch) {
            re.push('\\');
            re.push(ch);
        } else if ch == '\\' {
            if pos < chars.len() {
                re.push('\\');
                re.push(chars[pos]);
                pos += 1;
                kind = T::Regex;
            } else {
                re.push('\\');
            }
        } else if ch == '[' || ch == ']' {
            re.push(ch);
            kind = T::Regex;
        } else {
            re.push(ch);
        }
        i += 1;
    }
    Ok(match kind {
        T::Exact => MatchKind::Exact,
        T::Prefix => MatchKind::Prefix(pattern[..pattern.len() - 2].to_string()),
        T::Suffix => MatchKind::Suffix(pattern[2..].to_string()),
        T::Regex => {
            re.push('$');
            let rust = re2_to_rust(&re)?;
            MatchKind::Regex(Arc::new(Regex::new(&rust).map_err(|e| {
                format!(
                    "invalid pattern: {}",
                    e.to_string().lines().last().unwrap_or("")
                )
            })?))
        }
    })
}

/// Translates the RE2 expression `patternmatcher` builds into the `regex` crate's syntax. Outside
/// classes only `patternmatcher`'s own constructs (`(.*/)?`, `.*`, `[^/]*`) and the user's `^`, `[`,
/// `]` and `\x` escapes can appear; classes are parsed with RE2's rules (a leading `]` is literal, `[`
/// is literal unless it opens `[:name:]`) and written out with every literal escaped, so Rust's nested
/// classes and set operators (`&&`, `--`, `~~`) never come into play.
fn re2_to_rust(re: &str) -> Result<String, String> {
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::with_capacity(re.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' | ')' | '?' | '*' | '.' | '^' | '$' => {
                out.push(c);
                i += 1;
            }
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("invalid pattern: trailing backslash".into());
                };
                out.push_str(&escape_outside(e)?);
                i += 2;
            }
            '[' => {
                let (class, next) = parse_class(&chars, i)?;
                out.push_str(&class);
                i = next;
            }
            _ => {
                out.push_str(&regex::escape(&c.to_string()));
                i += 1;
            }
        }
    }
    Ok(out)
}

/// An RE2 escape outside a class, as Rust syntax. Perl classes are ASCII in RE2.
fn escape_outside(e: char) -> Result<String, String> {
    Ok(match e {
        'd' => "[0-9]".into(),
        'D' => "[^0-9]".into(),
        's' => "[\\t\\n\\f\\r ]".into(),
        'S' => "[^\\t\\n\\f\\r ]".into(),
        'w' => "[0-9A-Za-z_]".into(),
        'W' => "[^0-9A-Za-z_]".into(),
        'b' => "(?-u:\\b)".into(),
        'B' => "(?-u:\\B)".into(),
        'A' => "\\A".into(),
        'z' => "\\z".into(),
        'a' => "\\x07".into(),
        'f' => "\\x0C".into(),
        't' => "\\t".into(),
        'n' => "\\n".into(),
        'r' => "\\r".into(),
        'v' => "\\x0B".into(),
        c if c.is_ascii_punctuation() => regex::escape(&c.to_string()),
        c => return Err(format!("unsupported escape `\\{c}` in pattern")),
    })
}

/// The members an RE2 Perl class escape adds inside a class, as Rust class items.
fn perl_in_class(e: char) -> Option<&'static str> {
    Some(match e {
        'd' => "0-9",
        's' => "\\t\\n\\x0C\\r ",
        'w' => "0-9A-Za-z_",
        _ => return None,
    })
}

/// Parses an RE2 character class starting at `chars[start] == '['`; returns Rust syntax and the index
/// after the closing `]`.
fn parse_class(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut i = start + 1;
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    let mut items = 0;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("invalid pattern: missing closing ]".into());
        };
        if c == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        // POSIX class [:name:].
        if c == '['
            && chars.get(i + 1) == Some(&':')
            && let Some(end) = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
        {
            let name: String = chars[i + 2..end].iter().collect();
            let known = [
                "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print",
                "punct", "space", "upper", "word", "xdigit",
            ];
            let bare = name.strip_prefix('^').unwrap_or(&name);
            if !known.contains(&bare) {
                return Err(format!("invalid pattern: unknown class [:{name}:]"));
            }
            out.push_str(&format!("[:{name}:]"));
            i = end + 2;
            items += 1;
            continue;
        }
        // A Perl class inside the class (`\d`); negated ones are not supported.
        if c == '\\'
            && let Some(&e) = chars.get(i + 1)
            && let Some(s) = perl_in_class(e)
        {
            out.push_str(s);
            i += 2;
            items += 1;
            continue;
        }
        let (lo, next) = class_literal(chars, i)?;
        i = next;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let (hi, next) = class_literal(chars, i + 1)?;
            i = next;
            if hi < lo {
                return Err("invalid pattern: invalid character class range".into());
            }
            out.push_str(&regex::escape(&lo.to_string()));
            out.push('-');
            out.push_str(&regex::escape(&hi.to_string()));
        } else {
            out.push_str(&regex::escape(&lo.to_string()));
        }
        items += 1;
    }
    if items == 0 {
        return Err("invalid pattern: empty class".into());
    }
    out.push(']');
    Ok((out, i))
}

/// One literal character of an RE2 class (possibly escaped).
fn class_literal(chars: &[char], i: usize) -> Result<(char, usize), String> {
    match chars.get(i) {
        None => Err("invalid pattern: missing closing ]".into()),
        Some('\\') => match chars.get(i + 1) {
            None => Err("invalid pattern: trailing backslash".into()),
            Some('a') => Ok(('\x07', i + 2)),
            Some('f') => Ok(('\x0C', i + 2)),
            Some('t') => Ok(('\t', i + 2)),
            Some('n') => Ok(('\n', i + 2)),
            Some('r') => Ok(('\r', i + 2)),
            Some('v') => Ok(('\x0B', i + 2)),
            Some(&c) if c.is_ascii_punctuation() => Ok((c, i + 2)),
            Some(&c) => Err(format!("unsupported escape `\\{c}` in a class")),
        },
        Some(&c) => Ok((c, i + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Matcher {
        Matcher::try_parse(text).unwrap()
    }

    #[test]
    fn clean_like_go() {
        for (a, b) in [
            ("", "."),
            ("a/b/", "a/b"),
            ("./a", "a"),
            ("/a/../b", "/b"),
            ("a//b/./c", "a/b/c"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("/..", "/"),
            ("!foo/", "!foo"),
        ] {
            assert_eq!(go_clean(a), b, "{a}");
        }
    }

    #[test]
    fn read_lines_normalises_like_ignorefile() {
        let lines: Vec<String> = read_lines(
            "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ",
        )
        .into_iter()
        .map(|(_, p)| p)
        .collect();
        assert_eq!(
            lines,
            [
                "test1",
                "test2",
                "a/file/here",
                "lastfile",
                "!inverted/abs/path",
                "!",
                "!"
            ]
        );
        assert!(Matcher::try_parse("a\n!\n").is_err());
        // A `#` after column 1 is a pattern, not a comment.
        assert!(m(" #x").excluded("#x"));
    }

    #[test]
    fn kinds_follow_patternmatcher() {
        // Fast paths: `**foo` is a suffix match (so it matches `xfoo`), unlike its regex.
        assert!(m("**foo").excluded("xfoo"));
        assert!(m("**/foo").excluded("foo"));
        assert!(m("**/foo").excluded("a/b/foo"));
        assert!(!m("**/foo").excluded("afoo"));
        assert!(m("foo/**").excluded("foo/x/y"));
        assert!(m("**").excluded("anything/at/all"));
        assert!(m("a/**/b").excluded("a/b"));
        assert!(m("a/**/b").excluded("a/x/y/b"));
        assert!(!m("a/**/b").excluded("ab"));
        assert!(m("**/*.pyc").excluded("x.pyc"));
        assert!(m("**/*.pyc").excluded("a/b/x.pyc"));
    }

    #[test]
    fn globs_and_classes() {
        assert!(m("*.md").excluded("README.md"));
        assert!(!m("*.md").excluded("docs/x.md"));
        assert!(m("temp?").excluded("tempa"));
        assert!(!m("temp?").excluded("temp/a"));
        assert!(m("file[0-9].txt").excluded("file7.txt"));
        assert!(!m("file[^0-9].txt").excluded("file7.txt"));
        assert!(m("file[^0-9].txt").excluded("filex.txt"));
        assert!(m("a\\*b").excluded("a*b"));
        assert!(!m("a\\*b").excluded("axb"));
        assert!(m("a.b").excluded("a.b"));
        assert!(!m("a.b").excluded("axb"));
        assert!(m("x+(y)|{z}$").excluded("x+(y)|{z}$"));
        // `[*]` becomes `[[^/]*]` in RE2: a class of `[`, `^`, `/` repeated, then a literal `]`.
        assert!(m("a[*]").excluded("a^]"));
        assert!(m("[[:digit:]]x").excluded("1x"));
    }

    #[test]
    fn invalid_patterns() {
        for p in ["[", "a[]", "[]a]", "a[-z]", "a[a-]", "x\\", "[z-a]", "!"] {
            assert!(Matcher::try_parse(p).is_err(), "{p}");
        }
        let lenient = Matcher::parse("[\nnode_modules\n");
        assert_eq!(lenient.errors().len(), 1);
        assert!(lenient.excluded("node_modules"));
    }

    #[test]
    fn parents_and_exceptions() {
        let ig = m("node_modules\n*\n!src\nsrc/**/*.tmp\n");
        assert!(ig.excluded("node_modules/a/b.js"));
        assert!(ig.excluded("Makefile"));
        assert!(!ig.excluded("src/main.rs"));
        assert!(ig.excluded("src/a/b.tmp"));
        assert!(!ig.excluded("."));
        assert!(!ig.excluded(""));
        assert!(ig.has_exceptions());
        // A leading `/` or `./` in the path is normalised.
        assert!(ig.excluded("./Makefile"));
    }

    #[test]
    fn exact_has_no_parents() {
        let ig = m("target");
        assert!(ig.excluded("target/app.jar"));
        assert!(!ig.excluded_exact("target/app.jar"));
        assert!(ig.excluded_exact("target"));
    }
}
