//! Helpers shared by the package-manager hygiene passes (not a pass itself): which shell runs a RUN,
//! which RUNs come later in a stage and the stages built on it, where a cleanup command can be appended,
//! and which mounts already cover a cache directory.

use crate::model::{Detail, Document, Instruction, Kind};
use crate::passes::PassContext;
use crate::passes::context_files::{context_file, script_run};
use crate::recognize::{basename, effective_words};
use crate::shell::{self, Mode, Script, SimpleCommand};

/// Shells whose `-c` understands `&&`, `;` and POSIX quoting.
const POSIX_SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"];

/// The SHELL instruction in effect before instruction `idx` (following the stage's parents), if any.
pub fn shell_before(doc: &Document, idx: usize) -> Option<&Instruction> {
    let mut stage = doc.instructions.get(idx)?.stage?;
    let mut upto = idx;
    loop {
        let st = &doc.stages[stage];
        if let Some(i) = (st.instructions.start + 1..upto)
            .rev()
            .find(|&i| doc.instructions[i].kind == Kind::Shell)
        {
            return Some(&doc.instructions[i]);
        }
        let p = st.parent?;
        upto = doc.stages[p].instructions.end;
        stage = p;
    }
}

/// `Err(reason)` when the RUN at `idx` is run by a SHELL that is not a POSIX shell (PowerShell, cmd),
/// where `&&` and quoting mean something else.
pub fn require_posix_shell(doc: &Document, idx: usize) -> Result<(), String> {
    let Some(sh) = shell_before(doc, idx) else {
        return Ok(());
    };
    let Detail::List(args) = &sh.detail else {
        return Err("the SHELL instruction could not be read".into());
    };
    let prog = args.first().map(|a| basename(&a.value).to_string());
    match prog {
        Some(p) if POSIX_SHELLS.contains(&p.as_str()) => Ok(()),
        Some(p) => Err(format!(
            "RUN is run by SHELL `{p}`, not a POSIX shell: the command syntax differs"
        )),
        None => Err("the SHELL instruction is empty".into()),
    }
}

/// What a later RUN does with a cache or state an earlier RUN leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// It reads it: removing it earlier would break or change this RUN.
    Needs,
    /// It recreates it before any read: what an earlier RUN left no longer matters after it.
    Recreates,
    Neither,
}

/// The line of the first RUN after `idx` that [`Use::Needs`] what `idx` leaves behind, following the
/// stage and then every stage built `FROM` it (each from its start, since it inherits the end of its
/// parent). A RUN that [`Use::Recreates`] it ends the search on its path.
pub fn later_need(
    doc: &Document,
    idx: usize,
    judge: &dyn Fn(&Instruction) -> Use,
) -> Option<usize> {
    later_need_at(doc, idx, &|_, inst| judge(inst))
}

/// [`later_need`] with a judge that also gets the index of the RUN it judges.
pub fn later_need_at(
    doc: &Document,
    idx: usize,
    judge: &dyn Fn(usize, &Instruction) -> Use,
) -> Option<usize> {
    let stage = doc.instructions.get(idx)?.stage?;
    fn walk(
        doc: &Document,
        stage: usize,
        from: usize,
        judge: &dyn Fn(usize, &Instruction) -> Use,
        depth: usize,
    ) -> Option<usize> {
        for i in from..doc.stages[stage].instructions.end {
            let inst = &doc.instructions[i];
            if inst.kind != Kind::Run {
                continue;
            }
            match judge(i, inst) {
                Use::Needs => return Some(doc.line(inst.keyword.start)),
                Use::Recreates => return None,
                Use::Neither => {}
            }
        }
        if depth > doc.stages.len() {
            return None;
        }
        doc.stages
            .iter()
            .enumerate()
            .skip(stage + 1)
            .filter(|(_, st)| st.parent == Some(stage))
            .find_map(|(s, st)| walk(doc, s, st.instructions.start + 1, judge, depth + 1))
    }
    walk(doc, stage, idx + 1, judge, 0)
}

