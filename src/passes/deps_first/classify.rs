//! What each simple command of a RUN is, as far as moving it before the whole-context copy goes: a
//! dependency install of some ecosystem, a `cd`, a command that reads no project file, or one that
//! may need the project source.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::recognize::{basename, effective_words, is_python};
use crate::shell::{SimpleCommand, Word};

use super::{Eco, Role};

/// The pass's data (`transforms/deps_first.yaml`).
#[derive(Debug, Deserialize)]
pub struct Data {
    pub context_free: Vec<String>,
    pub carry_along: Vec<String>,
    pub absolute_paths_only: Vec<String>,
    pub inert_env: Vec<String>,
    pub installer_env: InstallerEnv,
    pub safe_lifecycle_scripts: BTreeMap<String, Vec<String>>,
    pub ecosystems: BTreeMap<String, EcoData>,
}

/// The installers' environment variables (see `installer_env` in the YAML).
#[derive(Debug, Deserialize)]
pub struct InstallerEnv {
    pub prefixes: Vec<String>,
    pub names: Vec<String>,
    pub not_paths: Vec<String>,
    pub path_suffixes: Vec<String>,
}

impl InstallerEnv {
    /// Whether an installer reads the variable (`name` in upper case).
    pub fn read(&self, name: &str) -> bool {
        !self.not_paths.iter().any(|n| n == name)
            && (self.names.iter().any(|n| n == name)
                || self.prefixes.iter().any(|p| name.starts_with(p.as_str())))
    }

    /// Whether the variable takes a path (`name` in upper case).
    pub fn takes_path(&self, name: &str) -> bool {
        self.path_suffixes
            .iter()
            .any(|s| name.ends_with(s.as_str()))
    }
}

/// Per ecosystem: optional files and directories the install reads, and what it writes.
#[derive(Debug, Deserialize, Default)]
pub struct EcoData {
    pub extra_files: Vec<String>,
    pub extra_dirs: Vec<String>,
    pub outputs: Vec<String>,
}

pub static DATA: LazyLock<Data> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!("../../../transforms/deps_first.yaml"))
        .expect("transforms/deps_first.yaml is valid (checked by a unit test)")
});

impl Data {
    pub fn eco(&self, eco: Eco) -> &EcoData {
        static EMPTY: LazyLock<EcoData> = LazyLock::new(EcoData::default);
        self.ecosystems.get(eco.key()).unwrap_or(&EMPTY)
    }
}

/// An option of a command line, with its value when it takes one.
#[derive(Debug)]
pub struct Opt<'w> {
    pub name: String,
    pub value: Option<String>,
    pub word: &'w Word,
}

/// Command arguments split into options and positionals. `with_value` lists the options that take a
/// value (`-r`, `--requirement`); `--opt=value` and `-rFILE` are understood; `--` ends the options.
#[derive(Debug)]
pub struct Args<'w> {
    pub opts: Vec<Opt<'w>>,
    pub pos: Vec<&'w Word>,
}

