//! What a Dockerfile reads from its build context: COPY/ADD sources, bind-mount sources, paths that
//! its commands name, and the implicit readers (`git` needs `.git`, `npm run build` reads `.env`
//! files, a stage that runs node without installing uses the context's `node_modules`).

use std::collections::{HashMap, HashSet};

use super::context::Context;
use super::table::TABLE;
use crate::dockerignore_match::{Pattern, go_clean};
use crate::model::{CommandForm, CopySource, Detail, Document, Instruction, Kind, env_pairs};
use crate::passes::context_files::script_run;
use crate::recognize::{basename, effective_words, is_pip, is_python};
use crate::shell::{self, Mode};

/// A path (or glob) the build reads; it must stay in the context.
#[derive(Debug, Clone)]
pub struct Need {
    /// Relative to the context root, cleaned.
    pub path: String,
    pub glob: bool,
    /// Named by COPY/ADD/a bind mount or the project's metadata (not guessed from a command's words).
    pub strong: bool,
    /// Where and why, for reports: "COPY on line 12".
    pub why: String,
    /// Offset in the Dockerfile being fixed (`None` for another Dockerfile of the context).
    pub anchor: Option<usize>,
    /// For a source with a variable of unknown value: the path with [`UNKNOWN`] where the variable
    /// is (it can stand for any path).
    pub template: Option<String>,
}

/// Stands for the value of a variable that is not known statically.
pub const UNKNOWN: char = '\u{1}';

/// An entry group (`git`, `env`, `node_modules`) that must not be excluded, and why.
#[derive(Debug, Clone)]
pub struct Keep {
    pub group: &'static str,
    pub why: String,
    pub anchor: Option<usize>,
}

/// Everything one Dockerfile reads.
#[derive(Debug, Default)]
pub struct Reads {
    pub needs: Vec<Need>,
    pub keeps: Vec<Keep>,
    /// Copies (or bind-mounts) the whole context, so excluding files changes what it copies.
    pub whole_copy: bool,
    /// Builds or installs the Python project (`pip install .`, `poetry install`): where.
    pub installs_project: Option<(String, Option<usize>)>,
    /// Basenames of every command its RUNs run.
    pub commands: HashSet<String>,
}

/// Where an instruction is, for reports.
struct Loc<'a> {
    doc: &'a Document,
    label: &'a str,
    current: bool,
}

impl Loc<'_> {
    fn at(&self, offset: usize, what: &str) -> (String, Option<usize>) {
        let line = self.doc.line(offset);
        if self.current {
            (format!("{what} on line {line}"), Some(offset))
        } else {
            (format!("{what} in {} line {line}", self.label), None)
        }
    }
}

/// One command: its words (wrappers removed) and the instruction it is in.
struct Cmd {
    words: Vec<String>,
    dynamic: Vec<bool>,
    offset: usize,
    kind: Kind,
    stage: Option<usize>,
}

#[derive(Default, Clone, Copy)]
struct StageFacts {
    whole_copy: bool,
    installs_node: bool,
    runs_node: Option<usize>,
}