/// The scripts of a RUN: its shell-form command and its heredoc bodies (parsed as plain shell). An
/// exec-form command yields no script; callers that care look at its arguments.
pub fn all_scripts(doc: &Document, inst: &Instruction) -> Vec<Script> {
    let Detail::Run { command, heredocs } = &inst.detail else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let crate::model::CommandForm::Shell { script, .. } = command {
        out.push(script.clone());
    }
    for h in heredocs {
        out.push(shell::parse(&doc.text, h.body.clone(), Mode::Plain));
    }
    out
}

/// Every command of a RUN as streams of words, one per script (shell form, each heredoc body, exec
/// form), in order, with `;` between simple commands and quoted strings that hold spaces
/// (`sh -c "apt-get install x"`) split into their own words. For judging what a RUN does with a cache,
/// where a mention inside quotes counts too.
pub fn word_streams(doc: &Document, inst: &Instruction) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = all_scripts(doc, inst)
        .iter()
        .map(|script| {
            let mut words = Vec::new();
            for c in &script.commands {
                for w in &c.words {
                    words.extend(split_quoted(&w.value));
                }
                words.push(";".to_string());
            }
            words
        })
        .collect();
    if let Detail::Run {
        command: crate::model::CommandForm::Exec { args, .. },
        ..
    } = &inst.detail
    {
        out.push(args.iter().flat_map(|a| split_quoted(&a.value)).collect());
    }
    out
}

fn split_quoted(v: &str) -> Vec<String> {
    v.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ';' | '&' | '|' | '(' | ')' | '"' | '\'' | '`' | '[' | ']' | '{' | '}' | ','
            )
    })
    .filter(|s| !s.is_empty())
    .map(str::to_string)
    .collect()
}

/// One piece of what a RUN runs, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Whole commands as words (`;` after each), from the RUN itself (`from: None`) or from a script
    /// or Makefile of the build context that it runs (`from: Some("`./install.sh`")`).
    Words {
        words: Vec<String>,
        from: Option<String>,
    },
    /// A script, program or Makefile that the RUN runs from a path dockopt cannot map to a file of
    /// the build context: what it does is unknown.
    Unreadable(String),
}

/// How deep scripts run by scripts (and `sh -c` strings) are followed.
const MAX_SCRIPT_DEPTH: usize = 4;

/// What a RUN runs, one stream per script (shell form, each heredoc body, exec form) like
/// [`word_streams`], with the scripts and make targets it runs from the build context spliced in
/// where they run (read with [`context_files`](crate::passes::context_files)), and the ones that
/// cannot be read marked [`Part::Unreadable`].
pub fn run_parts(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    inst: &Instruction,
) -> Vec<Vec<Part>> {
    let Some(stage) = inst.stage else {
        return Vec::new();
    };
    let r = Runner {
        doc,
        cx,
        stage,
        idx,
    };
    let mut out: Vec<Vec<Part>> = all_scripts(doc, inst)
        .iter()
        .map(|script| {
            let mut parts = Vec::new();
            r.commands(&script_commands(script), None, 0, true, false, &mut parts);
            parts
        })
        .collect();
    if let Detail::Run {
        command: crate::model::CommandForm::Exec { args, .. },
        ..
    } = &inst.detail
    {
        let words: Vec<String> = args.iter().map(|a| a.value.clone()).collect();
        let mut parts = Vec::new();
        r.commands(&[(words.clone(), words)], None, 0, true, false, &mut parts);
        out.push(parts);
    }
    out
}

