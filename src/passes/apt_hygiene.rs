//! apt-hygiene: `-y` and `--no-install-recommends` for apt-get installs, the package lists removed in
//! the RUN that downloaded them, and `apt` spelled `apt-get` in scripts.

use crate::edit;
use crate::fix::{Applicability, Edit, Findings};
use crate::model::{CommandForm, Detail, Document, Instruction, Kind};
use crate::passes::cache_mounts;
use crate::passes::hygiene::{self, Use};
use crate::passes::package_managers::{TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{ToolCall, basename, tool_call};
use crate::shell::{Script, Word};

pub struct AptHygiene;

const NAME: &str = "apt-hygiene";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "apt-get installs get -y (and --no-install-recommends with --unsafe), lists are removed, apt becomes apt-get",
    hadolint: &["DL3009", "DL3014", "DL3015", "DL3027"],
    default_enabled: true,
    doc: r#"# apt-hygiene

## What it does
Four separate fixes for apt inside shell-form RUN instructions (across continuation lines, `&&`/`;`
chains and `VAR=x` prefixes):

1. `-y` is added right after the subcommand of an `apt-get` (or `apt`) install, upgrade, remove,
   purge or autoremove that has no `-y`, `--yes`, `--assume-yes`, `-qq` or `-q=2` (DL3014).
2. `--no-install-recommends` is added to `apt-get install` (DL3015). **Unsafe, only with `--unsafe`.**
3. A RUN that runs `apt-get update` and then an install gets `&& rm -rf /var/lib/apt/lists/*` appended
   after its last command, before any inline comment (DL3009).
4. `apt` becomes `apt-get` (or `apt-cache` for `search`, `show`, `policy`, `depends`): the rename is
   safe for `update`, `remove`, `purge`, `autoremove`, `clean`; for subcommands that download packages
   (`install`, `full-upgrade`, ...) it is unsafe (DL3027).

## Why
- Without `-y` apt-get asks for confirmation; a build has no one to answer, reads end-of-file and aborts.
- Recommended packages are not needed to run the requested ones and often add tens of megabytes.
- `apt-get update` downloads the package lists (20-50 MB) into `/var/lib/apt/lists`. Removed in a later
  RUN they still take space in the earlier layer; removed in the same RUN they never reach the image.
- `apt` is the interactive front end and warns that its command line is not stable for scripts.

## Example
```dockerfile
RUN apt-get update && apt-get install curl ca-certificates # tools
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y curl ca-certificates && rm -rf /var/lib/apt/lists/* # tools
```
and with `--unsafe`, `apt-get install -y --no-install-recommends curl ca-certificates`.

## When it refuses
- The lists are never removed from a RUN that only runs `apt-get update` (a later RUN installs with
  them), nor from a RUN without an update, and `/var/lib/dpkg` is never touched.
- The lists are kept when a later RUN of the same stage, or of a stage built `FROM` it, runs
  `apt-get install` (or `apt-cache`, `aptitude`) without its own `apt-get update`: it needs them.
  The scripts and make targets that RUN runs from the build context (`./install.sh`, `sh x.sh`,
  `python x.py`, `make deps`) are read and count the same; one dockopt cannot map to a context file
  (not copied from the context, no context, a `Makefile` it cannot find) may run apt, so the lists are
  kept too. Reported as a skip that names the line and the script.
- A RUN that already removes `/var/lib/apt/lists`, or mounts a cache (or any mount) over
  `/var/lib/apt/lists` or `/var/lib/apt`, keeps its lists as they are (skip). With `--cache-mounts` on
  a BuildKit file, a RUN that gets a cache mount for apt keeps its lists in that mount instead (skip).
- apt run through `sudo` or `exec`, a RUN with a background job (`&`), a RUN ending with `exit` or a
  `)`, and RUNs under a non-POSIX `SHELL` get no appended cleanup (skip with the reason).
- `apt upgrade` (it installs new dependencies, `apt-get upgrade` does not), `apt list` and
  `apt edit-sources` stay as they are (skip).
- Exec-form RUN, `sh -c "..."` strings and commands run through `xargs` are left alone. apt commands
  inside heredoc bodies are reported, never edited.

## Fix safety
- `-y`: safe. It only answers the prompt a build cannot answer; apt-get still refuses dangerous actions
  such as removing essential packages without further flags.
- Lists removal: safe. The lists are a download cache; nothing later in the stage needs them (checked).
- `--no-install-recommends`: **unsafe**. A program can rely on a package that is only recommended
  (for example `ca-certificates` recommended by `curl` on some releases). Review and test the image.
- `apt` -> `apt-get`: safe for subcommands that do not download packages. For the others it is
  **unsafe**: `apt` deletes downloaded `.deb` files after installing (`Keep-Downloaded-Packages`), while
  `apt-get` keeps them in `/var/cache/apt/archives` unless the base image has Debian's `docker-clean`
  configuration (the official debian and ubuntu images do).
"#,
};

