//! exec-form: shell-form CMD and ENTRYPOINT without shell syntax become exec form (JSON). Unsafe.

use crate::fix::{Applicability, Edit, Findings};
use crate::model::{CommandForm, Detail, Document, Instruction, Kind};
use crate::passes::hygiene;
use crate::passes::instruction_data::TABLE;
use crate::passes::{Pass, PassContext, PassInfo};
use crate::shell::{Script, Word};

pub struct ExecForm;

const NAME: &str = "exec-form";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Shell-form CMD/ENTRYPOINT without shell syntax become exec form (unsafe, with --unsafe)",
    hadolint: &["DL3025"],
    default_enabled: true,
    doc: r#"# exec-form

## What it does
Rewrites a shell-form `CMD` or `ENTRYPOINT` as exec form (a JSON array) when the command is a single
plain program call: no variables, command substitution, pipes, `&&`/`;`, redirections, globs, `~`,
braces, comments or `VAR=x` prefixes, and the program is not a shell builtin. Quotes and backslashes
are resolved the way the shell would. A leading `exec` is dropped, since exec form already replaces
the shell. Applied only with `--unsafe`.

## Why
Shell form runs `/bin/sh -c "<command>"`. Depending on the shell, PID 1 is then `sh`, which does not
forward SIGTERM: `docker stop` waits its 10 seconds and kills the program without a clean shutdown.
In exec form the program itself is PID 1 and receives the signal. This is hadolint's DL3025.

## Example
```dockerfile
CMD gunicorn --bind 0.0.0.0:8000 "app:create_app()"
```
becomes (with `--unsafe`)
```dockerfile
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:create_app()"]
```

## When it refuses
- Any shell syntax in the command (listed above): the shell is needed. Reported, with what was found.
- A shell builtin or keyword as the program (`cd`, `source`, `echo`, `[`, `if`, ...).
- A SHELL instruction in the stage or a stage it builds on: shell form runs through that shell (for
  example `conda run` or PowerShell) and exec form would bypass it.
- Windows base images (`windows`, `nanoserver`, `servercore`): their shell is `cmd`.
- ENTRYPOINT when the stage also sets a CMD: in exec form that CMD would become the entrypoint's
  arguments, while shell form ignores it.
- CMD when the stage (or a stage it builds on) sets an ENTRYPOINT: the CMD is the entrypoint's
  argument list, and the rewrite changes those arguments.
- A comment line inside the instruction.

## Fix safety
**Unsafe.** The program runs directly instead of under `/bin/sh -c`, which changes more than signals:
- a script without a `#!` line runs under `sh -c` but fails with "exec format error" in exec form;
- ENTRYPOINT in exec form receives `docker run` arguments (and a CMD) that shell form ignored;
- a CMD in exec form is passed differently to an ENTRYPOINT inherited from the base image (many
  official images have one, such as `docker-entrypoint.sh`), which this pass cannot see;
- the shell's environment (`PWD`, `SHLVL`) is no longer set up.
Review each rewrite and test the container's start and stop.
"#,
};

impl Pass for ExecForm {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only shell-form CMD and ENTRYPOINT.
            let (kw, form) = match &inst.detail {
                Detail::Cmd(f) if inst.kind == Kind::Cmd => ("CMD", f),
                Detail::Entrypoint(f) if inst.kind == Kind::Entrypoint => ("ENTRYPOINT", f),
                _ => continue,
            };
            let CommandForm::Shell { range, script } = form else {
                continue;
            };
            if range.is_empty() {
                continue;
            }
            let anchor = inst.keyword.start;
            match convert(doc, idx, inst, kw, range, script) {
                Ok(json) => out.fix(
                    NAME,
                    anchor,
                    Applicability::Unsafe,
                    format!(
                        "{kw} shell form -> exec form {json} (unsafe: the program runs without /bin/sh -c)"
                    ),
                    vec![Edit::replace(range.clone(), json)],
                ),
                Err(reason) => out.skip(NAME, anchor, format!("{kw} stays in shell form: {reason}")),
            }
        }
    }
}