/// Analyses `doc`. `label` names it in reports when it is not the file being fixed.
pub fn analyze(doc: &Document, label: &str, current: bool, cx: &Context) -> Reads {
    let loc = Loc {
        doc,
        label,
        current,
    };
    let vars = variables(doc);
    let mut r = Reads::default();
    let mut stages = vec![StageFacts::default(); doc.stages.len()];
    // (source in the context, absolute destination) of every directory copied, for mapping words.
    let mut copies: Vec<(String, Option<String>)> = Vec::new();
    let mut reads_dirs = false;
    let mut cmds: Vec<Cmd> = Vec::new();

    for (idx, inst) in doc.instructions.iter().enumerate() {
        match (&inst.kind, &inst.detail) {
            (Kind::Copy | Kind::Add, Detail::Copy { sources, dest }) => {
                let what = inst.kind.as_str();
                // A copy from another stage or image reads no context file; one that brings a
                // node_modules over counts as installing dependencies.
                if inst.flag("from").is_some() {
                    let nm = |s: &str| s.split('/').any(|seg| seg == "node_modules");
                    let any_nm = nm(&dest.value)
                        || sources
                            .iter()
                            .any(|s| matches!(s, CopySource::Path(p) if nm(&p.value)));
                    if any_nm && let Some(s) = inst.stage {
                        stages[s].installs_node = true;
                    }
                    continue;
                }
                let dest_abs = absolute_dest(doc, idx, &expand(&dest.value, &vars).0);
                let whole = |r: &mut Reads, stages: &mut Vec<StageFacts>| {
                    r.whole_copy = true;
                    if let Some(s) = inst.stage {
                        stages[s].whole_copy = true;
                    }
                };
                for src in sources {
                    // Heredoc sources are inline text.
                    let CopySource::Path(p) = src else { continue };
                    // ADD also takes URLs and git repositories.
                    if p.value.contains("://") || p.value.starts_with("git@") {
                        continue;
                    }
                    let (expanded, unresolved) = expand(&p.value, &vars);
                    let norm = normalize(&expanded);
                    let (why, anchor) = loc.at(p.range.start, what);
                    if norm == "." || norm == "*" {
                        whole(&mut r, &mut stages);
                        copies.push((".".into(), dest_abs.clone()));
                    } else if unresolved {
                        // `COPY ${JAR_FILE} app.jar`: the value comes from --build-arg.
                        if norm.chars().all(|c| c == UNKNOWN) {
                            whole(&mut r, &mut stages);
                        }
                        reads_dirs = true;
                        r.needs.push(unknown_need(&p.value, &norm, why, anchor));
                    } else if has_wildcard(&norm) {
                        reads_dirs = true;
                        r.needs.push(Need {
                            path: norm,
                            glob: true,
                            strong: true,
                            why,
                            anchor,
                            template: None,
                        });
                    } else {
                        let is_dir = p.value.ends_with('/')
                            || cx.entries.iter().any(|e| e.is_dir && e.path == norm);
                        if is_dir {
                            reads_dirs = true;
                            copies.push((norm.clone(), dest_abs.clone()));
                        }
                        r.needs.push(Need {
                            path: norm,
                            glob: false,
                            strong: true,
                            why,
                            anchor,
                            template: None,
                        });
                    }
                }
            }
            (Kind::Run, Detail::Run { command, heredocs }) => {
                for opts in inst.mounts() {
                    let get = |k: &str| opts.iter().find(|(kk, _)| kk == k).map(|(_, v)| v);
                    let ty = get("type").map_or("bind", |v| v.as_str());
                    // Only bind mounts of the context read it; `from=` mounts another stage or image.
                    if ty != "bind" || get("from").is_some() {
                        continue;
                    }
                    let src = get("source").or(get("src")).map_or(".", |v| v.as_str());
                    let (expanded, unresolved) = expand(src, &vars);
                    let norm = normalize(&expanded);
                    let (why, anchor) = loc.at(inst.keyword.start, "RUN --mount");
                    // Paths under the mount target name context files: `cp /ctx/server.key ...`.
                    if !unresolved
                        && let Some(t) = get("target").or(get("dst")).or(get("destination"))
                    {
                        copies.push((norm.clone(), absolute_dest(doc, idx, t)));
                        // A relative target is also named relative to the WORKDIR: `cp ctx/x .`.
                        if !t.starts_with('/') && !t.contains('$') {
                            copies.push((norm.clone(), Some(go_clean(t))));
                        }
                    }
                    if norm == "." || norm.chars().all(|c| c == UNKNOWN) {
                        r.whole_copy = true;
                        if let Some(s) = inst.stage {
                            stages[s].whole_copy = true;
                        }
                    }
                    if norm == "." {
                        continue;
                    }
                    reads_dirs = true;
                    if unresolved {
                        r.needs.push(unknown_need(src, &norm, why, anchor));
                    } else {
                        r.needs.push(Need {
                            glob: has_wildcard(&norm),
                            path: norm,
                            strong: true,
                            why,
                            anchor,
                            template: None,
                        });
                    }
                }
                push_commands(doc, inst, command, &mut cmds);
                for h in heredocs {
                    let body = shell::parse(&doc.text, h.body.clone(), Mode::Plain);
                    for c in &body.commands {
                        push_words(effective_words(c).iter(), inst, &mut cmds);
                    }
                }
            }
            (Kind::Cmd | Kind::Entrypoint, Detail::Cmd(form) | Detail::Entrypoint(form)) => {
                push_commands(doc, inst, form, &mut cmds)
            }
            (Kind::Healthcheck, Detail::Healthcheck(Some(form))) => {
                push_commands(doc, inst, form, &mut cmds)
            }
            _ => {}
        }
    }

    let t = &*TABLE;
    let mut env_hit: Option<(String, Option<usize>)> = None;
    let mut words: Vec<(String, String, Option<usize>)> = Vec::new();
    let mut scripts: Vec<(String, usize, Kind)> = Vec::new();
    for c in &cmds {
        let Some(first) = c.words.first() else {
            continue;
        };
        let name = basename(first).to_string();
        let args = &c.words[1..];
        let sub = first_operand(args);
        if c.kind == Kind::Run {
            r.commands.insert(name.clone());
            // git reads the context's .git unless it only clones or configures.
            if name == "git"
                && let Some(s) = git_subcommand(args)
                && !t.git_harmless.iter().any(|h| h == s)
            {
                let (why, anchor) = loc.at(c.offset, &format!("RUN runs `git {s}`"));
                r.keeps.push(Keep {
                    group: "git",
                    why,
                    anchor,
                });
            }
            if let Some(list) = t.node_installers.get(&name)
                && (list.is_empty() || sub.is_some_and(|s| list.iter().any(|l| l == s)))
                && let Some(s) = c.stage
            {
                stages[s].installs_node = true;
            }
            if env_hit.is_none() && is_env_reader(&name, args) {
                env_hit = Some(loc.at(c.offset, &format!("RUN runs `{}`", shown(&c.words))));
            }
            if r.installs_project.is_none() && installs_project(&name, args) {
                r.installs_project = Some(loc.at(c.offset, &format!("`{}`", shown(&c.words))));
            }
        }
        if t.node_runners.contains(&name)
            && let Some(s) = c.stage
            && stages[s].runs_node.is_none()
        {
            stages[s].runs_node = Some(c.offset);
        }
        for w in path_words(&name, &c.words, &c.dynamic) {
            let (why, anchor) = loc.at(c.offset, c.kind.as_str());
            words.push((w, why, anchor));
        }
        if let Some(script) = script_run(&name, &c.words) {
            scripts.push((script.to_string(), c.offset, c.kind));
        }
    }

    // A stage that copies the whole context and runs node without installing dependencies (here or in
    // a stage it builds on) runs with the context's node_modules.
    for (s, st) in doc.stages.iter().enumerate() {
        let mut chain = vec![s];
        let mut p = st.parent;
        while let Some(x) = p {
            if chain.contains(&x) {
                break;
            }
            chain.push(x);
            p = doc.stages[x].parent;
        }
        let whole = chain.iter().any(|&x| stages[x].whole_copy);
        let installs = chain.iter().any(|&x| stages[x].installs_node);
        if whole
            && !installs
            && let Some(at) = stages[s].runs_node
        {
            let (why, anchor) = loc.at(
                at,
                "the stage copies the context and runs Node without installing dependencies",
            );
            r.keeps.push(Keep {
                group: "node_modules",
                why,
                anchor,
            });
        }
    }

    // Build tools that load .env files read them from the copied context.
    if (r.whole_copy || reads_dirs)
        && let Some((why, anchor)) = env_hit
    {
        r.keeps.push(Keep {
            group: "env",
            why: format!("{why}, which can load .env files at build time"),
            anchor,
        });
    }

    // Scripts from the context that the build runs: the paths they mention are reads. One that
    // cannot be read keeps `.env` files and keys.
    if r.whole_copy || reads_dirs {
        let mut read: HashSet<String> = HashSet::new();
        let mut queue: Vec<(String, usize, Kind)> = scripts;
        let mut budget = MAX_SCRIPTS;
        while let Some((script, offset, kind)) = queue.pop() {
            let cands = word_candidates(&script, &copies);
            if cands.is_empty() {
                continue;
            }
            let found = cands
                .iter()
                .find_map(|p| cx.read(p, MAX_SCRIPT_BYTES).map(|t| (p.clone(), t)));
            let Some((path, text)) = found else {
                if kind == Kind::Run {
                    let (why, anchor) = loc.at(
                        offset,
                        &format!(
                            "RUN runs `{script}`, which could not be read from the build context"
                        ),
                    );
                    for group in ["env", "secrets"] {
                        r.keeps.push(Keep {
                            group,
                            why: format!("{why} (it may read them)"),
                            anchor,
                        });
                    }
                }
                continue;
            };
            if !read.insert(path.clone()) || budget == 0 {
                continue;
            }
            budget -= 1;
            for tok in script_tokens(&text) {
                let (why, anchor) = loc.at(offset, &format!("`{path}` (run by {})", kind.as_str()));
                if looks_like_script(&tok) {
                    queue.push((tok.clone(), offset, kind));
                }
                words.push((tok, why, anchor));
            }
        }
    }

    // Paths named in commands, when the build copied directories they can come from.
    if r.whole_copy || reads_dirs {
        let mut seen: HashSet<String> = r.needs.iter().map(|n| n.path.clone()).collect();
        for (w, why, anchor) in words {
            // A bare wildcard (`tar -czf x.tgz *`) names nothing in particular.
            if w.chars().all(|c| matches!(c, '*' | '?' | '.' | '/')) {
                continue;
            }
            for cand in word_candidates(&w, &copies) {
                let glob = has_wildcard(&cand);
                // A glob with a literal directory (`target/*.jar`) reads from that directory even
                // when its files are not there yet (built on the host) or not listed.
                let present = if glob {
                    !literal_dir(&cand).is_empty()
                        || Pattern::new(&cand)
                            .is_ok_and(|p| cx.entries.iter().any(|e| p.matches(&e.path)))
                } else {
                    cx.exists(&cand)
                };
                if present && seen.insert(cand.clone()) {
                    r.needs.push(Need {
                        path: cand,
                        glob,
                        strong: false,
                        why: why.clone(),
                        anchor,
                        template: None,
                    });
                }
            }
        }
    }
    r
}

