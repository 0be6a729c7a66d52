//! Recognising well-known commands inside RUN: which simple command is a pip install, an apt-get
//! install, and so on. Shared by every pass that reasons about installs.

use crate::model::Spanned;
use crate::shell::{SimpleCommand, Word};

/// Wrapper commands that run the command after them unchanged.
const WRAPPERS: &[&str] = &["sudo", "exec", "nohup", "command", "builtin"];

/// The file name of a command word (`/usr/local/bin/pip3` -> `pip3`).
pub fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The words of a command after wrappers (`sudo`, `env VAR=x`, `exec`) are removed.
pub fn effective_words(cmd: &SimpleCommand) -> &[Word] {
    let mut w = &cmd.words[..];
    loop {
        let Some(first) = w.first() else { return w };
        let name = basename(&first.value);
        if WRAPPERS.contains(&name) {
            // `sudo -u user cmd`: skip the wrapper's own options.
            w = &w[1..];
            while let Some(f) = w.first() {
                if f.value.starts_with('-') {
                    let takes_value = name == "sudo" && matches!(f.value.as_str(), "-u" | "-g");
                    w = &w[if takes_value { 2.min(w.len()) } else { 1 }..];
                } else {
                    break;
                }
            }
        } else if name == "env" {
            w = &w[1..];
            while let Some(f) = w.first() {
                if f.value.contains('=') || f.value.starts_with('-') {
                    w = &w[1..];
                } else {
                    break;
                }
            }
        } else {
            return w;
        }
    }
}

/// Variables set for a command by `VAR=x` prefixes or `env VAR=x`.
pub fn command_env(cmd: &SimpleCommand) -> impl Iterator<Item = (&str, &str)> {
    let env_words = cmd
        .words
        .iter()
        .take_while(|w| {
            let b = basename(&w.value);
            b == "env" || WRAPPERS.contains(&b) || w.value.contains('=') || w.value.starts_with('-')
        })
        .filter(|w| w.value.contains('=') && !w.value.starts_with('-'));
    cmd.assigns
        .iter()
        .chain(env_words)
        .filter_map(|w| w.value.split_once('='))
}

/// Whether a word is a pip executable: `pip`, `pip3`, `pip3.12`, `/usr/local/bin/pip`.
pub fn is_pip(word: &str) -> bool {
    let b = basename(word);
    let Some(rest) = b.strip_prefix("pip") else {
        return false;
    };
    rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Whether a word is a Python interpreter: `python`, `python3`, `python3.12`, `/opt/venv/bin/python`.
pub fn is_python(word: &str) -> bool {
    let b = basename(word);
    let Some(rest) = b.strip_prefix("python") else {
        return false;
    };
    rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// pip's global options that take a value (so the value is not the subcommand).
const PIP_GLOBAL_WITH_VALUE: &[&str] = &[
    "--python",
    "--log",
    "--log-file",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--src",
    "--use-feature",
    "--use-deprecated",
    "--progress-bar",
    "--root-user-action",
    "--keyring-provider",
];

/// A recognised pip call: the words from the pip subcommand on.
#[derive(Debug, Clone, Copy)]
pub struct PipCall<'c> {
    /// All words after the pip executable (or after `-m pip`), global options included.
    pub args: &'c [Word],
    /// Index into `args` of the subcommand word.
    pub subcommand: usize,
}

impl<'c> PipCall<'c> {
    pub fn subcommand(&self) -> &'c Word {
        &self.args[self.subcommand]
    }

    /// Whether any word (before or after the subcommand) is `flag` or `flag=...`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.args.iter().any(|w| {
            w.value == flag
                || w.value
                    .strip_prefix(flag)
                    .is_some_and(|r| r.starts_with('='))
        })
    }
}

/// Recognises `pip ...`, `python -m pip ...` and `python3.12 -m pip ...` in a simple command.
pub fn pip_call(cmd: &SimpleCommand) -> Option<PipCall<'_>> {
    let words = effective_words(cmd);
    let first = words.first()?;
    if first.dynamic {
        return None;
    }
    let args = if is_pip(&first.value) {
        &words[1..]
    } else if is_python(&first.value) {
        // python [-u|-I|-B...] -m pip
        let mut i = 1;
        while i < words.len() && words[i].value.starts_with('-') && words[i].value != "-m" {
            i += 1;
        }
        if words.get(i)?.value != "-m" || words.get(i + 1)?.value != "pip" {
            return None;
        }
        &words[i + 2..]
    } else {
        return None;
    };
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if !v.starts_with('-') {
            return Some(PipCall {
                args,
                subcommand: i,
            });
        }
        i += if PIP_GLOBAL_WITH_VALUE.contains(&v) {
            2
        } else {
            1
        };
    }
    None
}

/// The same recognition for exec-form arguments (`["pip", "install", "x"]`). Returns the index of
/// the subcommand in `args`.
pub fn pip_exec_subcommand(args: &[Spanned]) -> Option<usize> {
    let first = args.first()?;
    let mut i = if is_pip(&first.value) {
        1
    } else if is_python(&first.value) {
        let mut i = 1;
        while i < args.len() && args[i].value.starts_with('-') && args[i].value != "-m" {
            i += 1;
        }
        if args.get(i)?.value != "-m" || args.get(i + 1)?.value != "pip" {
            return None;
        }
        i + 2
    } else {
        return None;
    };
    while i < args.len() {
        let v = args[i].value.as_str();
        if !v.starts_with('-') {
            return Some(i);
        }
        i += if PIP_GLOBAL_WITH_VALUE.contains(&v) {
            2
        } else {
            1
        };
    }
    None
}

