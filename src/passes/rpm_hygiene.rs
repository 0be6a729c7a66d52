//! rpm-hygiene: `-y` for yum, dnf and zypper calls that can prompt, and a `clean all` at the end of a
//! RUN that filled their caches.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Instruction, Kind};
use crate::passes::hygiene::{self, Use};
use crate::passes::package_managers::{Rpm, TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{ToolCall, basename, tool_call};
use crate::shell::Script;

pub struct RpmHygiene;

const NAME: &str = "rpm-hygiene";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "yum/dnf/zypper calls get -y, and a RUN that fills their cache ends with a clean",
    hadolint: &["DL3030", "DL3032", "DL3034", "DL3036", "DL3038", "DL3040"],
    default_enabled: true,
    doc: r#"# rpm-hygiene

## What it does
For `yum`, `dnf` (also `dnf5`, `tdnf`), `microdnf` and `zypper` in shell-form RUN instructions (across
continuation lines, `&&`/`;` chains and `VAR=x` prefixes):

1. `-y` is added right after the subcommand of a call that can prompt (`install`, `update`, `remove`,
   `groupinstall`, `zypper in`/`rm`/`up`/`patch`/`dup`, ...) and has no `-y`, `--assumeyes`,
   `--no-confirm` or `-n`/`--non-interactive` (DL3030, DL3034, DL3038).
2. A RUN that installs or updates packages gets `&& yum clean all` (`dnf clean all`,
   `microdnf clean all`, `zypper clean --all`) appended after its last command, spelled with the
   program name the RUN uses, when it does not clean after its last install already (DL3032, DL3036,
   DL3040).

## Why
- Without `-y` the package manager asks for confirmation; a build cannot answer and the RUN fails.
- yum, dnf and zypper keep repository metadata (often 50-200 MB) and sometimes downloaded packages in
  `/var/cache`. Cleaned in the same RUN they never reach the image.

## Example
```dockerfile
RUN dnf install python3 && dnf update
```
becomes
```dockerfile
RUN dnf install -y python3 && dnf update -y && dnf clean all
```

## When it refuses
- microdnf never prompts and microdnf before 3.0 rejects `-y`: it gets no `-y`, only the clean.
- A call with `--assumeno` is left as it is.
- The RUN already cleans after its last install (`clean all`, any `zypper clean`, or an `rm` of the
  cache directory): nothing to do.
- A mount over the cache directory (`--mount=type=cache,target=/var/cache/dnf`): the cache is wanted
  there (skip).
- Calls with `--installroot` or another `--config`, or a `--setopt` that moves the cache: a plain
  clean would miss that cache (skip).
- A later RUN of the stage (or of a stage built `FROM` it) that reads only the cache (`dnf -C`,
  `--cacheonly`), itself or in a script or make target it runs from the build context, keeps it
  (skip with its line). A script that cannot be read is not assumed to use `-C`. For zypper, which
  does not always refresh metadata by itself, a later zypper call gets the metadata kept:
  `zypper clean` (packages only) is appended.
- Calls through `sudo` or `exec`, a RUN with a background job (`&`), a RUN ending with `exit` or a
  `)`, and RUNs under a non-POSIX `SHELL` get no appended clean (skip with the reason).
- Exec-form RUN and `sh -c "..."` strings are left alone. Calls inside heredoc bodies are reported,
  never edited.

## Fix safety
Safe. `-y` only answers the prompt a build cannot answer. `clean all` only removes caches: yum and dnf
download metadata again when a later command needs it, and cache-only readers are checked.
"#,
};

impl Pass for RpmHygiene {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions run package managers.
            if inst.kind != Kind::Run {
                continue;
            }
            report_heredocs(doc, inst, out);
            // Exec-form RUNs are left alone.
            let Some(script) = inst.run_script() else {
                continue;
            };
            for family in families() {
                let calls = calls_of(&family, script);
                if calls.is_empty() {
                    continue;
                }
                // Under PowerShell or cmd the command line means something else.
                if let Err(reason) = hygiene::require_posix_shell(doc, idx) {
                    out.skip(NAME, calls[0].1.program.range.start, reason);
                    continue;
                }
                for (mgr, call) in &calls {
                    add_yes(mgr, call, out);
                }
                add_clean(doc, cx, idx, inst, &family, script, &calls, out);
            }
        }
    }
}

