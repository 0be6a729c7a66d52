//! apk-no-cache: `apk add --no-cache`, and the `apk update` / `rm -rf /var/cache/apk/*` it makes
//! redundant removed from the same RUN.

use crate::edit;
use crate::fix::{Applicability, Edit, Findings};
use crate::model::{Document, Instruction, Kind};
use crate::passes::hygiene::{self, Use};
use crate::passes::package_managers::{TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{ToolCall, basename, tool_call};
use crate::shell::{Script, SimpleCommand};

pub struct ApkNoCache;

const NAME: &str = "apk-no-cache";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "apk add gets --no-cache; a now-redundant apk update or rm -rf /var/cache/apk/* in the same RUN goes",
    hadolint: &["DL3019"],
    default_enabled: true,
    doc: r#"# apk-no-cache

## What it does
Adds `--no-cache` right after `add` in every `apk add` of a shell-form RUN (across continuation lines,
`&&`/`;` chains and `VAR=x` prefixes). Then, in the same RUN:
- an `apk update` is removed when every other apk call of the RUN is an `apk add` or `apk del` with
  `--no-cache`, and no later RUN of the stage (or of a stage built `FROM` it) uses apk without
  `--no-cache`;
- an `rm -rf /var/cache/apk/*` is removed (the whole command, or just that path when the `rm` also
  removes other paths) when every apk call of the RUN uses `--no-cache` and no earlier RUN of the stage
  used apk without it.

## Why
`apk add` without `--no-cache` needs an index downloaded by `apk update` (or `--update`), and that index
stays in `/var/cache/apk` in the layer. `--no-cache` fetches the index into memory for this one command
and leaves nothing behind, so the `apk update` before it and the `rm -rf /var/cache/apk/*` after it
are dead code. This is hadolint's DL3019.

## Example
```dockerfile
RUN apk update && apk add curl git && rm -rf /var/cache/apk/*
```
becomes
```dockerfile
RUN apk add --no-cache curl git
```

## When it refuses
- The RUN mounts a cache (or anything) over `/var/cache/apk` or `/etc/apk/cache`: the cache is wanted
  there (skip). So does an explicit `--cache-dir`.
- `apk add --no-network`, and any apk add in a RUN with `--network=none`, keeps using the cache it
  was given (skip).
- `apk update` stays when a later RUN uses apk without `--no-cache` (reported, with its line), when the
  RUN runs other apk commands that read the index (`apk upgrade`, `apk search`), or when removing it
  would change how the commands around it are chained (`a; apk update && b`), or delete a comment.
- `rm -rf /var/cache/apk/*` stays when an earlier RUN of the stage filled the cache.
- Neither is removed when that would leave the RUN with a single command right next to another
  single-command RUN: hadolint (DL3059) would then ask to merge the two, so the cleanup would trade
  one finding for another. Merging the RUNs first lets the removal happen.
- An update-only RUN is never touched. Exec-form RUN and `sh -c "..."` strings are left alone; apk
  commands inside heredoc bodies are reported, never edited.

## Fix safety
Safe. `--no-cache` installs the same packages from the same repositories; it only keeps the index out
of the image. The removed commands only filled or emptied a cache that nothing reads any more.
"#,
};

impl Pass for ApkNoCache {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions run apk.
            if inst.kind != Kind::Run {
                continue;
            }
            report_heredocs(doc, inst, out);
            // Exec-form RUNs are left alone.
            let Some(script) = inst.run_script() else {
                continue;
            };
            let calls = apk_calls(script);
            if calls.is_empty() {
                continue;
            }
            for (_, call) in &calls {
                add_no_cache(inst, call, out);
            }
            drop_update(doc, idx, script, &calls, out);
            drop_cache_rm(doc, idx, script, &calls, out);
        }
    }
}

fn apk_calls(script: &Script) -> Vec<(usize, ToolCall<'_>)> {
    let apk = &TABLE.apk;
    script
        .commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            tool_call(c, &strs(&apk.programs), &strs(&apk.options_with_value)).map(|t| (i, t))
        })
        .collect()
}

fn sub<'c>(call: &ToolCall<'c>) -> &'c str {
    call.subcommand().map_or("", |s| s.value.as_str())
}

fn is_add(call: &ToolCall) -> bool {
    contains(&TABLE.apk.add_subcommands, sub(call))
}

/// An apk call that needs no cached index: add/del with --no-cache.
fn indexless(call: &ToolCall) -> bool {
    contains(&TABLE.apk.no_index_subcommands, sub(call)) && call.has_flag(&TABLE.apk.cache_flag)
}