/// Each simple command of a script as (all its words, its words without wrappers such as `sudo`).
/// The patterns of a `case` (`;; linux/arm64 | */arm64)`) run nothing: their second list is empty.
fn script_commands(script: &Script) -> Vec<(Vec<String>, Vec<String>)> {
    let mut in_pattern = false;
    let mut prev: Option<&SimpleCommand> = None;
    let mut out = Vec::new();
    for c in &script.commands {
        let op = |s: &Option<shell::Separator>| s.as_ref().map(|s| s.op);
        // After `case X in` (the first pattern on the next line), or after `case X in a |` (the
        // first pattern list goes on).
        let after_in = prev.is_some_and(|p| {
            p.words.first().is_some_and(|w| w.value == "case")
                && (p.words.last().is_some_and(|w| w.value == "in")
                    || matches!(op(&p.after), Some("|")))
        });
        if matches!(op(&c.before), Some(";;")) || after_in {
            in_pattern = true;
        }
        let pattern = in_pattern && matches!(op(&c.after), Some(")" | "|"));
        if !matches!(op(&c.after), Some("|")) {
            in_pattern = false;
        }
        let all = c.words.iter().map(|w| w.value.clone()).collect();
        let eff = if pattern {
            Vec::new()
        } else {
            effective_words(c).iter().map(|w| w.value.clone()).collect()
        };
        out.push((all, eff));
        prev = Some(c);
    }
    out
}

/// A file sourced for its settings, which runs no package manager: `/etc/os-release`, a
/// virtualenv's `bin/activate`.
fn settings_file(name: &str, path: &str) -> bool {
    matches!(name, "." | "source") && (path.starts_with("/etc/") || path.ends_with("bin/activate"))
}

struct Runner<'a> {
    doc: &'a Document,
    cx: &'a PassContext<'a>,
    stage: usize,
    idx: usize,
}

impl Runner<'_> {
    /// Appends the words of `cmds` to `parts` (only when `with_words`), with what each script or make
    /// it runs does after it.
    fn commands(
        &self,
        cmds: &[(Vec<String>, Vec<String>)],
        from: Option<&str>,
        depth: usize,
        with_words: bool,
        mut moved: bool,
        parts: &mut Vec<Part>,
    ) {
        let mut words: Vec<String> = Vec::new();
        let flush = |words: &mut Vec<String>, parts: &mut Vec<Part>| {
            if !words.is_empty() {
                parts.push(Part::Words {
                    words: std::mem::take(words),
                    from: from.map(str::to_string),
                });
            }
        };
        for (all, eff) in cmds {
            if with_words {
                for w in all {
                    words.extend(split_quoted(w));
                }
                words.push(";".to_string());
            }
            let Some(first) = eff.first() else { continue };
            let name = basename(first);
            // After a `cd`, relative paths no longer start at the WORKDIR: they cannot be mapped.
            if matches!(name, "cd" | "pushd" | "popd") {
                moved = true;
                continue;
            }
            // `sh -c 'STRING'`: the string is a script.
            if matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh")
                && let Some(i) = eff.iter().position(|a| {
                    a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))
                })
                && let Some(text) = eff.get(i + 1)
            {
                if depth < MAX_SCRIPT_DEPTH {
                    flush(&mut words, parts);
                    let s = shell::parse(text, 0..text.len(), Mode::Plain);
                    self.commands(
                        &script_commands(&s),
                        from,
                        depth + 1,
                        with_words,
                        moved,
                        parts,
                    );
                }
                continue;
            }
            let (what, file) = if matches!(name, "make" | "gmake") {
                let file = if moved {
                    None
                } else {
                    self.makefile(&eff[1..])
                };
                (format!("`{}`", eff.join(" ")), file)
            } else if let Some(path) = script_run(name, eff).filter(|p| !settings_file(name, p)) {
                let file = if moved && !path.starts_with('/') {
                    None
                } else {
                    context_file(self.doc, self.cx.context_dir, self.stage, self.idx, path)
                        .map(|(_, t)| (t, false))
                };
                (format!("`{path}`"), file)
            } else {
                continue;
            };
            flush(&mut words, parts);
            match file {
                Some((text, is_make)) if depth < MAX_SCRIPT_DEPTH => {
                    let text = text.replace("\\\r\n", " ").replace("\\\n", " ");
                    let text = if is_make { recipe_text(&text) } else { text };
                    // Every token of the file, so that commands in other languages
                    // (`subprocess.run(["apt-get", ...])`) are seen too, then the scripts it runs.
                    let mut tokens = Vec::new();
                    for line in text.lines() {
                        if line.trim_start().starts_with('#') {
                            continue;
                        }
                        tokens.extend(split_quoted(line));
                        tokens.push(";".to_string());
                    }
                    parts.push(Part::Words {
                        words: tokens,
                        from: Some(what.clone()),
                    });
                    let s = shell::parse(&text, 0..text.len(), Mode::Plain);
                    self.commands(
                        &script_commands(&s),
                        Some(&what),
                        depth + 1,
                        false,
                        false,
                        parts,
                    );
                }
                _ => parts.push(Part::Unreadable(what)),
            }
        }
        flush(&mut words, parts);
    }

    /// The Makefile `make ARGS` reads (`-f FILE`, `-C DIR`, else GNUmakefile, makefile, Makefile),
    /// read from the build context, with `true` for "a Makefile".
    fn makefile(&self, args: &[String]) -> Option<(String, bool)> {
        let mut file = None;
        let mut dir = None;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            let next = args.get(i + 1).cloned();
            if matches!(a, "-f" | "--file" | "--makefile") {
                file = next;
                i += 1;
            } else if matches!(a, "-C" | "--directory") {
                dir = next;
                i += 1;
            } else if let Some(v) = a
                .strip_prefix("--file=")
                .or_else(|| a.strip_prefix("--makefile="))
                .or_else(|| a.strip_prefix("-f").filter(|v| !v.is_empty()))
            {
                file = Some(v.to_string());
            } else if let Some(v) = a
                .strip_prefix("--directory=")
                .or_else(|| a.strip_prefix("-C").filter(|v| !v.is_empty()))
            {
                dir = Some(v.to_string());
            }
            i += 1;
        }
        let names = match &file {
            Some(f) => vec![f.clone()],
            None => ["GNUmakefile", "makefile", "Makefile"]
                .map(String::from)
                .to_vec(),
        };
        names.iter().find_map(|n| {
            let path = match &dir {
                Some(d) if !n.starts_with('/') => format!("{}/{n}", d.trim_end_matches('/')),
                _ => n.clone(),
            };
            context_file(self.doc, self.cx.context_dir, self.stage, self.idx, &path)
                .map(|(_, t)| (t, true))
        })
    }
}