impl Pass for AptHygiene {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions run apt.
            if inst.kind != Kind::Run {
                continue;
            }
            let Detail::Run { command, .. } = &inst.detail else {
                continue;
            };
            report_heredocs(doc, inst, out);
            // Exec-form RUNs are left alone.
            let CommandForm::Shell { script, .. } = command else {
                continue;
            };
            let calls = apt_calls(script);
            if calls.is_empty() {
                continue;
            }
            // Under PowerShell or cmd the command line means something else.
            if let Err(reason) = hygiene::require_posix_shell(doc, idx) {
                out.skip(NAME, calls[0].1.program.range.start, reason);
                continue;
            }
            for (_, call) in &calls {
                rename_apt(call, out);
                add_yes(call, out);
                add_no_recommends(call, out);
            }
            remove_lists(doc, cx, idx, inst, script, &calls, out);
        }
    }
}

/// Every apt-get / apt call of a script, with the index of its simple command.
fn apt_calls(script: &Script) -> Vec<(usize, ToolCall<'_>)> {
    let apt = &TABLE.apt;
    script
        .commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            tool_call(c, &strs(&apt.programs), &strs(&apt.options_with_value)).map(|t| (i, t))
        })
        .collect()
}

fn sub_is(call: &ToolCall, list: &[String]) -> bool {
    call.subcommand().is_some_and(|s| contains(list, &s.value))
}

fn has_yes(call: &ToolCall) -> bool {
    let apt = &TABLE.apt;
    apt.yes_flags.iter().any(|f| call.has_flag(f))
        || apt.yes_letters.iter().any(|&l| call.has_short(l))
        || call.args.iter().any(|w| {
            let v = w.value.to_ascii_lowercase();
            v.contains("apt::get::assume-yes=true") || v.contains("apt::get::assume-yes=1")
        })
}

fn has_no_recommends(call: &ToolCall) -> bool {
    let apt = &TABLE.apt;
    apt.no_recommends_flags.iter().any(|f| call.has_flag(f))
        || call.args.iter().any(|w| {
            let v = w.value.to_ascii_lowercase();
            apt.no_recommends_options
                .iter()
                .any(|o| v.ends_with(&o.to_ascii_lowercase()))
        })
}

/// `apt X` -> `apt-get X` (or `apt-cache X`).
fn rename_apt(call: &ToolCall, out: &mut Findings) {
    let apt = &TABLE.apt;
    if call.name() != "apt" {
        return;
    }
    let Some(sub) = call.subcommand() else { return };
    if let Some(reason) = apt.apt_left_alone.get(&sub.value) {
        out.skip(
            NAME,
            call.program.range.start,
            format!("{reason}: left alone"),
        );
        return;
    }
    let Some(spelling) = apt.apt_to_apt_get.get(&sub.value) else {
        out.skip(
            NAME,
            call.program.range.start,
            format!(
                "`apt {}` has no known apt-get equivalent: left alone",
                sub.value
            ),
        );
        return;
    };
    // Keep a directory prefix (`/usr/bin/apt`): only the file name changes.
    let p = &call.program;
    let name_start = p.range.end - "apt".len();
    if !p.value.ends_with("apt") || p.range.len() != p.value.len() {
        return;
    }
    let mut edits = vec![Edit::replace(
        name_start..p.range.end,
        spelling.program.clone(),
    )];
    if spelling.subcommand != sub.value {
        edits.push(Edit::replace(
            sub.range.clone(),
            spelling.subcommand.clone(),
        ));
    }
    let new = format!("{} {}", spelling.program, spelling.subcommand);
    if spelling.downloads {
        out.fix(
            NAME,
            p.range.start,
            Applicability::Unsafe,
            format!(
                "`apt {}` -> `{new}` (unsafe: apt-get keeps downloaded .deb files unless the image has docker-clean)",
                sub.value
            ),
            edits,
        );
    } else {
        out.fix(
            NAME,
            p.range.start,
            Applicability::Safe,
            format!("`apt {}` -> `{new}`", sub.value),
            edits,
        );
    }
}