impl<'w> Args<'w> {
    pub fn parse(words: &'w [Word], with_value: &[&str]) -> Args<'w> {
        let mut opts = Vec::new();
        let mut pos = Vec::new();
        let mut i = 0;
        let mut only_pos = false;
        while i < words.len() {
            let w = &words[i];
            let v = w.value.as_str();
            i += 1;
            if only_pos || !v.starts_with('-') || v == "-" {
                pos.push(w);
                continue;
            }
            if v == "--" {
                only_pos = true;
                continue;
            }
            if let Some((n, val)) = v.split_once('=')
                && n.starts_with("--")
            {
                opts.push(Opt {
                    name: n.to_string(),
                    value: Some(val.to_string()),
                    word: w,
                });
                continue;
            }
            if with_value.contains(&v) {
                let value = words.get(i).map(|x| x.value.clone());
                i += 1;
                opts.push(Opt {
                    name: v.to_string(),
                    value,
                    word: w,
                });
                continue;
            }
            // `-rFILE`: a short option that takes a value, with the value attached.
            if !v.starts_with("--")
                && v.len() > 2
                && let Some(short) = v.get(..2)
                && with_value.contains(&short)
            {
                opts.push(Opt {
                    name: short.to_string(),
                    value: Some(v[2..].to_string()),
                    word: w,
                });
                continue;
            }
            opts.push(Opt {
                name: v.to_string(),
                value: None,
                word: w,
            });
        }
        Args { opts, pos }
    }

    pub fn has(&self, names: &[&str]) -> bool {
        self.opts.iter().any(|o| names.contains(&o.name.as_str()))
    }

    pub fn values(&self, names: &[&str]) -> Vec<String> {
        self.opts
            .iter()
            .filter(|o| names.contains(&o.name.as_str()))
            .filter_map(|o| o.value.clone())
            .collect()
    }
}

/// Whether a word is a path relative to the working directory (`./x`, `x/y`, `.`), not a URL, an
/// absolute path, a home path or an assignment.
pub fn is_relative_path(v: &str) -> bool {
    if v.is_empty() || v.starts_with('/') || v.starts_with('~') || v.starts_with('$') {
        return false;
    }
    if v.contains("://") || v.contains('=') {
        return false;
    }
    v == "." || v == ".." || v.starts_with("./") || v.starts_with("../") || v.contains('/')
}

/// What one simple command of a RUN is.
pub fn classify(text: &str, cmd: &SimpleCommand) -> Role {
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return if cmd.assigns.is_empty() {
            Role::Free {
                writes: vec![],
                touches: vec![],
            }
        } else {
            Role::Shell
        };
    };
    if first.dynamic {
        return Role::Source(None);
    }
    let mut writes = Vec::new();
    for r in &cmd.redirects {
        match redirect_target(&text[r.clone()]) {
            Redirect::Harmless => {}
            Redirect::Writes(p) => writes.push(p),
            Redirect::Reads(p) => {
                return Role::Source(Some(format!("it reads {p}")));
            }
        }
    }
    let role = super::pip::recognise(words)
        .or_else(|| super::python::recognise(words))
        .or_else(|| super::node::recognise(words))
        .or_else(|| super::go::recognise(words))
        .or_else(|| super::ruby::recognise(words))
        .or_else(|| super::php::recognise(words))
        .or_else(|| super::jvm::recognise(words))
        .unwrap_or_else(|| generic(words));
    // A command substitution may read anything (`$(cat packages.txt)`); an install that says why
    // it cannot move keeps its reason.
    if !matches!(role, Role::Local { .. })
        && let Some(w) = cmd
            .assigns
            .iter()
            .chain(&cmd.words)
            .find(|w| w.value.contains("$(") || w.value.contains('`'))
    {
        return Role::Source(Some(format!("`{}` runs a command substitution", w.value)));
    }
    match role {
        Role::Free {
            writes: mut w,
            touches,
        } => {
            w.extend(writes);
            Role::Free { writes: w, touches }
        }
        Role::Install(mut i) => {
            i.writes.extend(writes);
            Role::Install(i)
        }
        other => other,
    }
}

enum Redirect {
    Harmless,
    Writes(String),
    Reads(String),
}

/// Classifies the raw text of a redirection (`2>&1`, `> /dev/null`, `>out.log`, `< in.txt`).
fn redirect_target(raw: &str) -> Redirect {
    let rest = raw.trim_start_matches(|c: char| c.is_ascii_digit());
    let op_len = rest
        .find(|c: char| !matches!(c, '<' | '>' | '&' | '|' | '-'))
        .unwrap_or(rest.len());
    let (op, target) = rest.split_at(op_len);
    let target = target.trim().trim_matches(|c| c == '"' || c == '\'');
    if op.starts_with("<<") || op.ends_with('&') || target.is_empty() || target.starts_with('&') {
        return Redirect::Harmless;
    }
    if target.starts_with("/dev/") {
        return Redirect::Harmless;
    }
    if op.contains('<') {
        return if target.starts_with('/') {
            Redirect::Harmless
        } else {
            Redirect::Reads(target.to_string())
        };
    }
    Redirect::Writes(target.to_string())
}

/// `test` operators that look at a file.
const FILE_TESTS: &[&str] = &[
    "-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-g", "-u", "-k",
    "-O", "-G", "-N", "-nt", "-ot", "-ef",
];