/// A Makefile as shell text: recipe lines without their tab and `@`, `-`, `+` prefixes.
fn recipe_text(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix('\t') {
            Some(r) => r.trim_start_matches(['@', '-', '+']),
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a later RUN's need comes from: its own commands, a script or Makefile it runs, or a file
/// that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Run,
    Script(String),
    Unreadable(String),
}

/// A later RUN that needs what an earlier one leaves behind: its line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Later {
    pub line: usize,
    pub via: Via,
}

impl Later {
    /// `the RUN on line N DOES`, `the RUN on line N runs `x.sh`, which DOES`, or `the RUN on line N
    /// runs `x.sh`, which dockopt cannot read from the build context (it may MAY)`.
    pub fn describe(&self, does: &str, may: &str) -> String {
        let line = self.line;
        match &self.via {
            Via::Run => format!("the RUN on line {line} {does}"),
            Via::Script(s) => format!("the RUN on line {line} runs {s}, which {does}"),
            Via::Unreadable(s) => format!(
                "the RUN on line {line} runs {s}, which dockopt cannot read from the build context (it may {may})"
            ),
        }
    }
}

/// [`later_need`] through [`run_parts`]: `words_use` judges commands (the RUN's own, and those of the
/// scripts and Makefiles it runs from the build context); a file that cannot be read counts as
/// `unreadable`.
pub fn later_need_through_scripts(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    words_use: &dyn Fn(&[String]) -> Use,
    unreadable: Use,
) -> Option<Later> {
    let via = std::cell::RefCell::new(Via::Run);
    let line = later_need_at(doc, idx, &|i, inst| {
        let mut verdict = Use::Neither;
        for stream in run_parts(doc, cx, i, inst) {
            let (u, v) = parts_use(&stream, words_use, unreadable);
            match u {
                Use::Needs => {
                    *via.borrow_mut() = v;
                    return Use::Needs;
                }
                Use::Recreates => verdict = Use::Recreates,
                Use::Neither => {}
            }
        }
        verdict
    })?;
    Some(Later {
        line,
        via: via.into_inner(),
    })
}

