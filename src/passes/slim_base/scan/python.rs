//! Python code a stage runs: `python FILE.py`, `python -m MODULE` (when the module is a file of the
//! build context), `python -c CODE`, a `python <<EOF` heredoc, and the local modules they import
//! (with a Django `manage.py`, the settings module it names). The code is not run or parsed: its
//! string literals are searched for the commands the variant lacks (`["git", "describe"]`,
//! `os.system("curl -o x ...")`, `shutil.which("gcc")`), which then count as commands the stage runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Ctx, LACKS, Scanner, Use};
use crate::passes::context_files::{MAX_FILE, safe_rel};

/// At most this many Python files are read for one command (the script and what it imports).
const MAX_PY_FILES: usize = 64;

/// Command names that are also common words or values in Python code (`'file'`, `'patch'`,
/// `'top'`): they count only where a command is expected, never as a bare string anywhere.
const AMBIGUOUS: &[&str] = &[
    "file", "patch", "ps", "top", "free", "watch", "cc", "cpp", "make", "ld", "ar", "xz", "jar",
    "convert", "identify", "hg",
];

/// Calls whose first argument is a command (a list, or a string run by a shell).
const COMMAND_CALLS: &[&str] = &[
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "system",
    "popen",
    "getoutput",
    "getstatusoutput",
    "which",
    "split",
    "spawnlp",
    "spawnvp",
    "execlp",
    "execvp",
    "create_subprocess_exec",
    "create_subprocess_shell",
];

/// What `python ARGS` runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PyRun<'a> {
    /// `-c CODE`.
    Code(&'a str),
    /// `FILE` (a path).
    Script(&'a str),
    /// `-m MODULE`.
    Module(&'a str),
    /// No script: the code comes from stdin (`python -`, `python < x.py`, `... | python`).
    Stdin,
    /// `--version`, `--help`: no code runs.
    Nothing,
}

/// Reads the interpreter's options (python's own, before the script) to find what it runs.
pub(super) fn python_target<'a>(args: &[&'a str]) -> PyRun<'a> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        match a {
            "-c" => return args.get(i + 1).map_or(PyRun::Nothing, |c| PyRun::Code(c)),
            "-m" => return args.get(i + 1).map_or(PyRun::Nothing, |m| PyRun::Module(m)),
            "-" => return PyRun::Stdin,
            "-V" | "--version" | "-h" | "--help" | "-?" | "--help-all" | "--help-env"
            | "--help-xoptions" => return PyRun::Nothing,
            "-W" | "-X" | "--check-hash-based-pycs" => i += 2,
            "--" => {
                return args.get(i + 1).map_or(PyRun::Stdin, |s| PyRun::Script(s));
            }
            o if o.starts_with("--") => i += 1,
            o if o.starts_with('-') => {
                // A cluster of short options: `-uc CODE`, `-Bm mod`, `-cCODE`, `-Wignore`.
                let mut next = i + 1;
                for (k, ch) in o.char_indices().skip(1) {
                    let rest = &o[k + 1..];
                    let value = || {
                        if rest.is_empty() {
                            args.get(i + 1).copied()
                        } else {
                            Some(rest)
                        }
                    };
                    match ch {
                        'c' => return value().map_or(PyRun::Nothing, PyRun::Code),
                        'm' => return value().map_or(PyRun::Nothing, PyRun::Module),
                        'W' | 'X' => {
                            if rest.is_empty() {
                                next = i + 2;
                            }
                            break;
                        }
                        _ => {}
                    }
                }
                i = next;
            }
            s => return PyRun::Script(s),
        }
    }
    PyRun::Stdin
}

/// Whether a script run by its path (`./stamp.py`, `/app/manage.py`) is Python: its `#!` line names
/// python, or it has no `#!` line and its name ends in `.py`.
pub(super) fn is_python_script(path: &str, text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    match first.strip_prefix("#!") {
        Some(interp) => interp
            .split(|c: char| c.is_whitespace() || c == '/')
            .any(crate::recognize::is_python),
        None => path.ends_with(".py"),
    }
}

/// One string literal of Python code: where it starts (its prefix or quote) and its text.
struct Lit {
    start: usize,
    text: String,
}

