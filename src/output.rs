//! Rendering: unified diffs (plain or coloured) and the per-file summary.

use std::io::IsTerminal;

use similar::TextDiff;

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Resolves `auto` for a stream: colour only on a terminal and when NO_COLOR is unset.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    pub fn stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
    }

    pub fn stderr(self) -> bool {
        self.enabled(std::io::stderr().is_terminal())
    }
}

/// A unified diff with `--- a/PATH` / `+++ b/PATH` headers (`/dev/null` for a new file).
pub fn unified_diff(old: Option<&str>, new: &str, path: &str) -> String {
    let path = path.trim_start_matches("./");
    let a = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let b = format!("b/{path}");
    let old = old.unwrap_or("");
    let diff = TextDiff::from_lines(old, new);
    let mut s = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&a, &b)
        .to_string();
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Colours a unified diff for a terminal.
pub fn colorize_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 256);
    for line in diff.split_inclusive('\n') {
        let (start, end) = if line.starts_with("+++") || line.starts_with("---") {
            ("\x1b[1m", "\x1b[0m")
        } else if line.starts_with('+') {
            ("\x1b[32m", "\x1b[0m")
        } else if line.starts_with('-') {
            ("\x1b[31m", "\x1b[0m")
        } else if line.starts_with("@@") {
            ("\x1b[36m", "\x1b[0m")
        } else {
            ("", "")
        };
        let body = line.trim_end_matches('\n');
        out.push_str(start);
        out.push_str(body);
        out.push_str(end);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Small styling helper for the summary.
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_headers_for_git_apply() {
        let d = unified_diff(Some("a\nb\n"), "a\nc\n", "./x/Dockerfile");
        assert!(
            d.starts_with("--- a/x/Dockerfile\n+++ b/x/Dockerfile\n@@"),
            "{d}"
        );
        let n = unified_diff(None, "x\n", ".dockerignore");
        assert!(n.starts_with("--- /dev/null\n+++ b/.dockerignore\n"), "{n}");
        assert_eq!(unified_diff(Some("same\n"), "same\n", "f"), "");
    }
}