/// Commands no ecosystem claimed.
fn generic(words: &[Word]) -> Role {
    let data = &*DATA;
    let name = basename(&words[0].value);
    let args = &words[1..];
    let free = |writes: Vec<String>| Role::Free {
        writes,
        touches: vec![],
    };
    match name {
        "cd" => {
            let target = args.iter().find(|w| !w.value.starts_with('-'));
            match target {
                Some(t) if !t.dynamic && !t.value.is_empty() => Role::Cd(Some(t.value.clone())),
                _ => Role::Cd(None),
            }
        }
        "export" | "set" | "source" | "." | "unset" | "umask" | "ulimit" | "shopt" | "alias"
        | "trap" | "fi" | "done" | "esac" | "}" | "case" => Role::Shell,
        "for" | "select" => {
            // `for f in *.txt`: a glob or a relative path lists project files.
            if args.iter().any(|w| {
                is_relative_path(&w.value) || (!w.quoted && w.value.contains(['*', '?', '[']))
            }) {
                Role::Source(Some("it lists project files".into()))
            } else {
                Role::Shell
            }
        }
        "echo" | "printf" => free(vec![]),
        "[" | "[[" | "test" => {
            // String tests read nothing; file tests on relative paths read the project.
            let file_test = args.windows(2).find(|p| {
                FILE_TESTS.contains(&p[0].value.as_str()) && !p[1].value.starts_with('/')
            });
            match file_test {
                Some(p) => Role::Source(Some(format!("it tests the file {}", p[1].value))),
                None => free(vec![]),
            }
        }
        // `curl ... | php -- --install-dir=...`: a script from standard input.
        "php" if args.first().is_some_and(|a| a.value == "--") || args.is_empty() => free(vec![]),
        n if data.context_free.iter().any(|c| c == n) => {
            if let Some(w) = args.iter().find(|w| is_relative_path(&w.value)) {
                Role::Source(Some(format!("`{}` names a relative path", w.value)))
            } else {
                free(vec![])
            }
        }
        n if data.absolute_paths_only.iter().any(|c| c == n) => {
            let paths: Vec<&Word> = args.iter().filter(|w| !w.value.starts_with('-')).collect();
            // `chown user:group /x`, `chmod 755 /x`: the first operand is not a path.
            let skip = usize::from(matches!(n, "chmod" | "chown" | "chgrp"));
            let mut touches = Vec::new();
            for w in paths.iter().skip(skip) {
                if w.dynamic || !(w.value.starts_with('/') || w.value.starts_with('~')) {
                    return Role::Source(Some(format!(
                        "`{n} {}` touches a relative path",
                        w.value
                    )));
                }
                touches.push(w.value.clone());
            }
            Role::Free {
                writes: vec![],
                touches,
            }
        }
        "curl" => {
            let a = Args::parse(
                args,
                &["-o", "--output", "-H", "-u", "-d", "-X", "-A", "-e"],
            );
            if a.has(&["-O", "--remote-name", "-J"]) {
                return Role::Source(Some("curl -O writes into the working directory".into()));
            }
            let outs = a.values(&["-o", "--output"]);
            if outs.iter().any(|o| o != "-" && !o.starts_with('/')) {
                return Role::Source(Some("curl writes into the working directory".into()));
            }
            free(vec![])
        }
        "wget" => {
            let a = Args::parse(args, &["-O", "--output-document", "-P", "-o"]);
            let outs = a.values(&["-O", "--output-document", "-P"]);
            if outs.is_empty() || outs.iter().any(|o| o != "-" && !o.starts_with('/')) {
                return Role::Source(Some("wget writes into the working directory".into()));
            }
            free(vec![])
        }
        "sh" | "bash" | "ash" | "dash" | "zsh" => {
            let a = Args::parse(args, &["-o"]);
            if a.has(&["-c"]) || a.pos.iter().any(|p| p.value != "-") {
                Role::Source(None)
            } else {
                free(vec![])
            }
        }
        _ if is_python(&words[0].value) => {
            // `python -m venv /opt/venv` creates a virtualenv; `python -` runs a script from stdin.
            let v: Vec<&str> = args.iter().map(|w| w.value.as_str()).collect();
            match v.as_slice() {
                ["-"] | ["-", ..] => free(vec![]),
                ["-m", "venv", rest @ ..] => {
                    let targets: Vec<&&str> = rest.iter().filter(|a| !a.starts_with('-')).collect();
                    if targets.len() == 1 && !targets[0].contains('$') {
                        free(vec![targets[0].to_string()])
                    } else {
                        Role::Source(None)
                    }
                }
                _ => Role::Source(None),
            }
        }
        _ => Role::Source(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parses() {
        assert!(DATA.context_free.iter().any(|c| c == "apt-get"));
        assert!(DATA.carry_along.iter().any(|c| c == "apt-get"));
        assert!(DATA.installer_env.read("PIP_FIND_LINKS"));
        assert!(DATA.installer_env.takes_path("PIP_FIND_LINKS"));
        assert!(!DATA.installer_env.read("GOPRIVATE"));
        assert!(
            !DATA
                .carry_along
                .iter()
                .any(|c| c == "corepack" || c == "ldconfig")
        );
        assert!(DATA.inert_env.iter().any(|c| c == "PYTHONUNBUFFERED"));
        for eco in Eco::ALL {
            assert!(DATA.ecosystems.contains_key(eco.key()), "{}", eco.key());
        }
    }

    #[test]
    fn relative_paths() {
        for p in [".", "./x", "../x", "a/b", "./"] {
            assert!(is_relative_path(p), "{p}");
        }
        for p in ["/x", "~/x", "$HOME/x", "https://x/y", "flask", "A=b/c"] {
            assert!(!is_relative_path(p), "{p}");
        }
    }
}
