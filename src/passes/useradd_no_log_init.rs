//! useradd-no-log-init: `useradd -l` when a UID is given.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Kind};
use crate::passes::hygiene;
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{ToolCall, tool_call};
use crate::shell::Script;

pub struct UseraddNoLogInit;

const NAME: &str = "useradd-no-log-init";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "useradd with a UID gets -l (--no-log-init), so a large UID cannot bloat the image",
    hadolint: &["DL3046"],
    default_enabled: true,
    doc: r#"# useradd-no-log-init

## What it does
Adds `-l` right after `useradd` in every shell-form RUN (across continuation lines, `&&`/`;` chains
and `sudo`) where the call gives a UID (`-u 1000`, `--uid=1000`, `-u $UID`, `-ou 0`) and has no `-l`
or `--no-log-init` yet.

## Why
`useradd` records every user in `/var/log/lastlog` and `/var/log/faillog`, files indexed by UID. They
are sparse on the host, but image layers store them in full: a UID such as 1000000 makes `lastlog`
hundreds of megabytes, a UID near 2^31 makes it gigabytes. `-l` (`--no-log-init`) skips those
databases. This is hadolint's DL3046 (which only fires for UIDs of six digits or more; any UID given
through a variable can be that large, so dockopt adds `-l` whenever a UID is given).

## Example
```dockerfile
RUN groupadd -g 10001 app && useradd -u 10001 -g app -m app
```
becomes
```dockerfile
RUN groupadd -g 10001 app && useradd -l -u 10001 -g app -m app
```

## When it refuses
- No UID is given: the next free UID is small, so there is nothing to gain.
- `-l` or `--no-log-init` is already there (also inside a cluster such as `-lm`).
- `adduser` (Debian's and BusyBox's) is a different program and is left alone, and so are exec-form
  RUN and `sh -c "..."` strings. useradd calls inside heredoc bodies are reported, never edited.

## Fix safety
Safe. The user, its UID, groups and home directory are the same; only the login-record databases
(`lastlog`, `faillog`) do not get an entry, and nothing in a container reads them.
"#,
};

impl Pass for UseraddNoLogInit {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for inst in &doc.instructions {
            // Only RUN instructions add users.
            if inst.kind != Kind::Run {
                continue;
            }
            for body in hygiene::heredoc_scripts(doc, inst) {
                for call in wanting(&body) {
                    out.skip(
                        NAME,
                        call.program.range.start,
                        "useradd with a UID inside a heredoc body: heredoc bodies are left unchanged",
                    );
                }
            }
            // Exec-form RUNs are left alone.
            let Some(script) = inst.run_script() else {
                continue;
            };
            for call in wanting(script) {
                out.fix(
                    NAME,
                    call.program.range.start,
                    Applicability::Safe,
                    "added -l to useradd (no lastlog/faillog entry for the UID)",
                    vec![edit::insert_after_word(call.program, "-l")],
                );
            }
        }
    }
}

/// The useradd calls of a script that give a UID and have no -l.
fn wanting(script: &Script) -> Vec<ToolCall<'_>> {
    script
        .commands
        .iter()
        .filter_map(|c| tool_call(c, &["useradd"], &[]))
        .filter(|c| gives_uid(c) && !has_no_log_init(c))
        .collect()
}

/// A short-option cluster (`-lmu`): its letters.
fn cluster(v: &str) -> Option<&str> {
    let rest = v.strip_prefix('-')?;
    (!rest.is_empty() && !rest.starts_with('-') && rest.chars().all(|c| c.is_ascii_alphabetic()))
        .then_some(rest)
}

fn gives_uid(c: &ToolCall) -> bool {
    c.args.iter().any(|w| {
        let v = w.value.as_str();
        v == "--uid"
            || v.starts_with("--uid=")
            || cluster(v).is_some_and(|l| l.contains('u'))
            || v.strip_prefix("-u")
                .is_some_and(|r| !r.is_empty() && !r.starts_with('-'))
    })
}

fn has_no_log_init(c: &ToolCall) -> bool {
    c.has_flag("--no-log-init")
        || c.args
            .iter()
            .any(|w| cluster(&w.value).is_some_and(|l| l.contains('l')))
}