/// Scripts read from the context, at most (nested ones included).
const MAX_SCRIPTS: usize = 16;
/// Larger scripts are not read.
const MAX_SCRIPT_BYTES: u64 = 256 * 1024;

/// The leading components of a glob that have no wildcard (`target` for `target/*.jar`).
fn literal_dir(glob: &str) -> String {
    let parts: Vec<&str> = glob.split('/').collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .take_while(|s| !has_wildcard(s))
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a word names a script file (rather than a command on PATH).
fn looks_like_script(w: &str) -> bool {
    [
        ".sh", ".bash", ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".php",
    ]
    .iter()
    .any(|e| w.ends_with(e))
        || w.starts_with("./")
}

/// The words of a script's text that may name files: split on blanks, quotes, brackets and `=`.
fn script_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for tok in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\''
                    | '`'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | ','
                    | ';'
                    | '='
                    | '<'
                    | '>'
                    | '|'
                    | '&'
            )
    }) {
        let tok = tok.trim_end_matches(':');
        if tok.is_empty()
            || tok.starts_with('-')
            || tok.starts_with('#')
            || tok.contains("://")
            || tok.contains('$')
            || tok.chars().all(|c| matches!(c, '*' | '?' | '.' | '/'))
        {
            continue;
        }
        if seen.insert(tok.to_string()) {
            out.push(tok.to_string());
        }
    }
    out
}