/// The managers grouped by family (yum, dnf and microdnf share their cache; zypper is on its own).
fn families() -> Vec<Vec<&'static Rpm>> {
    let mut out: Vec<Vec<&'static Rpm>> = Vec::new();
    for mgr in TABLE.rpm.values() {
        match out.iter_mut().find(|f| f[0].family == mgr.family) {
            Some(f) => f.push(mgr),
            None => out.push(vec![mgr]),
        }
    }
    out
}

/// The calls of a family's managers in a script, in order, each with its manager.
fn calls_of<'s>(family: &[&'static Rpm], script: &'s Script) -> Vec<(&'static Rpm, ToolCall<'s>)> {
    script
        .commands
        .iter()
        .filter_map(|c| {
            family.iter().find_map(|m| {
                tool_call(c, &strs(&m.programs), &strs(&m.options_with_value)).map(|t| (*m, t))
            })
        })
        .collect()
}

fn sub<'c>(call: &ToolCall<'c>) -> &'c str {
    call.subcommand().map_or("", |s| s.value.as_str())
}

fn has_yes(mgr: &Rpm, call: &ToolCall) -> bool {
    mgr.yes_flags.iter().any(|f| call.has_flag(f))
        || mgr.yes_letters.iter().any(|&l| call.has_short(l))
        || call
            .args
            .iter()
            .any(|w| w.value.to_ascii_lowercase().contains("assumeyes=1"))
}

fn add_yes(mgr: &Rpm, call: &ToolCall, out: &mut Findings) {
    // A call that can prompt, without an answer (or with an explicit "no").
    if !contains(&mgr.yes_subcommands, sub(call))
        || has_yes(mgr, call)
        || mgr.refuse_flags.iter().any(|f| call.has_flag(f))
    {
        return;
    }
    let Some(word) = call.subcommand() else {
        return;
    };
    out.fix(
        NAME,
        word.range.start,
        Applicability::Safe,
        format!("added -y to {} {}", call.name(), word.value),
        vec![edit::insert_after_word(word, "-y")],
    );
}

/// Whether a call is a clean that covers what the clean fix would add.
fn is_clean(mgr: &Rpm, call: &ToolCall) -> bool {
    contains(&mgr.clean_calls, sub(call))
        && (!mgr.clean_needs_all
            || call
                .subcommand
                .and_then(|i| call.args.get(i + 1))
                .is_some_and(|w| w.value == "all"))
}