/// The first decisive use in a stream of parts, and where it comes from.
fn parts_use(parts: &[Part], words_use: &dyn Fn(&[String]) -> Use, unreadable: Use) -> (Use, Via) {
    for p in parts {
        let (u, via) = match p {
            Part::Words { words, from } => {
                (words_use(words), from.clone().map_or(Via::Run, Via::Script))
            }
            Part::Unreadable(what) => (unreadable, Via::Unreadable(what.clone())),
        };
        if u != Use::Neither {
            return (u, via);
        }
    }
    (Use::Neither, Via::Run)
}

/// The verdict for a whole RUN from the verdicts of its scripts: any need wins.
pub fn combine(uses: impl Iterator<Item = Use>) -> Use {
    let mut out = Use::Neither;
    for u in uses {
        match u {
            Use::Needs => return Use::Needs,
            Use::Recreates => out = Use::Recreates,
            Use::Neither => {}
        }
    }
    out
}

/// The heredoc bodies of a RUN, parsed as plain shell.
pub fn heredoc_scripts(doc: &Document, inst: &Instruction) -> Vec<Script> {
    let Detail::Run { heredocs, .. } = &inst.detail else {
        return Vec::new();
    };
    heredocs
        .iter()
        .map(|h| shell::parse(&doc.text, h.body.clone(), Mode::Plain))
        .collect()
}

/// The last simple command of a script, after which ` && cleanup` can be appended so that it runs once,
/// after everything else in the RUN (a last `done`, `fi` or `}` keeps it outside loops, conditionals and
/// functions). `Err(reason)` when that would not be the case: a background job (`&`) anywhere, a last
/// command followed by an operator such as a closing `)`, or a last command that never returns
/// (`exit`, `exec`).
pub fn append_point(script: &Script) -> Result<&SimpleCommand, String> {
    let last = script
        .commands
        .last()
        .ok_or_else(|| "the RUN has no command".to_string())?;
    for c in &script.commands {
        if c.after.as_ref().is_some_and(|s| matches!(s.op, "&" | "|&")) {
            return Err("the RUN starts a background job (`&`)".into());
        }
    }
    if let Some(name) = last.words.first().filter(|w| !w.quoted) {
        let n = name.value.as_str();
        if matches!(n, "exit" | "exec" | "return") {
            return Err(format!(
                "the RUN ends with `{n}`: a command appended after it would not run"
            ));
        }
    }
    if last.after.as_ref().is_some_and(|s| s.op != ";") {
        return Err("the RUN's last command is followed by an operator".into());
    }
    Ok(last)
}

/// The RUN's `--mount` options like [`Instruction::mounts`], with quotes around values removed
/// (`target="/root/.cache"`).
pub fn mount_options(inst: &Instruction) -> Vec<Vec<(String, String)>> {
    inst.mounts()
        .into_iter()
        .map(|opts| {
            opts.into_iter()
                .map(|(k, v)| (k, v.trim_matches(|c| c == '"' || c == '\'').to_string()))
                .collect()
        })
        .collect()
}

