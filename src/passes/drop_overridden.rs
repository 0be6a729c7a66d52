//! drop-overridden: remove a CMD, ENTRYPOINT or HEALTHCHECK that a later one in the same stage
//! overrides.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Kind};
use crate::passes::hygiene;
use crate::passes::{Pass, PassContext, PassInfo};

pub struct DropOverridden;

const NAME: &str = "drop-overridden";

const KINDS: [Kind; 3] = [Kind::Cmd, Kind::Entrypoint, Kind::Healthcheck];

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Remove CMD, ENTRYPOINT and HEALTHCHECK instructions that a later one in the same stage overrides",
    hadolint: &["DL4003", "DL4004", "DL3012"],
    default_enabled: true,
    doc: r#"# drop-overridden

## What it does
Within one build stage, only the last CMD, the last ENTRYPOINT and the last HEALTHCHECK take effect.
This pass deletes the earlier ones (the whole instruction, continuation lines included). Comment
lines above a deleted instruction stay where they are.

## Why
An overridden instruction does nothing, but readers take it for the container's command, and edits
to it silently have no effect. hadolint reports these as DL4003 (CMD), DL4004 (ENTRYPOINT) and
DL3012 (HEALTHCHECK).

## Example
```dockerfile
FROM node:20-slim
CMD ["npm", "run", "dev"]
COPY . .
CMD ["node", "server.js"]
```
becomes
```dockerfile
FROM node:20-slim
COPY . .
CMD ["node", "server.js"]
```

## When it refuses
- Instructions in different stages are never compared: each stage has its own configuration.
- An instruction with a comment line inside it (between continuation lines) is kept: deleting it
  would lose the comment (skip).
- When the deletion would leave two single-command RUNs next to each other, the instruction is kept:
  hadolint (DL3059) would then ask to merge those RUNs, trading one finding for another (skip).
- `ONBUILD CMD` and the like are left alone: they run in another build.

## Fix safety
Safe. The image configuration is the same: a later CMD, ENTRYPOINT or HEALTHCHECK replaces the value
entirely, and nothing in between reads it. (An ENTRYPOINT clears the CMD inherited from the base image
only while no CMD was set in the stage; with a later CMD in the stage that CMD is set either way.)
"#,
};

impl Pass for DropOverridden {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for stage in 0..doc.stages.len() {
            // Every overridden instruction of the stage, with the line of the one that wins.
            let body: Vec<usize> = doc.stage_body(stage).map(|(i, _)| i).collect();
            let mut dropped: Vec<(usize, usize)> = Vec::new();
            for kind in KINDS {
                let of_kind: Vec<usize> = body
                    .iter()
                    .copied()
                    .filter(|&i| doc.instructions[i].kind == kind)
                    .collect();
                if let Some((&last, earlier)) = of_kind.split_last() {
                    dropped.extend(earlier.iter().map(|&i| (i, last)));
                }
            }
            dropped.sort_unstable();
            let gone: Vec<usize> = dropped.iter().map(|(i, _)| *i).collect();
            for &(idx, winner) in &dropped {
                let inst = &doc.instructions[idx];
                let kw = inst.kind.as_str();
                let winner_line = doc.line(doc.instructions[winner].keyword.start);
                let anchor = inst.keyword.start;
                // A comment line inside the instruction would be lost with it.
                if has_inner_comment(doc, idx) {
                    out.skip(
                        NAME,
                        anchor,
                        format!(
                            "{kw} is overridden by the {kw} on line {winner_line}, but a comment line sits inside it: left alone"
                        ),
                    );
                    continue;
                }
                // Deleting it must not leave two single-command RUNs side by side.
                if let Some(line) = pairs_runs(doc, idx, &gone) {
                    out.skip(
                        NAME,
                        anchor,
                        format!(
                            "{kw} is overridden by the {kw} on line {winner_line}, but deleting it would put the RUN on \
                             line {line} next to another single-command RUN (hadolint DL3059): merge those RUNs first"
                        ),
                    );
                    continue;
                }
                out.fix(
                    NAME,
                    anchor,
                    Applicability::Safe,
                    format!("removed {kw}: the {kw} on line {winner_line} overrides it"),
                    vec![edit::delete_instruction(inst)],
                );
            }
        }
    }
}

/// Whether a comment line lies inside the instruction's extent.
fn has_inner_comment(doc: &Document, idx: usize) -> bool {
    let inst = &doc.instructions[idx];
    doc.slice(&inst.full_range())
        .lines()
        .skip(1)
        .any(|l| l.trim_start().starts_with('#'))
}

/// The line of a RUN that deleting `idx` (and the other instructions in `gone`) would put right next to
/// another RUN, both with one command and the same flags.
fn pairs_runs(doc: &Document, idx: usize, gone: &[usize]) -> Option<usize> {
    let stage = doc.instructions[idx].stage;
    let prev = (0..idx).rev().find(|i| !gone.contains(i))?;
    let next = (idx + 1..doc.instructions.len()).find(|i| !gone.contains(i))?;
    let (a, b) = (&doc.instructions[prev], &doc.instructions[next]);
    let single = |i: &crate::model::Instruction| {
        i.kind == Kind::Run && i.stage == stage && hygiene::command_count(i) <= 1
    };
    let flags = |i: &crate::model::Instruction| -> Vec<String> {
        i.flags
            .iter()
            .map(|f| doc.slice(&f.range).to_string())
            .collect()
    };
    (single(a) && single(b) && flags(a) == flags(b)).then(|| doc.line(b.keyword.start))
}