/// The string literals of Python code (comments skipped; prefixes, triple quotes and escapes handled).
fn literals(code: &str) -> Vec<Lit> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let ident = &code[i..j];
            let prefix = ident.len() <= 2
                && ident
                    .chars()
                    .all(|ch| matches!(ch.to_ascii_lowercase(), 'r' | 'b' | 'u' | 'f'));
            if !(prefix && j < b.len() && matches!(b[j], b'"' | b'\'')) {
                i = j;
                continue;
            }
            i = j;
        }
        if !matches!(b[i], b'"' | b'\'') {
            i += 1;
            continue;
        }
        let q = b[i];
        let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
        let open = if triple { 3 } else { 1 };
        let body = i + open;
        let mut j = body;
        let end;
        loop {
            if j >= b.len() {
                end = b.len();
                break;
            }
            if b[j] == b'\\' {
                j += 2;
                continue;
            }
            if !triple && b[j] == b'\n' {
                end = j;
                break;
            }
            if b[j] == q && (!triple || (b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q))) {
                end = j;
                j += open;
                break;
            }
            j += 1;
        }
        let text = code.get(body.min(end)..end).unwrap_or("").to_string();
        out.push(Lit { start, text });
        i = j.max(start + 1);
    }
    out
}

/// Whether the literal at `start` is where a command goes: the first argument of a call such as
/// `subprocess.run(` or `os.system(`, or the first element of a list that is such an argument or
/// is assigned (`cmd = ["make", ...]`).
fn command_position(code: &str, start: usize) -> bool {
    let before = code[..start].trim_end();
    let call_before = |s: &str| {
        let Some(s) = s.strip_suffix('(') else {
            return false;
        };
        let s = s.trim_end();
        let ident_start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        COMMAND_CALLS.contains(&&s[ident_start..])
    };
    if call_before(before) {
        return true;
    }
    if let Some(list) = before.strip_suffix(['[', '(']) {
        let list = list.trim_end();
        return call_before(list) || (list.ends_with('=') && !list.ends_with("=="));
    }
    false
}

/// The commands the variant may lack that Python code uses.
pub(super) fn tools_in(code: &str) -> BTreeSet<String> {
    let known = |name: &str| {
        !name.contains('/')
            && LACKS
                .profiles
                .values()
                .any(|p| p.commands.contains_key(name))
    };
    let mut out = BTreeSet::new();
    for lit in literals(code) {
        let text = lit.text.trim();
        let first = text.split_whitespace().next().unwrap_or("");
        let word = if first.starts_with('/') {
            super::basename(first)
        } else {
            first
        };
        if word.is_empty() || !known(word) {
            continue;
        }
        let whole = first.len() == text.len();
        if (whole && !AMBIGUOUS.contains(&word)) || command_position(code, lit.start) {
            out.insert(word.to_string());
        }
    }
    out
}

/// The local modules Python code imports, as dotted names; relative imports (`from .x import y`)
/// keep their leading dots. `from a import b` gives `a` and `a.b` (b may be a module).
fn imports(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = code.lines().peekable();
    while let Some(line) = lines.next() {
        let mut t = line.trim().to_string();
        // `from x import (a,\n b)` and backslash continuations.
        while (t.ends_with('\\') || (t.contains('(') && !t.contains(')'))) && lines.peek().is_some()
        {
            t = format!(
                "{} {}",
                t.trim_end_matches('\\'),
                lines.next().unwrap_or("").trim()
            );
        }
        let t = t.split('#').next().unwrap_or("").trim();
        if let Some(rest) = t.strip_prefix("import ") {
            for part in rest.split(',') {
                let m = part.split_whitespace().next().unwrap_or("");
                if !m.is_empty() {
                    out.push(m.to_string());
                }
            }
        } else if let Some(rest) = t.strip_prefix("from ")
            && let Some((m, names)) = rest.split_once(" import ")
        {
            let m = m.trim();
            out.push(m.to_string());
            for n in names.replace(['(', ')'], " ").split(',') {
                let n = n.split_whitespace().next().unwrap_or("");
                if n.is_empty() || n == "*" {
                    continue;
                }
                if m.chars().all(|c| c == '.') {
                    out.push(format!("{m}{n}"));
                } else {
                    out.push(format!("{m}.{n}"));
                }
            }
        }
    }
    // Django: `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")` imports the settings.
    let mut from = 0;
    while let Some(p) = code[from..].find("DJANGO_SETTINGS_MODULE") {
        let at = from + p;
        from = at + 1;
        let line_start = code[..at].rfind('\n').map_or(0, |p| p + 1);
        let line_end = code[at..].find('\n').map_or(code.len(), |p| at + p);
        let lits = literals(&code[line_start..line_end]);
        let key = lits.iter().position(|l| l.text == "DJANGO_SETTINGS_MODULE");
        if let Some(lit) = key.and_then(|k| lits.get(k + 1))
            && !lit.text.is_empty()
            && lit
                .text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            out.push(lit.text.clone());
        }
    }
    out
}