/// The target of a RUN `--mount` (of any type) that covers one of `dirs`: the mount is at the
/// directory, inside it, or at a parent of it.
pub fn mount_covering(inst: &Instruction, dirs: &[String]) -> Option<(String, String)> {
    mount_options(inst).into_iter().find_map(|opts| {
        let kind = opts
            .iter()
            .find(|(k, _)| k == "type")
            .map_or("bind".to_string(), |(_, v)| v.clone());
        let target = opts
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
            .map(|(_, v)| v.trim_end_matches('/').to_string())?;
        let hit = dirs.iter().any(|d| {
            let d = d.trim_end_matches('/');
            !target.is_empty()
                && (target == d
                    || d.starts_with(&format!("{target}/"))
                    || target.starts_with(&format!("{d}/")))
        });
        hit.then_some((kind, target))
    })
}

/// Whether any command word of the script (at any position, as a file name) is one of `programs`, or
/// any word mentions one of them inside quotes (`sh -c "apt-get install x"`).
pub fn mentions(script: &Script, programs: &[String]) -> Option<usize> {
    for c in &script.commands {
        for w in &c.words {
            let b = basename(&w.value);
            if programs.iter().any(|p| p == b) {
                return Some(w.range.start);
            }
            if w.value.contains(' ')
                && w.value
                    .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '/'))
                    .any(|part| programs.iter().any(|p| p == basename(part)))
            {
                return Some(w.range.start);
            }
        }
    }
    None
}

/// Indices of the instructions before `idx` in its stage and in the stages it is built on (FROM lines
/// included), nearest first.
pub fn earlier_in_chain(doc: &Document, idx: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(mut stage) = doc.instructions.get(idx).and_then(|i| i.stage) else {
        return out;
    };
    let mut upto = idx;
    for _ in 0..=doc.stages.len() {
        let st = &doc.stages[stage];
        out.extend((st.instructions.start..upto).rev());
        match st.parent {
            Some(p) => {
                upto = doc.stages[p].instructions.end;
                stage = p;
            }
            None => break,
        }
    }
    out
}

/// The image the stage of instruction `idx` ultimately starts from (following `FROM <stage>`), with
/// a `docker.io/library/` prefix removed.
pub fn root_image(doc: &Document, idx: usize) -> Option<String> {
    let mut stage = doc.instructions.get(idx)?.stage?;
    for _ in 0..=doc.stages.len() {
        match doc.stages[stage].parent {
            Some(p) => stage = p,
            None => break,
        }
    }
    let image = doc.stages[stage].image.to_ascii_lowercase();
    let image = image
        .strip_prefix("docker.io/")
        .unwrap_or(&image)
        .to_string();
    Some(image.strip_prefix("library/").unwrap_or(&image).to_string())
}

/// How many simple commands a RUN has (exec form and heredoc-only RUNs count as one).
pub fn command_count(inst: &Instruction) -> usize {
    inst.run_script().map_or(1, |s| s.commands.len().max(1))
}

fn flags_text<'d>(doc: &'d Document, inst: &Instruction) -> Vec<&'d str> {
    inst.flags.iter().map(|f| doc.slice(&f.range)).collect()
}