/// `-y` after the subcommand of a call that can prompt.
fn add_yes(call: &ToolCall, out: &mut Findings) {
    let apt = &TABLE.apt;
    // Only subcommands that can prompt, without an answer already.
    if !sub_is(call, &apt.yes_subcommands) || has_yes(call) {
        return;
    }
    let Some(sub) = call.subcommand() else { return };
    out.fix(
        NAME,
        sub.range.start,
        Applicability::Safe,
        format!("added -y to {} {}", call.name(), sub.value),
        vec![edit::insert_after_word(sub, "-y")],
    );
}

/// `--no-install-recommends` after `install` (after its `-y` when that directly follows).
fn add_no_recommends(call: &ToolCall, out: &mut Findings) {
    let apt = &TABLE.apt;
    if !sub_is(call, &apt.recommends_subcommands) || has_no_recommends(call) {
        return;
    }
    let Some(i) = call.subcommand else { return };
    let sub = &call.args[i];
    let after: &Word = match call.args.get(i + 1) {
        Some(w) if is_yes_word(&w.value) => w,
        _ => sub,
    };
    out.fix(
        NAME,
        sub.range.start,
        Applicability::Unsafe,
        format!(
            "added --no-install-recommends to {} {} (unsafe: the program may need a recommended package)",
            call.name(),
            sub.value
        ),
        vec![edit::insert_after_word(after, "--no-install-recommends")],
    );
}

fn is_yes_word(v: &str) -> bool {
    let apt = &TABLE.apt;
    contains(&apt.yes_flags, v)
        || (v.starts_with('-')
            && !v.starts_with("--")
            && v.len() > 1
            && v[1..].chars().all(|c| c.is_ascii_alphabetic())
            && apt.yes_letters.iter().any(|&l| v[1..].contains(l)))
}

/// `&& rm -rf /var/lib/apt/lists/*` at the end of a RUN that runs an update and then an install.
fn remove_lists(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    inst: &Instruction,
    script: &Script,
    calls: &[(usize, ToolCall)],
    out: &mut Findings,
) {
    let apt = &TABLE.apt;
    // An update, and an install after it, in this RUN.
    let Some(update) = calls
        .iter()
        .position(|(_, c)| c.subcommand().is_some_and(|s| s.value == "update"))
    else {
        return;
    };
    let Some((_, install)) = calls[update..]
        .iter()
        .find(|(_, c)| sub_is(c, &apt.install_subcommands))
    else {
        return;
    };
    let anchor = install.program.range.start;
    // The RUN already removes the lists.
    if script
        .commands
        .iter()
        .any(|c| c.words.iter().any(|w| w.value.contains(&apt.lists_dir)))
    {
        return;
    }
    // A mount over the lists: they are not in the layer, and a cache there is wanted.
    if let Some((kind, target)) = hygiene::mount_covering(inst, &apt.cache_dirs) {
        out.skip(
            NAME,
            anchor,
            format!("RUN has a {kind} mount at {target}: the package lists are kept there"),
        );
        return;
    }
    // With --cache-mounts the lists go to a build cache mount instead.
    if let Some(t) = cache_mounts::offered(doc, cx, idx, "apt") {
        out.skip(
            NAME,
            anchor,
            format!("--cache-mounts: the package lists go to a build cache mount ({t}) instead"),
        );
        return;
    }
    // Through sudo (or exec) the appended rm would not run with the same rights.
    if let Some(w) = calls.iter().find_map(|(_, c)| c.privileged_or_exec()) {
        out.skip(
            NAME,
            anchor,
            format!(
                "apt runs through `{w}`: a cleanup appended to the RUN would not run the same way"
            ),
        );
        return;
    }
    let last = match hygiene::append_point(script) {
        Ok(c) => c,
        Err(reason) => {
            out.skip(NAME, anchor, format!("package lists not removed: {reason}"));
            return;
        }
    };
    // A later RUN that reads the lists without downloading them again needs them.
    if let Some(later) = later_list_reader(doc, cx, idx) {
        out.skip(
            NAME,
            anchor,
            format!(
                "package lists kept: {}",
                later.describe(LISTS_USE, "use apt")
            ),
        );
        return;
    }
    out.fix(
        NAME,
        anchor,
        Applicability::Safe,
        format!(
            "added `{}` at the end of the RUN: the package lists (typically 20-50 MB) no longer stay in the layer",
            apt.clean
        ),
        vec![edit::append_command(last, &apt.clean)],
    );
}

