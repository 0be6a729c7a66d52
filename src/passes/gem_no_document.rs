//! gem-no-document: `gem install --no-document`.

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::model::{Document, Kind};
use crate::passes::hygiene;
use crate::passes::package_managers::{TABLE, contains, strs};
use crate::passes::{Pass, PassContext, PassInfo};
use crate::recognize::{ToolCall, tool_call};
use crate::shell::Script;

pub struct GemNoDocument;

const NAME: &str = "gem-no-document";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "gem install and gem update get --no-document",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# gem-no-document

## What it does
Adds `--no-document` to every `gem install` (`gem i`) and `gem update` in a shell-form RUN (across
continuation lines, `&&`/`;` chains and `VAR=x` prefixes) that does not choose about documentation
already. It goes at the end of gem's own arguments: after the last one, or before a `--` (the words
after it are passed to the gem's native build).

## Why
RubyGems generates ri and RDoc documentation for every installed gem by default. Nobody reads it inside
a container, and it costs build time and from a few to tens of megabytes per image.

## Example
```dockerfile
RUN gem install bundler:2.5.6 && bundle install
```
becomes
```dockerfile
RUN gem install bundler:2.5.6 --no-document && bundle install
```

## When it refuses
- The call already has `--no-document`, `-N`, `--document`, `--no-ri`/`--no-rdoc` or `--ri`/`--rdoc`.
- An earlier RUN of the stage writes a gemrc that turns documentation off (`gem: --no-document`):
  nothing to do.
- The stage starts from an image that ships RubyGems before 2.0 (`ruby:1.9`, `ubuntu:14.04`,
  `centos:6`, `debian:wheezy`, ...) or installs Ruby 1.8/1.9: those reject `--no-document` (skip).
- Exec-form RUN, `sh -c "..."` strings and `bundle install` are left alone. gem calls inside heredoc
  bodies are reported, never edited.

## Fix safety
Safe. The installed gems are the same; only their generated documentation is not written. RubyGems 2.0
(2013) and later accept `--no-document`; older versions are detected from the base image and refused.
"#,
};

impl Pass for GemNoDocument {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, _cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only RUN instructions install gems.
            if inst.kind != Kind::Run {
                continue;
            }
            for body in hygiene::heredoc_scripts(doc, inst) {
                for call in wanting(&body) {
                    out.skip(
                        NAME,
                        call.program.range.start,
                        "gem install inside a heredoc body: heredoc bodies are left unchanged",
                    );
                }
            }
            // Exec-form RUNs are left alone.
            let Some(script) = inst.run_script() else {
                continue;
            };
            let calls = wanting(script);
            if calls.is_empty() {
                continue;
            }
            // A gemrc written earlier in the stage already turns documentation off.
            let earlier = hygiene::earlier_in_chain(doc, idx);
            let text_of = |i: &usize| doc.slice(&doc.instructions[*i].extent);
            if earlier.iter().any(|i| {
                TABLE
                    .gem
                    .gemrc_markers
                    .iter()
                    .any(|m| text_of(i).contains(m.as_str()))
            }) {
                continue;
            }
            // RubyGems before 2.0 rejects --no-document.
            if let Some(reason) = old_rubygems(doc, idx, &earlier) {
                for call in &calls {
                    out.skip(NAME, call.program.range.start, reason.clone());
                }
                continue;
            }
            for call in &calls {
                let Some(sub) = call.subcommand() else {
                    continue;
                };
                // At the end of gem's own arguments: before a `--` (what follows goes to the gem's
                // native build), else after the last word.
                let edit = match call.args.iter().find(|w| w.value == "--") {
                    Some(dd) => edit::insert_before_word(dd, &TABLE.gem.flag),
                    None => match call.args.last() {
                        Some(last) => edit::insert_after_word(last, &TABLE.gem.flag),
                        None => continue,
                    },
                };
                out.fix(
                    NAME,
                    sub.range.start,
                    Applicability::Safe,
                    format!("added --no-document to gem {}", sub.value),
                    vec![edit],
                );
            }
        }
    }
}

/// The gem install/update calls of a script that decide nothing about documentation.
fn wanting(script: &Script) -> Vec<ToolCall<'_>> {
    let gem = &TABLE.gem;
    script
        .commands
        .iter()
        .filter_map(|c| tool_call(c, &strs(&gem.programs), &[]))
        .filter(|c| {
            c.subcommand()
                .is_some_and(|s| contains(&gem.doc_subcommands, &s.value))
                && !gem.doc_flags.iter().any(|f| c.has_flag(f))
                && !gem.doc_letters.iter().any(|&l| c.has_short(l))
        })
        .collect()
}

/// Why the stage may run RubyGems before 2.0, if it may.
fn old_rubygems(doc: &Document, idx: usize, earlier: &[usize]) -> Option<String> {
    let gem = &TABLE.gem;
    if let Some(image) = hygiene::root_image(doc, idx)
        && gem
            .old_rubygems_images
            .iter()
            .any(|p| image.starts_with(p.as_str()))
    {
        return Some(format!(
            "the stage starts from {image}, whose RubyGems (before 2.0) rejects --no-document"
        ));
    }
    let text = |i: &usize| doc.slice(&doc.instructions[*i].extent);
    let run_text = doc.slice(&doc.instructions[idx].extent);
    earlier
        .iter()
        .map(text)
        .chain(std::iter::once(run_text))
        .find_map(|t| {
            gem.old_ruby_mentions
                .iter()
                .find(|m| t.contains(m.as_str()))
        })
        .map(|m| {
            format!("the stage installs Ruby 1.x (`{m}`), whose RubyGems rejects --no-document")
        })
}