/// The line of a neighbouring RUN that the RUN at `idx` would pair up with once it shrinks from several
/// simple commands to `remaining`: hadolint (DL3059) reports two adjacent RUNs with the same flags when
/// each runs a single command, as a hint to merge them. Passes that shorten a RUN refuse in that case,
/// so that a cleanup never trades one finding for another (merging the RUNs first lets them proceed).
pub fn would_pair_with_neighbour(doc: &Document, idx: usize, remaining: usize) -> Option<usize> {
    let inst = doc.instructions.get(idx)?;
    if remaining > 1 || command_count(inst) <= 1 {
        return None;
    }
    let flags = flags_text(doc, inst);
    [idx.checked_sub(1), Some(idx + 1)]
        .into_iter()
        .flatten()
        .filter_map(|i| doc.instructions.get(i))
        .find(|n| {
            n.kind == Kind::Run
                && n.stage == inst.stage
                && command_count(n) <= 1
                && flags_text(doc, n) == flags
        })
        .map(|n| doc.line(n.keyword.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(t: &str) -> Script {
        shell::parse(t, 0..t.len(), Mode::Dockerfile { escape: b'\\' })
    }

    fn delete(t: &str, idx: usize) -> Option<String> {
        let text = format!("FROM a\nRUN {t}\n");
        let d = Document::parse(&text).unwrap();
        let script = d.instructions[1].run_script().unwrap();
        let e = crate::edit::delete_command(&d, script, idx)?;
        let out = crate::engine::apply_edits(&text, &[&e]);
        Some(out["FROM a\nRUN ".len()..out.len() - 1].to_string())
    }

    #[test]
    fn delete_command_keeps_the_chain_meaning() {
        assert_eq!(delete("a && b && c", 1).as_deref(), Some("a && c"));
        assert_eq!(delete("b; c", 0).as_deref(), Some("c"));
        assert_eq!(delete("b && c", 0).as_deref(), Some("c"));
        assert_eq!(delete("a; b", 1).as_deref(), Some("a"));
        assert_eq!(delete("a; b && c", 1).as_deref(), Some("a; c"));
        assert_eq!(delete("a && b || c", 1).as_deref(), Some("a || c"));
        assert_eq!(
            delete("a \\\n  && b \\\n  && c", 1).as_deref(),
            Some("a \\\n  && c")
        );
        assert_eq!(delete("a || b && c", 1), None);
        assert_eq!(delete("a; b || c", 1), None);
        assert_eq!(delete("a | b", 1), None);
        assert_eq!(delete("b", 0), None);
        assert_eq!(delete("if x; then b; fi", 1), None);
        assert_eq!(delete("a \\\n # note\n && b", 1), None);
    }

    #[test]
    fn pairing_with_a_single_command_neighbour() {
        let t = "FROM a\nRUN x && y\n# note\nRUN z\nRUN p && q\nRUN --mount=type=cache,target=/c r && s\nRUN t\n";
        let d = Document::parse(t).unwrap();
        assert_eq!(would_pair_with_neighbour(&d, 1, 1), Some(4));
        assert_eq!(would_pair_with_neighbour(&d, 1, 2), None);
        assert_eq!(would_pair_with_neighbour(&d, 3, 1), Some(4));
        assert_eq!(would_pair_with_neighbour(&d, 4, 1), None);
    }

    #[test]
    fn append_point_refuses_background_and_exit() {
        assert!(append_point(&script("a && b")).is_ok());
        assert!(append_point(&script("a; b;")).is_ok());
        assert!(append_point(&script("a & b")).is_err());
        assert!(append_point(&script("a && exit 0")).is_err());
    }

    #[test]
    fn later_need_follows_child_stages_and_stops_at_recreation() {
        let t =
            "FROM a AS base\nRUN one\nRUN two\nFROM b AS other\nRUN need\nFROM base\nRUN need\n";
        let d = Document::parse(t).unwrap();
        let judge = |i: &Instruction| {
            let w = &i.run_script().unwrap().commands[0].words[0].value;
            match w.as_str() {
                "need" => Use::Needs,
                "two" => Use::Neither,
                _ => Use::Recreates,
            }
        };
        assert_eq!(later_need(&d, 2, &judge), Some(7));
        assert_eq!(later_need(&d, 0, &judge), None);
    }

    #[test]
    fn posix_shell_check() {
        let t = "FROM a\nSHELL [\"powershell\", \"-Command\"]\nRUN x\nFROM a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN y\n";
        let d = Document::parse(t).unwrap();
        assert!(require_posix_shell(&d, 2).is_err());
        assert!(require_posix_shell(&d, 5).is_ok());
    }

    #[test]
    fn mounts_covering_a_directory() {
        let t = "FROM a\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked x\n";
        let d = Document::parse(t).unwrap();
        let dirs = vec!["/var/lib/apt/lists".to_string()];
        assert_eq!(
            mount_covering(&d.instructions[1], &dirs),
            Some(("cache".into(), "/var/lib/apt".into()))
        );
        assert_eq!(
            mount_covering(&d.instructions[1], &["/var/cache/apk".into()]),
            None
        );
    }
}