/// A source whose variables are unknown: it can name anything its literal parts allow.
fn unknown_need(raw: &str, norm: &str, why: String, anchor: Option<usize>) -> Need {
    Need {
        path: raw.to_string(),
        glob: true,
        strong: true,
        why,
        anchor,
        template: Some(norm.to_string()),
    }
}

fn shown(words: &[String]) -> String {
    let mut s = words.iter().take(3).cloned().collect::<Vec<_>>().join(" ");
    if words.len() > 3 {
        s.push_str(" ...");
    }
    s
}

fn push_commands(doc: &Document, inst: &Instruction, form: &CommandForm, out: &mut Vec<Cmd>) {
    match form {
        CommandForm::Shell { script, .. } => {
            for c in &script.commands {
                push_words(effective_words(c).iter(), inst, out);
            }
        }
        CommandForm::Exec { args, .. } => {
            // An exec form runs no shell: `sh -c "..."` is reparsed as a script.
            if args.len() >= 3
                && matches!(basename(&args[0].value), "sh" | "bash" | "ash" | "dash")
                && args[1].value == "-c"
            {
                let text = &args[2].value;
                let s = shell::parse(text, 0..text.len(), Mode::Plain);
                for c in &s.commands {
                    let ws = effective_words(c);
                    out.push(Cmd {
                        words: ws.iter().map(|w| w.value.clone()).collect(),
                        dynamic: ws.iter().map(|w| w.dynamic).collect(),
                        offset: inst.keyword.start,
                        kind: inst.kind,
                        stage: inst.stage,
                    });
                    let values: Vec<&str> = ws.iter().map(|w| w.value.as_str()).collect();
                    let dynamic: Vec<bool> = ws.iter().map(|w| w.dynamic).collect();
                    nested_scripts(&values, &dynamic, inst, inst.keyword.start, out, 1);
                }
                return;
            }
            out.push(Cmd {
                words: args.iter().map(|a| a.value.clone()).collect(),
                dynamic: args.iter().map(|a| a.value.contains('$')).collect(),
                offset: args.first().map_or(inst.keyword.start, |a| a.range.start),
                kind: inst.kind,
                stage: inst.stage,
            });
        }
    }
    let _ = doc;
}