/// The file a module resolves to under `root` (`a.b` -> `a/b.py` or `a/b/__init__.py`); `dir` is the
/// importing file's directory, for relative imports.
fn module_candidates(module: &str, root: &Path, dir: &Path) -> Vec<PathBuf> {
    let dots = module.chars().take_while(|c| *c == '.').count();
    let name = &module[dots..];
    let base = if dots == 0 {
        root.to_path_buf()
    } else {
        let mut d = dir.to_path_buf();
        for _ in 1..dots {
            d = d.parent().map(Path::to_path_buf).unwrap_or_default();
        }
        d
    };
    let rel: PathBuf = name.split('.').filter(|s| !s.is_empty()).collect();
    if rel.as_os_str().is_empty() {
        return vec![base.join("__init__.py")];
    }
    vec![
        base.join(rel.with_extension("py")),
        base.join(&rel).join("__init__.py"),
    ]
}

impl Scanner<'_> {
    /// `python ARGS` in a command: scans the code it runs. At build time code that cannot be read
    /// makes the swap unsafe; at run time only code that can be read is looked at.
    pub(super) fn python_run(&mut self, args: &[&str], at: usize, ctx: Ctx, stdin: Option<&str>) {
        match python_target(args) {
            PyRun::Nothing => {}
            PyRun::Code(code) => {
                let code = code.to_string();
                self.python_code(&code, None, at, ctx);
            }
            PyRun::Script(path) => {
                if path.contains('$') {
                    if ctx == Ctx::Build {
                        self.facts
                            .unreadable
                            .push((format!("Python script {path}"), at));
                    }
                    return;
                }
                match self.context_file(path) {
                    Some((rel, text)) => self.python_code(&text, Some(rel), at, ctx),
                    None if ctx == Ctx::Build => {
                        let why = if self.context_file_too_big(path) {
                            " (larger than 512 KiB)"
                        } else {
                            ""
                        };
                        self.facts
                            .unreadable
                            .push((format!("Python script {path}{why}"), at));
                    }
                    None => {}
                }
            }
            PyRun::Module(module) => {
                // Only a module that is a file of the build context is read; anything else is an
                // installed package (`-m pip`, `-m venv`, `-m gunicorn`).
                let rel: PathBuf = module.split('.').collect();
                let file = rel.with_extension("py");
                let main = rel.join("__main__.py");
                for candidate in [file, main] {
                    if let Some(p) = candidate.to_str()
                        && let Some((rel, text)) = self.context_file(p)
                    {
                        self.python_code(&text, Some(rel), at, ctx);
                        return;
                    }
                }
            }
            PyRun::Stdin => {
                if ctx != Ctx::Build {
                    return;
                }
                match stdin {
                    Some("heredoc") => {}
                    Some(how) => self
                        .facts
                        .unknown
                        .push((format!("python (code from {how})"), at)),
                    None => {}
                }
            }
        }
    }

    /// Scans Python code (`rel`: its path in the build context, to follow local imports).
    pub(super) fn python_code(&mut self, code: &str, rel: Option<PathBuf>, at: usize, ctx: Ctx) {
        let root = rel
            .as_ref()
            .and_then(|r| r.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut seen: BTreeSet<PathBuf> = rel.iter().cloned().collect();
        let mut queue: Vec<(String, PathBuf)> = vec![(code.to_string(), root.clone())];
        let mut tools = BTreeSet::new();
        while let Some((text, dir)) = queue.pop() {
            tools.extend(tools_in(&text));
            if rel.is_none() && self.cx.context_dir.is_none() {
                continue;
            }
            for module in imports(&text) {
                for cand in module_candidates(&module, &root, &dir) {
                    if seen.contains(&cand) {
                        continue;
                    }
                    if seen.len() >= MAX_PY_FILES {
                        if ctx == Ctx::Build {
                            self.facts.unreadable.push((
                                format!(
                                    "Python code importing more than {MAX_PY_FILES} local files"
                                ),
                                at,
                            ));
                        }
                        return self.python_tools(tools, at, ctx);
                    }
                    if let Some(t) = self.read_context(&cand) {
                        seen.insert(cand.clone());
                        let d = cand.parent().map(Path::to_path_buf).unwrap_or_default();
                        queue.push((t, d));
                        break;
                    }
                    if ctx == Ctx::Build && self.context_too_big(&cand) {
                        seen.insert(cand.clone());
                        self.facts.unreadable.push((
                            format!("Python module {} (larger than 512 KiB)", cand.display()),
                            at,
                        ));
                    }
                }
            }
        }
        self.python_tools(tools, at, ctx);
    }

    fn python_tools(&mut self, tools: BTreeSet<String>, at: usize, ctx: Ctx) {
        for name in tools {
            self.facts.uses.push(Use { name, at, ctx });
        }
    }

    /// Whether the context has a file at `rel` too big to read.
    fn context_too_big(&self, rel: &Path) -> bool {
        self.cx.context_dir.is_some_and(|dir| {
            safe_rel(rel)
                && std::fs::metadata(dir.join(rel)).is_ok_and(|m| m.is_file() && m.len() > MAX_FILE)
        })
    }

    /// Whether `path` (as a RUN names it) is most likely a context file too big to read: the path as
    /// written, or its file name, relative to the context.
    fn context_file_too_big(&self, path: &str) -> bool {
        let written = Path::new(path.trim_start_matches("./").trim_start_matches('/'));
        self.context_too_big(written) || self.context_too_big(Path::new(super::basename(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(python_target(&["-u", "x.py", "-c"]), PyRun::Script("x.py"));
        assert_eq!(python_target(&["-c", "print(1)"]), PyRun::Code("print(1)"));
        assert_eq!(
            python_target(&["-W", "ignore", "-m", "a.b"]),
            PyRun::Module("a.b")
        );
        assert_eq!(python_target(&["-"]), PyRun::Stdin);
        assert_eq!(python_target(&[]), PyRun::Stdin);
        assert_eq!(python_target(&["--version"]), PyRun::Nothing);
        assert_eq!(
            python_target(&["-uc", "import os"]),
            PyRun::Code("import os")
        );
        assert_eq!(python_target(&["-Bm", "tools.x"]), PyRun::Module("tools.x"));
        assert_eq!(python_target(&["-cprint(1)"]), PyRun::Code("print(1)"));
        assert_eq!(
            python_target(&["-Wignore", "-X", "dev", "a.py"]),
            PyRun::Script("a.py")
        );
    }

    #[test]
    fn python_scripts() {
        assert!(is_python_script(
            "./x",
            "#!/usr/bin/env python3\nimport os\n"
        ));
        assert!(is_python_script("/app/x.py", "import os\n"));
        assert!(!is_python_script("x.py", "#!/bin/sh\necho hi\n"));
        assert!(!is_python_script("run.sh", "echo hi\n"));
    }

    #[test]
    fn tools() {
        let code = r#"import subprocess, os, shutil
# "curl" in a comment does not count
v = subprocess.check_output(["git", "--version"])
os.system(f"wget -q {url}")
shutil.which('unzip')
methods = ['get', 'post', 'patch']
open(path, "r").read()
cmd = ["make", "-j4"]
print("make sure it works")
doc = """ssh"""
"#;
        let t: Vec<String> = tools_in(code).into_iter().collect();
        assert_eq!(t, ["git", "make", "ssh", "unzip", "wget"]);
        assert!(tools_in("x = {'file': 1, 'top': 2}\nprint('ps')\n").is_empty());
    }

    #[test]
    fn import_names() {
        let code = "import os, app.util as u\nfrom . import helpers\nfrom pkg import (a,\n  b)\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site.settings\")\n";
        assert_eq!(
            imports(code),
            [
                "os",
                "app.util",
                ".",
                ".helpers",
                "pkg",
                "pkg.a",
                "pkg.b",
                "site.settings"
            ]
        );
    }
}