fn add_no_cache(inst: &Instruction, call: &ToolCall, out: &mut Findings) {
    let apk = &TABLE.apk;
    // An `apk add` without the flag.
    if !is_add(call) || call.has_flag(&apk.cache_flag) {
        return;
    }
    let Some(add) = call.subcommand() else { return };
    // A mount over apk's cache: the cache is wanted there.
    if let Some((kind, target)) = hygiene::mount_covering(inst, &apk.cache_dirs) {
        out.skip(
            NAME,
            add.range.start,
            format!("RUN has a {kind} mount at {target}: apk's cache is wanted there"),
        );
        return;
    }
    // An explicit cache directory: the author chose a cache.
    if call.has_flag("--cache-dir") {
        out.skip(NAME, add.range.start, "apk add sets --cache-dir explicitly");
        return;
    }
    // Without network apk relies on the index and packages it has cached.
    if call.has_flag("--no-network") {
        out.skip(
            NAME,
            add.range.start,
            "apk add --no-network relies on the cached index",
        );
        return;
    }
    if inst
        .flag("network")
        .and_then(|f| f.value.as_ref())
        .is_some_and(|v| v.value == "none")
    {
        out.skip(
            NAME,
            add.range.start,
            "RUN --network=none: apk add relies on the cached index",
        );
        return;
    }
    out.fix(
        NAME,
        add.range.start,
        Applicability::Safe,
        "added --no-cache to apk add",
        vec![edit::insert_after_word(add, &apk.cache_flag)],
    );
}

/// Removes `apk update` from a RUN whose other apk calls all use --no-cache.
fn drop_update(
    doc: &Document,
    idx: usize,
    script: &Script,
    calls: &[(usize, ToolCall)],
    out: &mut Findings,
) {
    let Some((ci, update)) = calls.iter().find(|(_, c)| sub(c) == "update") else {
        return;
    };
    let others: Vec<&ToolCall> = calls
        .iter()
        .filter(|(i, _)| i != ci)
        .map(|(_, c)| c)
        .collect();
    // Only with an add in the same RUN, and every other apk call needing no index (after this pass's
    // own --no-cache fixes, which apply first).
    if !others.iter().any(|c| is_add(c)) || !others.iter().all(|c| indexless(c)) {
        return;
    }
    let anchor = update.program.range.start;
    if calls.iter().filter(|(_, c)| sub(c) == "update").count() > 1 {
        return;
    }
    if let Some(line) = later_index_reader(doc, idx) {
        out.skip(
            NAME,
            anchor,
            format!("apk update kept: the RUN on line {line} uses apk without --no-cache"),
        );
        return;
    }
    if let Some(line) = hygiene::would_pair_with_neighbour(doc, idx, script.commands.len() - 1) {
        out.skip(NAME, anchor, pair_reason("apk update", line));
        return;
    }
    match edit::delete_command(doc, script, *ci) {
        Some(e) => out.fix(
            NAME,
            anchor,
            Applicability::Safe,
            "removed `apk update`: every apk add of the RUN uses --no-cache, which fetches the index itself",
            vec![e],
        ),
        None => out.skip(
            NAME,
            anchor,
            "apk update kept: it cannot be removed without changing the operators around it or dropping a comment",
        ),
    }
}

/// What a word stream does with apk's cached index.
fn index_use(words: &[String]) -> Use {
    let apk = &TABLE.apk;
    for (k, w) in words.iter().enumerate() {
        if !contains(&apk.programs, basename(w)) {
            continue;
        }
        let rest: Vec<&String> = words[k + 1..].iter().take_while(|x| *x != ";").collect();
        let sub = rest
            .iter()
            .find(|x| !x.starts_with('-'))
            .map(|x| x.as_str());
        let no_cache = rest.iter().any(|x| **x == apk.cache_flag);
        match sub {
            Some("update") => return Use::Recreates,
            Some(s) if contains(&apk.no_index_subcommands, s) && no_cache => {}
            _ => return Use::Needs,
        }
    }
    Use::Neither
}

/// The line of a later RUN that uses apk with a cached index.
fn later_index_reader(doc: &Document, idx: usize) -> Option<usize> {
    hygiene::later_need(doc, idx, &|inst: &Instruction| {
        hygiene::combine(
            hygiene::word_streams(doc, inst)
                .iter()
                .map(|w| index_use(w)),
        )
    })
}

/// Whether an earlier RUN of the stage (or its parents) used apk with the cache.
fn earlier_cache_user(doc: &Document, idx: usize) -> bool {
    let Some(mut stage) = doc.instructions[idx].stage else {
        return false;
    };
    let mut upto = idx;
    loop {
        let st = &doc.stages[stage];
        for i in st.instructions.start + 1..upto {
            let inst = &doc.instructions[i];
            if inst.kind == Kind::Run
                && hygiene::word_streams(doc, inst)
                    .iter()
                    .any(|w| index_use(w) != Use::Neither)
            {
                return true;
            }
        }
        match st.parent {
            Some(p) => {
                upto = doc.stages[p].instructions.end;
                stage = p;
            }
            None => return false,
        }
    }
}