fn push_words<'w>(
    words: impl Iterator<Item = &'w shell::Word>,
    inst: &Instruction,
    out: &mut Vec<Cmd>,
) {
    let ws: Vec<&shell::Word> = words.collect();
    if ws.is_empty() {
        return;
    }
    let offset = ws[0].range.start;
    out.push(Cmd {
        words: ws.iter().map(|w| w.value.clone()).collect(),
        dynamic: ws.iter().map(|w| w.dynamic).collect(),
        offset,
        kind: inst.kind,
        stage: inst.stage,
    });
    let values: Vec<&str> = ws.iter().map(|w| w.value.as_str()).collect();
    let dynamic: Vec<bool> = ws.iter().map(|w| w.dynamic).collect();
    nested_scripts(&values, &dynamic, inst, offset, out, 0);
}

/// How deep `sh -c` strings and `$(...)` substitutions inside each other are followed.
const MAX_NESTED: usize = 4;

/// The commands inside a command's words: `$(ls target/*.jar)` substitutions and the string of
/// `sh -c '...'` are scripts whose words are reads too.
fn nested_scripts(
    words: &[&str],
    dynamic: &[bool],
    inst: &Instruction,
    offset: usize,
    out: &mut Vec<Cmd>,
    depth: usize,
) {
    if depth >= MAX_NESTED {
        return;
    }
    let mut texts: Vec<String> = Vec::new();
    for (w, d) in words.iter().zip(dynamic) {
        if *d {
            texts.extend(crate::passes::slim_base::scan::substitutions(w));
        }
    }
    if let Some(first) = words.first()
        && matches!(basename(first), "sh" | "bash" | "ash" | "dash" | "zsh")
        && let Some(i) = words.iter().position(|a| {
            *a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))
        })
        && let Some(t) = words.get(i + 1)
    {
        texts.push(t.to_string());
    }
    for text in texts {
        let s = shell::parse(&text, 0..text.len(), Mode::Plain);
        for c in &s.commands {
            let ws = effective_words(c);
            if ws.is_empty() {
                continue;
            }
            out.push(Cmd {
                words: ws.iter().map(|w| w.value.clone()).collect(),
                dynamic: ws.iter().map(|w| w.dynamic).collect(),
                offset,
                kind: inst.kind,
                stage: inst.stage,
            });
            let values: Vec<&str> = ws.iter().map(|w| w.value.as_str()).collect();
            let dynamic: Vec<bool> = ws.iter().map(|w| w.dynamic).collect();
            nested_scripts(&values, &dynamic, inst, offset, out, depth + 1);
        }
    }
}

/// The first argument that is not an option.
fn first_operand(args: &[String]) -> Option<&str> {
    args.iter()
        .map(String::as_str)
        .find(|a| !a.starts_with('-'))
}

/// `git [-C dir] [-c k=v] [--opt] SUB`.
fn git_subcommand(args: &[String]) -> Option<&str> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-C" || a == "-c" {
            i += 2;
        } else if a.starts_with('-') && a != "--version" {
            i += 1;
        } else {
            return Some(a);
        }
    }
    None
}

/// Whether a command runs project code that commonly loads `.env` files.
fn is_env_reader(name: &str, args: &[String]) -> bool {
    let t = &TABLE.env_readers;
    if t.commands.iter().any(|c| c == name) || name.ends_with(".py") {
        return true;
    }
    if let Some(subs) = t.subcommands.get(name) {
        return first_operand(args)
            .is_some_and(|s| subs.iter().any(|x| x == s || s.ends_with(&format!("/{x}"))));
    }
    if is_python(name) {
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if a == "-m" {
                return args
                    .get(i + 1)
                    .is_some_and(|m| !t.python_tools.iter().any(|x| x == m));
            }
            if a == "-c" {
                return false;
            }
            if !a.starts_with('-') {
                return a.ends_with(".py");
            }
            i += 1;
        }
    }
    false
}