/// A recognised package-manager (or other tool) call: `apt-get -q install -y curl`.
#[derive(Debug, Clone, Copy)]
pub struct ToolCall<'c> {
    /// The program word (`apt-get`, `/usr/bin/dnf`).
    pub program: &'c Word,
    /// All words after the program, options included.
    pub args: &'c [Word],
    /// Index into `args` of the subcommand (the first word that is not an option or an option's value).
    pub subcommand: Option<usize>,
    /// Words that were stripped before the program (`sudo`, `env X=1`, `exec`), as written.
    pub wrappers: &'c [Word],
}

impl<'c> ToolCall<'c> {
    /// The program's file name (`apt-get`).
    pub fn name(&self) -> &'c str {
        basename(&self.program.value)
    }

    pub fn subcommand(&self) -> Option<&'c Word> {
        self.subcommand.map(|i| &self.args[i])
    }

    /// Whether any argument is `flag` or `flag=...` (long options and exact short options).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.args.iter().any(|w| {
            w.value == flag
                || w.value
                    .strip_prefix(flag)
                    .is_some_and(|r| r.starts_with('='))
        })
    }

    /// Whether a short option letter is given, alone (`-y`) or in a cluster (`-qy`).
    pub fn has_short(&self, letter: char) -> bool {
        self.args.iter().any(|w| {
            let v = w.value.as_str();
            v.len() >= 2
                && v.starts_with('-')
                && !v.starts_with("--")
                && v[1..].chars().all(|c| c.is_ascii_alphabetic())
                && v[1..].contains(letter)
        })
    }

    /// Whether the program was reached through a wrapper that changes the user or replaces the shell
    /// (`sudo`, `exec`): a command appended after it would not run the same way.
    pub fn privileged_or_exec(&self) -> Option<&'c str> {
        self.wrappers
            .iter()
            .map(|w| basename(&w.value))
            .find(|b| matches!(*b, "sudo" | "exec" | "doas"))
    }
}

/// Recognises a call of one of `programs` (matched by file name) in a simple command, after wrappers.
/// `options_with_value` lists the options whose value is the next word (`-o`, `-c`), so that value is
/// not taken for the subcommand.
pub fn tool_call<'c>(
    cmd: &'c SimpleCommand,
    programs: &[&str],
    options_with_value: &[&str],
) -> Option<ToolCall<'c>> {
    let words = effective_words(cmd);
    let first = words.first()?;
    if first.dynamic || first.quoted || !programs.contains(&basename(&first.value)) {
        return None;
    }
    let skipped = cmd.words.len() - words.len();
    let args = &words[1..];
    let mut subcommand = None;
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if !v.starts_with('-') || v == "-" {
            subcommand = Some(i);
            break;
        }
        if v == "--" {
            subcommand = (i + 1 < args.len()).then_some(i + 1);
            break;
        }
        i += if options_with_value.contains(&v) {
            2
        } else {
            1
        };
    }
    Some(ToolCall {
        program: first,
        args,
        subcommand,
        wrappers: &cmd.words[..skipped],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::{Mode, parse};

    fn first_pip(t: &str) -> Option<String> {
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
        s.commands
            .iter()
            .find_map(|c| pip_call(c).map(|p| p.subcommand().value.clone()))
    }

    fn first_tool(t: &str) -> Option<(String, Option<String>, usize)> {
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
        s.commands.iter().find_map(|c| {
            tool_call(c, &["apt-get", "apt"], &["-o", "-c", "-t"]).map(|t| {
                (
                    t.name().to_string(),
                    t.subcommand().map(|w| w.value.clone()),
                    t.wrappers.len(),
                )
            })
        })
    }

    #[test]
    fn recognises_tool_calls() {
        assert_eq!(
            first_tool("apt-get install -y x"),
            Some(("apt-get".into(), Some("install".into()), 0))
        );
        assert_eq!(
            first_tool("sudo -E /usr/bin/apt-get -o Dpkg::Options::=--force-confold -qq install x"),
            Some(("apt-get".into(), Some("install".into()), 2))
        );
        assert_eq!(
            first_tool("DEBIAN_FRONTEND=noninteractive apt -y update"),
            Some(("apt".into(), Some("update".into()), 0))
        );
        assert_eq!(first_tool("apt-get -y"), Some(("apt-get".into(), None, 0)));
        assert_eq!(first_tool("echo apt-get install"), None);
        assert_eq!(first_tool("\"apt-get\" install"), None);
        assert_eq!(first_tool("aptitude install x"), None);
    }

    #[test]
    fn short_flag_clusters() {
        let t = "apt-get install -qy --no-install-recommends=1 x";
        let s = parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' });
        let call = tool_call(&s.commands[0], &["apt-get"], &[]).unwrap();
        assert!(call.has_short('y') && call.has_short('q') && !call.has_short('x'));
        assert!(call.has_flag("--no-install-recommends") && !call.has_flag("--no-install"));
    }

    #[test]
    fn recognises_pip_spellings() {
        for t in [
            "pip install x",
            "pip3 install x",
            "pip3.12 install x",
            "/usr/local/bin/pip install x",
            "python -m pip install x",
            "python3 -u -m pip install x",
            "sudo -H pip install x",
            "env A=1 pip --disable-pip-version-check install x",
            "pip --cache-dir /x install y",
        ] {
            assert_eq!(first_pip(t).as_deref(), Some("install"), "{t}");
        }
        for t in [
            "pipenv install",
            "pipx install x",
            "uv pip install x",
            "poetry install",
            "echo pip install",
        ] {
            assert_eq!(first_pip(t), None, "{t}");
        }
    }
}