/// Whether a simple command is `rm` with only -r/-f style flags; returns its path words.
fn rm_paths(cmd: &SimpleCommand) -> Option<Vec<usize>> {
    let w = &cmd.words;
    if w.first().map(|x| x.value.as_str()) != Some("rm") || !cmd.redirects.is_empty() {
        return None;
    }
    let mut paths = Vec::new();
    for (i, x) in w.iter().enumerate().skip(1) {
        let v = x.value.as_str();
        if let Some(opts) = v.strip_prefix('-') {
            if opts.is_empty() || !opts.chars().all(|c| matches!(c, 'r' | 'R' | 'f' | 'v')) {
                return None;
            }
        } else {
            paths.push(i);
        }
    }
    Some(paths)
}

/// Removes `rm -rf /var/cache/apk/*` from a RUN whose apk calls all use --no-cache.
fn drop_cache_rm(
    doc: &Document,
    idx: usize,
    script: &Script,
    calls: &[(usize, ToolCall)],
    out: &mut Findings,
) {
    let apk = &TABLE.apk;
    // Every apk call of the RUN uses --no-cache, and there is an add.
    if !calls.iter().any(|(_, c)| is_add(c)) || !calls.iter().all(|(_, c)| indexless(c)) {
        return;
    }
    let only_cache = |cmd: &SimpleCommand| {
        rm_paths(cmd).is_some_and(|paths| {
            !paths.is_empty()
                && paths.iter().all(|&i| {
                    !cmd.words[i].dynamic && contains(&apk.cache_rm_paths, &cmd.words[i].value)
                })
        })
    };
    // Whole commands that may go in this round (for the DL3059 guard, counted together).
    let whole_removals = script.commands.iter().filter(|c| only_cache(c)).count();
    for (ci, cmd) in script.commands.iter().enumerate() {
        let Some(paths) = rm_paths(cmd) else { continue };
        let is_cache = |i: &usize| {
            let w = &cmd.words[*i];
            !w.dynamic && contains(&apk.cache_rm_paths, &w.value)
        };
        let cache: Vec<usize> = paths.iter().copied().filter(is_cache).collect();
        if cache.is_empty() {
            continue;
        }
        let anchor = cmd.words[cache[0]].range.start;
        // An earlier RUN may have filled the cache: its removal here is not dead code.
        if earlier_cache_user(doc, idx) {
            out.skip(
                NAME,
                anchor,
                "rm of /var/cache/apk kept: an earlier RUN used apk without --no-cache",
            );
            continue;
        }
        let whole = cache.len() == paths.len();
        if whole
            && let Some(line) = hygiene::would_pair_with_neighbour(
                doc,
                idx,
                script.commands.len().saturating_sub(whole_removals),
            )
        {
            out.skip(NAME, anchor, pair_reason("rm of /var/cache/apk", line));
            continue;
        }
        let edits: Option<Vec<Edit>> = if whole {
            edit::delete_command(doc, script, ci).map(|e| vec![e])
        } else {
            // Only the cache path goes: from the end of the word before it to its end.
            cache
                .iter()
                .map(|&i| {
                    let r = cmd.words[i - 1].range.end..cmd.words[i].range.end;
                    (!doc.text[r.clone()].contains('#')).then(|| Edit::delete(r))
                })
                .collect()
        };
        let message = if whole {
            "removed the `rm` of /var/cache/apk: every apk add uses --no-cache, so it stays empty"
        } else {
            "removed /var/cache/apk from the `rm`: every apk add uses --no-cache, so it stays empty"
        };
        match edits {
            Some(edits) => out.fix(NAME, anchor, Applicability::Safe, message, edits),
            None => out.skip(
                NAME,
                anchor,
                "rm of /var/cache/apk kept: it cannot be removed without changing the operators around it or dropping a comment",
            ),
        }
    }
}

fn pair_reason(what: &str, line: usize) -> String {
    format!(
        "{what} kept: the RUN would shrink to one command next to the one-command RUN on line {line} \
         (hadolint DL3059 would ask to merge them); merge the RUNs to let it go"
    )
}

/// apk adds without --no-cache inside heredoc bodies are reported, never edited.
fn report_heredocs(doc: &Document, inst: &Instruction, out: &mut Findings) {
    for body in hygiene::heredoc_scripts(doc, inst) {
        for (_, call) in apk_calls(&body) {
            if is_add(&call) && !call.has_flag(&TABLE.apk.cache_flag) {
                out.skip(
                    NAME,
                    call.program.range.start,
                    "apk add without --no-cache inside a heredoc body: heredoc bodies are left unchanged",
                );
            }
        }
    }
}