/// pip options whose value is not the project (`-r requirements.txt`).
const PIP_VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--python",
    "--cache-dir",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
];

/// Whether a command builds or installs the Python project in the working directory.
fn installs_project(name: &str, args: &[String]) -> bool {
    let pip_args: Option<&[String]> = if is_pip(name) {
        Some(args)
    } else if name == "uv" && args.first().is_some_and(|a| a == "pip") {
        Some(&args[1..])
    } else if is_python(name) {
        match args.iter().position(|a| a == "-m") {
            Some(i) if args.get(i + 1).is_some_and(|m| m == "pip") => Some(&args[i + 2..]),
            Some(i) if args.get(i + 1).is_some_and(|m| m == "build") => return true,
            _ => {
                return first_operand(args).is_some_and(|a| basename(a) == "setup.py");
            }
        }
    } else {
        None
    };
    if let Some(a) = pip_args {
        if !matches!(first_operand(a), Some("install" | "wheel")) {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            let w = a[i].as_str();
            if PIP_VALUE_OPTS.contains(&w) {
                i += 2;
                continue;
            }
            let local = w == "."
                || w.starts_with("./")
                || w.starts_with(".[")
                || (w.starts_with('/')
                    && ![".whl", ".tar.gz", ".zip", ".txt"]
                        .iter()
                        .any(|e| w.ends_with(e)));
            if local {
                return true;
            }
            i += 1;
        }
        return false;
    }
    if name == "setup.py" {
        return true;
    }
    TABLE
        .project_installers
        .get(name)
        .is_some_and(|subs| first_operand(args).is_some_and(|s| subs.iter().any(|x| x == s)))
}

/// The words of a command that can name files it reads.
fn path_words(name: &str, words: &[String], dynamic: &[bool]) -> Vec<String> {
    let t = &*TABLE;
    if t.not_paths.iter().any(|n| n == name) {
        return vec![];
    }
    let opts_have = |c: char| {
        words[1..].iter().any(|w| {
            (w.starts_with('-') && !w.starts_with("--") && w.contains(c)) || w == "--force"
        })
    };
    // `rm -f` of a missing path succeeds; `python -m venv DIR` creates DIR.
    if (name == "rm" && opts_have('f'))
        || name == "virtualenv"
        || (name == "uv" && words.get(1).is_some_and(|w| w == "venv"))
        || (is_python(name) && words.windows(2).any(|w| w[0] == "-m" && w[1] == "venv"))
    {
        return vec![];
    }
    let mut idx: Vec<usize> = (0..words.len()).collect();
    // The last operand of cp/mv/ln/install is where it writes.
    if matches!(name, "cp" | "mv" | "ln" | "install" | "rsync")
        && let Some(last) = (1..words.len()).rev().find(|&i| !words[i].starts_with('-'))
    {
        idx.retain(|&i| i != last);
    }
    let mut out = Vec::new();
    for i in idx {
        if dynamic.get(i).copied().unwrap_or(false) {
            continue;
        }
        let w = words[i].as_str();
        let w = match w.split_once('=') {
            Some((k, v)) if k.starts_with("--") => v,
            Some(_) => continue,
            None => w,
        };
        if w.is_empty() || w.starts_with('-') || w.contains("://") || w.contains(['$', '`', '\n']) {
            continue;
        }
        out.push(w.to_string());
    }
    out
}

