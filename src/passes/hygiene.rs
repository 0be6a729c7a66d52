//! Helpers shared by the package-manager hygiene passes (not a pass itself): which shell runs a RUN,
//! which RUNs come later in a stage and the stages built on it, where a cleanup command can be appended,
//! and which mounts already cover a cache directory.

use crate::model::{Detail, Document, Instruction, Kind};
use crate::recognize::basename;
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
    let stage = doc.instructions.get(idx)?.stage?;
    fn walk(
        doc: &Document,
        stage: usize,
        from: usize,
        judge: &dyn Fn(&Instruction) -> Use,
        depth: usize,
    ) -> Option<usize> {
        for i in from..doc.stages[stage].instructions.end {
            let inst = &doc.instructions[i];
            if inst.kind != Kind::Run {
                continue;
            }
            match judge(inst) {
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
    v.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '"' | '\''))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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