/// What a later RUN that needs the package lists does, for messages.
pub(crate) const LISTS_USE: &str = "uses apt without its own `apt-get update`";

/// The first later RUN (same stage, or a stage built on it) that reads the package lists before
/// downloading them again, itself or in a script or make target it runs from the build context. A
/// script dockopt cannot read may run apt: it counts as reading them.
pub(crate) fn later_list_reader(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
) -> Option<hygiene::Later> {
    hygiene::later_need_through_scripts(doc, cx, idx, &lists_use, Use::Needs)
}

/// Whether a word stream runs an apt command that needs the lists before any `apt-get update`.
fn lists_use(words: &[String]) -> Use {
    let apt = &TABLE.apt;
    for (k, w) in words.iter().enumerate() {
        let b = basename(w);
        if !contains(&apt.list_readers, b) {
            continue;
        }
        if !contains(&apt.programs, b) {
            // apt-cache, aptitude, apt-file: all of them read the lists.
            return Use::Needs;
        }
        // The subcommand: the first later word that is not an option (option values are rare here).
        let sub = words[k + 1..]
            .iter()
            .take_while(|x| *x != ";")
            .find(|x| !x.starts_with('-'));
        match sub.map(String::as_str) {
            Some("update") => return Use::Recreates,
            Some(s) if !contains(&apt.install_subcommands, s) => {}
            _ => return Use::Needs,
        }
    }
    Use::Neither
}

/// apt findings inside heredoc bodies are reported, never edited.
fn report_heredocs(doc: &Document, inst: &Instruction, out: &mut Findings) {
    let apt = &TABLE.apt;
    for body in hygiene::heredoc_scripts(doc, inst) {
        let calls = apt_calls(&body);
        let cleans = body
            .commands
            .iter()
            .any(|c| c.words.iter().any(|w| w.value.contains(&apt.lists_dir)));
        let mut updated = false;
        for (_, call) in &calls {
            let sub = call.subcommand().map_or("", |s| s.value.as_str());
            updated |= sub == "update";
            let what = if call.name() == "apt" && apt.apt_to_apt_get.contains_key(sub) {
                "apt instead of apt-get"
            } else if sub_is(call, &apt.yes_subcommands) && !has_yes(call) {
                "an apt-get call without -y"
            } else if updated && !cleans && sub_is(call, &apt.install_subcommands) {
                "an install after apt-get update without removing the lists"
            } else {
                continue;
            };
            out.skip(
                NAME,
                call.program.range.start,
                format!("{what} inside a heredoc body: heredoc bodies are left unchanged"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn list_readers() {
        assert_eq!(lists_use(&w("apt-get install -y x")), Use::Needs);
        assert_eq!(lists_use(&w("xargs apt-get install -y")), Use::Needs);
        assert_eq!(lists_use(&w("apt-cache policy x")), Use::Needs);
        assert_eq!(
            lists_use(&w("apt-get update ; apt-get install -y x")),
            Use::Recreates
        );
        assert_eq!(
            lists_use(&w("apt-get purge -y --auto-remove x ; apt-get clean")),
            Use::Neither
        );
        assert_eq!(lists_use(&w("echo hi")), Use::Neither);
    }
}