/// The context paths a command word can refer to.
fn word_candidates(w: &str, copies: &[(String, Option<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    if w.starts_with('/') {
        let w = go_clean(w);
        for (src, dest) in copies {
            let Some(dest) = dest else { continue };
            let rest = if w == *dest {
                ""
            } else if let Some(r) = w
                .strip_prefix(dest.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                r
            } else if dest == "/" {
                &w[1..]
            } else {
                continue;
            };
            out.push(join(src, rest));
        }
    } else {
        let rel = w.trim_start_matches("./");
        out.push(rel.to_string());
        for (src, dest) in copies {
            // A relative bind-mount target (`target=ctx`) names the mount from the WORKDIR.
            if let Some(d) = dest.as_deref().filter(|d| !d.starts_with('/')) {
                let rest = if rel == d {
                    Some("")
                } else {
                    rel.strip_prefix(d).and_then(|r| r.strip_prefix('/'))
                };
                if let Some(rest) = rest {
                    out.push(join(src, rest));
                }
                continue;
            }
            if src != "." {
                out.push(join(src, rel));
            }
        }
    }
    out.into_iter()
        .map(|c| go_clean(&c))
        .filter(|c| c != "." && c != ".." && !c.starts_with("../") && !c.starts_with('/'))
        .collect()
}

fn join(a: &str, b: &str) -> String {
    match (a, b) {
        (".", b) => b.to_string(),
        (a, "") => a.to_string(),
        (a, b) => format!("{a}/{b}"),
    }
}

/// A COPY source as a path relative to the context root (BuildKit clamps `..` at the root).
pub fn normalize(s: &str) -> String {
    let c = go_clean(&format!("/{s}"));
    let c = c.trim_start_matches('/');
    if c.is_empty() { ".".into() } else { c.into() }
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The absolute destination of a COPY (relative destinations resolve against WORKDIR).
fn absolute_dest(doc: &Document, idx: usize, dest: &str) -> Option<String> {
    if dest.contains(['$', UNKNOWN]) {
        return None;
    }
    if dest.starts_with('/') {
        return Some(go_clean(dest));
    }
    let wd = doc.workdir_before(idx)?;
    Some(go_clean(&format!("{wd}/{dest}")))
}

/// ARG defaults and ENV values of the file (the last one wins).
fn variables(doc: &Document) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for inst in &doc.instructions {
        if matches!(inst.kind, Kind::Arg | Kind::Env)
            && let Some(t) = inst.text_arg()
        {
            for (k, v) in env_pairs(&t.value) {
                if !v.is_empty() || inst.kind == Kind::Env {
                    vars.insert(k, v);
                }
            }
        }
    }
    vars
}

/// Expands `$VAR`, `${VAR}` and `${VAR:-default}`; an unknown variable becomes [`UNKNOWN`]. Returns whether
/// anything stayed unknown.
fn expand(s: &str, vars: &HashMap<String, String>) -> (String, bool) {
    let mut out = String::new();
    let mut unresolved = false;
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, default, consumed) = if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push_str(&rest[i..]);
                return (out, true);
            };
            let inner = &body[..end];
            let (n, d) = match inner.find([':', '-', '+', '?']) {
                Some(p) => (&inner[..p], Some(inner[p..].trim_start_matches([':', '-']))),
                None => (inner, None),
            };
            (n.to_string(), d.map(str::to_string), end + 2)
        } else {
            let n: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let len = n.len();
            (n, None, len)
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        match vars
            .get(&name)
            .filter(|v| !v.is_empty())
            .or(default.as_ref())
        {
            Some(v) if !v.contains('$') => out.push_str(v),
            _ => {
                out.push(UNKNOWN);
                unresolved = true;
            }
        }
        rest = &after[consumed.min(after.len())..];
    }
    out.push_str(rest);
    (out, unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_variables() {
        let mut v = HashMap::new();
        v.insert("APP".to_string(), "web".to_string());
        assert_eq!(expand("$APP/src", &v), ("web/src".into(), false));
        assert_eq!(expand("${APP}/x", &v), ("web/x".into(), false));
        assert_eq!(expand("${NOPE:-dflt}/x", &v), ("dflt/x".into(), false));
        assert_eq!(expand("${NOPE}/x", &v), ("\u{1}/x".into(), true));
    }

    #[test]
    fn normalises_sources() {
        assert_eq!(normalize("./"), ".");
        assert_eq!(normalize("/app/../x/"), "x");
        assert_eq!(normalize("../../etc"), "etc");
    }

    #[test]
    fn project_installs() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(installs_project("pip", &w("install .")));
        assert!(installs_project("pip", &w("install -e .[dev]")));
        assert!(installs_project("pip", &w("install --no-cache-dir /app")));
        assert!(!installs_project("pip", &w("install -r requirements.txt")));
        assert!(installs_project("python", &w("setup.py install")));
        assert!(installs_project("poetry", &w("install --no-interaction")));
        assert!(!installs_project("pip", &w("install flask")));
    }

    #[test]
    fn env_readers() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(is_env_reader("npm", &w("run build")));
        assert!(!is_env_reader("npm", &w("ci")));
        assert!(is_env_reader("python", &w("manage.py collectstatic")));
        assert!(!is_env_reader("python", &w("-m pip install x")));
        assert!(is_env_reader("php", &w("artisan config:cache")));
    }
}