#[allow(clippy::too_many_arguments)]
fn add_clean(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    inst: &Instruction,
    family: &[&'static Rpm],
    script: &Script,
    calls: &[(&'static Rpm, ToolCall)],
    out: &mut Findings,
) {
    // The last call that fills the cache.
    let Some(last_fill) = calls
        .iter()
        .rposition(|(m, c)| contains(&m.cache_subcommands, sub(c)))
    else {
        return;
    };
    let (mgr, fill) = &calls[last_fill];
    let anchor = fill.program.range.start;
    // Already cleaned after it (by a manager of the family, or by removing its cache directory).
    if calls[last_fill..].iter().any(|(m, c)| is_clean(m, c)) {
        return;
    }
    let cache_dirs: Vec<String> = family.iter().flat_map(|m| m.cache_dirs.clone()).collect();
    let fill_end = fill.program.range.end;
    if script.commands.iter().any(|c| {
        c.range.start >= fill_end
            && c.words.first().is_some_and(|w| w.value == "rm")
            && c.words
                .iter()
                .any(|w| cache_dirs.iter().any(|d| w.value.starts_with(d.as_str())))
    }) {
        return;
    }
    let name = fill.name();
    // A mount over the cache: it is wanted there.
    if let Some((kind, target)) = hygiene::mount_covering(inst, &cache_dirs) {
        out.skip(
            NAME,
            anchor,
            format!("RUN has a {kind} mount at {target}: {name}'s cache is kept there"),
        );
        return;
    }
    // A different root, configuration or cache directory: a plain clean would miss the cache.
    if let Some(opt) = calls.iter().find_map(|(m, c)| {
        c.args
            .iter()
            .find(|w| {
                m.custom_cache_options.iter().any(|o| {
                    w.value == *o
                        || w.value
                            .strip_prefix(o.as_str())
                            .is_some_and(|r| r.starts_with('='))
                }) || w.value.contains("cachedir")
                    || w.value.contains("cache_dir")
            })
            .map(|w| w.value.clone())
    }) {
        out.skip(
            NAME,
            anchor,
            format!(
                "{name} runs with `{opt}`: a plain `{name} {}` would miss that cache",
                mgr.clean_args
            ),
        );
        return;
    }
    // Through sudo (or exec) the appended clean would not run with the same rights.
    if let Some(w) = calls.iter().find_map(|(_, c)| c.privileged_or_exec()) {
        out.skip(
            NAME,
            anchor,
            format!(
                "{name} runs through `{w}`: a clean appended to the RUN would not run the same way"
            ),
        );
        return;
    }
    let last = match hygiene::append_point(script) {
        Ok(c) => c,
        Err(reason) => {
            out.skip(NAME, anchor, format!("no clean appended: {reason}"));
            return;
        }
    };
    // A later RUN that reads only the cache needs it; zypper keeps its metadata for later zypper calls.
    let mut args = mgr.clean_args.as_str();
    if let Some(later) = later_cache_reader(doc, cx, idx, family) {
        match &mgr.clean_args_if_used_later {
            Some(a) => args = a,
            None => {
                out.skip(
                    NAME,
                    anchor,
                    format!(
                        "{name}'s cache kept: {}",
                        later.describe("reads only the cache", "read only the cache")
                    ),
                );
                return;
            }
        }
    }
    let clean = format!("{name} {args}");
    out.fix(
        NAME,
        anchor,
        Applicability::Safe,
        format!("added `{clean}` at the end of the RUN"),
        vec![edit::append_command(last, &clean)],
    );
}

/// What a word stream does with the family's cache: a cache-only call needs it (for zypper, any
/// call does), a refresh recreates it.
fn cache_use(family: &[&'static Rpm], words: &[String]) -> Use {
    for (k, w) in words.iter().enumerate() {
        let Some(mgr) = family.iter().find(|m| contains(&m.programs, basename(w))) else {
            continue;
        };
        let rest: Vec<&String> = words[k + 1..].iter().take_while(|x| *x != ";").collect();
        let sub = rest
            .iter()
            .find(|x| !x.starts_with('-'))
            .map(|x| x.as_str());
        if sub.is_some_and(|s| contains(&mgr.refresh_subcommands, s)) {
            return Use::Recreates;
        }
        if mgr.clean_args_if_used_later.is_some()
            || rest.iter().any(|x| contains(&mgr.cacheonly_flags, x))
        {
            return Use::Needs;
        }
    }
    Use::Neither
}

/// The first later RUN that reads the family's cache, itself or in a script or make target it runs
/// from the build context. A later call without `-C` downloads the metadata again, so a script
/// dockopt cannot read does not count.
fn later_cache_reader(
    doc: &Document,
    cx: &PassContext,
    idx: usize,
    family: &[&'static Rpm],
) -> Option<hygiene::Later> {
    hygiene::later_need_through_scripts(doc, cx, idx, &|w| cache_use(family, w), Use::Neither)
}

/// Calls inside heredoc bodies are reported, never edited.
fn report_heredocs(doc: &Document, inst: &Instruction, out: &mut Findings) {
    for body in hygiene::heredoc_scripts(doc, inst) {
        for family in families() {
            let calls = calls_of(&family, &body);
            let cleaned = calls.iter().any(|(m, c)| is_clean(m, c));
            for (mgr, call) in &calls {
                let s = sub(call);
                let what = if contains(&mgr.yes_subcommands, s) && !has_yes(mgr, call) {
                    "without -y"
                } else if contains(&mgr.cache_subcommands, s) && !cleaned {
                    "without a clean"
                } else {
                    continue;
                };
                out.skip(
                    NAME,
                    call.program.range.start,
                    format!(
                        "{} {s} {what} inside a heredoc body: heredoc bodies are left unchanged",
                        call.name()
                    ),
                );
            }
        }
    }
}
