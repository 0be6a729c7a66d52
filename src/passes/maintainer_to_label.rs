//! maintainer-to-label: `MAINTAINER x` becomes `LABEL maintainer="x"`.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Instruction, Kind, env_pairs};
use crate::passes::hygiene;
use crate::passes::{Pass, PassContext, PassInfo};

pub struct MaintainerToLabel;

const NAME: &str = "maintainer-to-label";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "The deprecated MAINTAINER becomes LABEL maintainer=\"...\"",
    hadolint: &["DL4000"],
    default_enabled: true,
    doc: r#"# maintainer-to-label

## What it does
Replaces `MAINTAINER <text>` with `LABEL maintainer="<text>"`, in place. The text is taken as BuildKit
reads it (verbatim, since MAINTAINER expands no variables) and quoted for LABEL: `"`, `$` and the escape
character are escaped, so the label holds exactly that text. One pair of double quotes around the
whole text (`MAINTAINER "Jane Doe"`) is taken as quoting and not kept.

## Why
MAINTAINER has been deprecated since Docker 1.13; the `maintainer` label is the documented replacement,
and tools (`docker inspect`, registries, scanners) read labels. This is hadolint's DL4000.

## Example
```dockerfile
MAINTAINER Jane Doe <jane@example.com>
```
becomes
```dockerfile
LABEL maintainer="Jane Doe <jane@example.com>"
```

## When it refuses
- The stage (or a stage it builds on, or a later instruction of the stage) already sets a `maintainer`
  label: the two would overwrite each other (skip).
- A MAINTAINER that spans several lines, or one before the first FROM, is left alone (skip).

## Fix safety
Safe: it changes metadata only, never what the container runs. The text moves from the image's
`Author` field to the `maintainer` label (which, unlike `Author`, images built `FROM` this one inherit).
"#,
};

impl Pass for MaintainerToLabel {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only MAINTAINER instructions.
            if inst.kind != Kind::Maintainer {
                continue;
            }
            let anchor = inst.keyword.start;
            let Some(arg) = inst.text_arg() else { continue };
            // Outside a stage it is an error BuildKit reports; not ours to rewrite.
            if inst.stage.is_none() {
                out.skip(NAME, anchor, "MAINTAINER before the first FROM: left alone");
                continue;
            }
            // A continuation could hold comment lines; keep it simple and exact.
            let body = doc.slice(&inst.extent).trim_end_matches(['\r', '\n']);
            if body.contains('\n') {
                out.skip(NAME, anchor, "MAINTAINER spans several lines: left alone");
                continue;
            }
            // A maintainer label already set around it would collide.
            if let Some(line) = existing_label(doc, idx) {
                out.skip(
                    NAME,
                    anchor,
                    format!("a maintainer label is already set on line {line}: left alone"),
                );
                continue;
            }
            let text = doc.slice(&arg.range).trim();
            if text.is_empty() {
                continue;
            }
            let label = format!(
                "{} maintainer={}",
                if doc
                    .slice(&inst.keyword)
                    .chars()
                    .all(|c| c.is_ascii_lowercase())
                {
                    "label"
                } else {
                    "LABEL"
                },
                quote(text, doc.escape as char)
            );
            out.fix(
                NAME,
                anchor,
                Applicability::Safe,
                "MAINTAINER -> LABEL maintainer",
                vec![edit::replace_instruction(doc, inst, &label)],
            );
        }
    }
}

/// `text` as a double-quoted LABEL value that BuildKit reads back as `text` (one pair of surrounding
/// double quotes is taken as quoting).
fn quote(text: &str, escape: char) -> String {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.contains('"') && !t.contains(escape))
        .unwrap_or(text);
    let mut out = String::with_capacity(inner.len() + 2);
    out.push('"');
    for c in inner.chars() {
        if c == '"' || c == '$' || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The line of a LABEL setting `maintainer` in the stage chain before `idx` or later in its stage.
fn existing_label(doc: &Document, idx: usize) -> Option<usize> {
    let stage = doc.instructions[idx].stage?;
    let later = idx + 1..doc.stages[stage].instructions.end;
    hygiene::earlier_in_chain(doc, idx)
        .into_iter()
        .chain(later)
        .map(|i| &doc.instructions[i])
        .find(|i| sets_maintainer(i))
        .map(|i| doc.line(i.keyword.start))
}

fn sets_maintainer(inst: &Instruction) -> bool {
    inst.kind == Kind::Label
        && inst.text_arg().is_some_and(|t| {
            env_pairs(&t.value)
                .iter()
                .any(|(k, _)| k.trim_matches('"').eq_ignore_ascii_case("maintainer"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("Jane <j@x.io>", '\\'), "\"Jane <j@x.io>\"");
        assert_eq!(quote("\"Jane Doe\"", '\\'), "\"Jane Doe\"");
        assert_eq!(
            quote("a \"b\" $HOME c\\d", '\\'),
            "\"a \\\"b\\\" \\$HOME c\\\\d\""
        );
        assert_eq!(quote("a $b c\\d", '`'), "\"a `$b c\\d\"");
    }
}