/// The exec form of a shell-form command, or why there is none.
fn convert(
    doc: &Document,
    idx: usize,
    inst: &Instruction,
    kw: &str,
    range: &std::ops::Range<usize>,
    script: &Script,
) -> Result<String, String> {
    let t = &TABLE.exec_form;
    // Windows images run shell form under cmd.
    if let Some(image) = hygiene::root_image(doc, idx)
        && t.windows_images.iter().any(|w| image.contains(w.as_str()))
    {
        return Err(format!("{image} is a Windows image (its shell is cmd)"));
    }
    // Shell form runs through a SHELL of the author's choosing.
    if let Some(sh) = hygiene::shell_before(doc, idx) {
        return Err(format!(
            "shell form runs through the SHELL on line {}, which exec form would bypass",
            doc.line(sh.keyword.start)
        ));
    }
    // A comment line inside would be lost.
    if doc
        .slice(&inst.full_range())
        .lines()
        .skip(1)
        .any(|l| l.trim_start().starts_with('#'))
    {
        return Err("a comment line sits inside it".into());
    }
    let chain = hygiene::earlier_in_chain(doc, idx);
    let stage = inst.stage;
    if kw == "ENTRYPOINT"
        && let Some(stage) = stage
        && let Some((i, _)) = doc.stage_body(stage).find(|(_, i)| i.kind == Kind::Cmd)
    {
        return Err(format!(
            "the CMD on line {} would become its arguments in exec form",
            doc.line(doc.instructions[i].keyword.start)
        ));
    }
    let later_in_stage = stage.map_or(idx..idx, |s| idx + 1..doc.stages[s].instructions.end);
    if kw == "CMD"
        && let Some(i) = chain
            .iter()
            .copied()
            .chain(later_in_stage)
            .find(|&i| doc.instructions[i].kind == Kind::Entrypoint)
    {
        return Err(format!(
            "it is the argument list of the ENTRYPOINT on line {}, which exec form would change",
            doc.line(doc.instructions[i].keyword.start)
        ));
    }
    let words = plain_words(doc, range, script)?;
    let mut args: &[Word] = words;
    // `exec prog ...`: exec form replaces the shell already.
    if args.first().is_some_and(|w| w.value == "exec" && !w.quoted)
        && args.get(1).is_some_and(|w| !w.value.starts_with('-'))
    {
        args = &args[1..];
    }
    let first = args.first().ok_or("there is no command")?;
    if !first.quoted && t.shell_builtins.contains(&first.value) {
        return Err(format!("`{}` is a shell builtin or keyword", first.value));
    }
    let parts: Vec<String> = args
        .iter()
        .map(|w| serde_json::to_string(&w.value).unwrap_or_default())
        .collect();
    Ok(format!("[{}]", parts.join(", ")))
}

/// The words of a command that is one plain program call, or what shell syntax it uses.
fn plain_words<'s>(
    doc: &Document,
    range: &std::ops::Range<usize>,
    script: &'s Script,
) -> Result<&'s [Word], String> {
    let t = &TABLE.exec_form;
    let [cmd] = script.commands.as_slice() else {
        return Err(if script.commands.is_empty() {
            "there is no command".into()
        } else {
            "it chains several commands (`&&`, `;`, `|`, ...)".into()
        });
    };
    if cmd.before.is_some() || cmd.after.is_some() {
        return Err("it uses an operator (`&`, `;`, parentheses)".into());
    }
    if !cmd.assigns.is_empty() {
        return Err("it sets variables for the command (`VAR=x cmd`)".into());
    }
    if !cmd.redirects.is_empty() {
        return Err("it redirects input or output".into());
    }
    let first = cmd.words.first().ok_or("there is no command")?;
    // A reserved word (`if`, `!`, `{`) before the first word was stripped by the lexer.
    if first.range.start != cmd.range.start {
        return Err("it starts with a shell keyword".into());
    }
    // Anything outside the words is a comment.
    let text = doc.slice(range);
    for (i, _) in text.match_indices('#') {
        let at = range.start + i;
        if !cmd.words.iter().any(|w| w.range.contains(&at)) {
            return Err("it contains a comment".into());
        }
    }
    for w in &cmd.words {
        if w.dynamic {
            return Err(format!(
                "`{}` expands a variable or command",
                doc.slice(&w.range)
            ));
        }
        let raw = doc.slice(&w.range);
        let fully_quoted = raw.len() >= 2
            && ((raw.starts_with('\'')
                && raw.ends_with('\'')
                && raw[1..raw.len() - 1].find('\'').is_none())
                || (raw.starts_with('"')
                    && raw.ends_with('"')
                    && !raw[1..raw.len() - 1].contains(['"', '\\'])));
        if !fully_quoted && t.special_chars.iter().any(|c| raw.contains(c.as_str())) {
            return Err(format!(
                "`{raw}` has a glob, tilde or brace the shell would expand"
            ));
        }
    }
    Ok(&cmd.words)
}
