//! slim-base: swap a final stage's full base image for its slim variant (alpine on request).

pub(crate) mod data;
pub(crate) mod scan;

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;

use crate::edit;
use crate::fix::{Applicability, Findings};
use crate::images::{self, Libc, SlimMapping, TagPart, Variant};
use crate::model::{Detail, Document, Kind, env_pairs};
use crate::passes::{Pass, PassContext, PassInfo};

use data::{BuilderClass, LACKS};
use scan::{Ctx, Facts, Req};

pub struct SlimBase;

const NAME: &str = "slim-base";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "Swap a final stage's full base image (python:3.12) for its slim variant",
    hadolint: &[],
    default_enabled: true,
    doc: r#"# slim-base

## What it does
Replaces the full base image of a final stage with its slim variant from the table in
`transforms/base-images.yaml`: `python:3.12` becomes `python:3.12-slim`, `python:3.12-bookworm`
becomes `python:3.12-slim-bookworm`, `node:20-bookworm` becomes `node:20-bookworm-slim`, `debian:bookworm`
becomes `debian:bookworm-slim`, `eclipse-temurin:21-jdk` becomes `eclipse-temurin:21-jre`. The table
covers python, node, ruby, perl, debian, rust, openjdk (to eclipse-temurin's JRE) and eclipse-temurin,
with php and golang for alpine only (they have no slim variant). `docker.io/library/python` and
`library/python` are the same image. `--platform`, `AS name` and the keyword's case are kept: only the
image reference changes.

`FROM python:${PY}` becomes `FROM python:${PY}-slim` when the global `ARG PY` (before the first FROM)
defaults to a known full tag and the variable is exactly the part of the tag the slim tag keeps.

With `--base alpine` it offers the alpine variant instead, only when that is safe (see below); when
alpine is refused it falls back to slim and says why.

Slim images lack what the full images get from `buildpack-deps`: curl, wget, git, ssh, gpg, unzip,
procps, adduser, compilers and -dev libraries (the list is `transforms/slim-lacks.yaml`). When the
stage uses a tool it can get back exactly (`curl`, `git`, a `git+` pip requirement, `psycopg2` built
from source), the pass adds one RUN right after the FROM:
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
```
Nothing is added for what the stage already installs with apt-get before using it, nor for what the
slim variant still has (python slim keeps ca-certificates). The report gives the estimated saving
(sizes in the table are approximations, and the report says so).

A stage counts as **final** when no other stage of the file uses it: no `FROM <stage>`, no
`COPY --from=<stage>` and no `RUN --mount=from=<stage>`, by name or by index. The last stage is always
final; so is a stage meant for `--target`. Every other stage is a builder and keeps its full image:
compilers and headers belong there.

Everything a stage runs is looked at: RUN (shell and exec form, heredoc bodies with a shell,
`sh -c`, `su -c` and `eval` strings, `$(...)` substitutions, the command behind a runner such as
`timeout 600`, `nice -n 10`, `ionice`, `stdbuf`, `chrt`, `time`, `gosu`; `xargs CMD` counts as unknown
because its arguments are read at build time), CMD, ENTRYPOINT, HEALTHCHECK, and shell scripts they run
when the build context has them (`COPY docker-entrypoint.sh /` then `ENTRYPOINT ["/docker-entrypoint.sh"]`).
pip requirements are read from `-r FILE` in the build context (through the COPY that put the file
there), nested `-r` included.

## Why
The base image is usually most of the image: `python:3.12` is about 1 GB, `python:3.12-slim` about
130 MB. Pulls, pushes, registry storage and cold starts all shrink with it, and so does the attack
surface (no compilers or VCS tools in production).

## Example
```dockerfile
FROM python:3.12
RUN pip install --no-cache-dir flask
CMD ["flask", "run"]
```
becomes
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir flask
CMD ["flask", "run"]
```
with the note `estimated saving ~890 MB (python:3.12 ~1.0 GB -> python:3.12-slim ~130 MB; estimates
from transforms/base-images.yaml)`.

## When it refuses
Left alone without a report: builder stages, stages built on another stage, unknown images (other
registries, `bitnami/python`), tags that are already slim, alpine, distroless, JRE or Windows, `scratch`.

Reported as a skip, with the line that caused it:
- The reference is pinned by digest (`python:3.12@sha256:...`): the slim digest is unknown offline.
- The tag comes from an ARG without a default, or the variable cannot carry the slim tag
  (`ARG TAG=3.12-bookworm` with `FROM python:${TAG}`: the slim tag `3.12-slim-bookworm` puts text inside it),
  or the whole image comes from an ARG.
- The stage compiles (`gcc`, `make`, `./configure`, `bundle install`, `cpanm`, `cargo build`,
  `pip install --no-binary`, `PIP_NO_BINARY` set by ENV, ARG, `export` or a prefix, an extra that
  forces a C build such as `psycopg[c]`) and no compiler is available on the slim image: which -dev libraries the build
  needs from the full image cannot be known. (If the stage installs a compiler itself, the swap is offered
  as unsafe instead.)
- The stage uses something that cannot be added back mechanically (ImageMagick, a pip package in the
  refuse table such as `python-ldap`), a JDK tool on a JRE (`javac`, `mvn`), or files slim images drop
  (`/usr/share/doc`, `/usr/share/man`, `/usr/share/locale`).
- The variant is built on another distribution (openjdk on Oracle Linux to eclipse-temurin on Ubuntu)
  and the stage runs a package manager.
- The stage has ONBUILD instructions: the image is a base for other builds, whose steps are not in
  this file.
- The image has no slim variant (golang, php) and alpine was not asked for or was refused.

Alpine (`--base alpine`) is refused, and slim offered instead, when the stage: runs apt-get, apt or dpkg;
runs bash (`bash` in a command, `SHELL ["/bin/bash", ...]`, a `#!/bin/bash` script or heredoc); runs
useradd/groupadd/usermod; sets up locales (`locale-gen`, `localedef`, `ENV LANG=en_US.UTF-8`); installs
a pip package that is not known to be pure Python (numpy, pandas, scipy, pyarrow, grpcio and psycopg2
ship glibc wheels or build from source; unknown packages are refused too); uses any tool alpine lacks or
any compiler or builder; runs a command dockopt does not know; copies files `--from` a stage or image that
is not known to be musl-based (the libc never changes between a builder and a runtime stage); or runs
`go build` without `CGO_ENABLED=0`.

## Fix safety
A base swap changes the files of the image, so the pass is strict about what it calls safe.

**Safe** (applied by default) when everything the stage runs is accounted for: every RUN command is
either known to be the same on the full and the slim image (shell builtins, Debian's essential tools,
apt-get, the language runtime) or is added back exactly by the inserted apt-get line; every pip requirement
is known pure Python, or ships wheels and is not pinned, or is in the build table (its -dev packages are
added); the stage copies nothing from a stage that builds native code; and the inserted apt-get line (if
any) runs in a stage that already uses apt-get update (so the build already reaches the Debian mirrors).

**Unsafe** (reported, applied only with `--unsafe`) when the pass cannot prove that, and it says why:
a RUN command it does not know (a script piped into `sh` counts as unknown); an unknown pip package, a local path or URL, a requirements file or
script it cannot read, a binary-wheel package pinned to a version (a wheel for that version on this
Python cannot be confirmed offline); npm, yarn, pnpm, gem, uv or poetry installs (native modules and
package scripts are not checked); a compiler the stage installs itself (which -dev libraries the build
needs cannot be known); files copied from a stage that builds native code, or installs -dev libraries or a compiler with apt,
whatever that stage's own base image (they may link libraries the slim image lacks); packages added to a stage that did not use apt before; every
alpine swap (musl and busybox behave differently: DNS, locales, tool options); openjdk to
eclipse-temurin and JDK to JRE (different build, no compiler API or diagnostic tools).

Not visible to any static check: application code that runs system tools or loads libraries at run
time (a Python `subprocess.run(["git", ...])`). A stage's own RUN, CMD, ENTRYPOINT, HEALTHCHECK and
scripts are checked; the application is not. Review the report before rolling a swap out widely.
"#,
};

impl Pass for SlimBase {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        let referenced = referenced_stages(doc);
        for (si, stage) in doc.stages.iter().enumerate() {
            // A stage that another stage builds on or copies from is a builder: it keeps its image.
            if referenced[si] {
                continue;
            }
            // A stage built on an earlier stage has no base image of its own to swap.
            if stage.parent.is_some() {
                continue;
            }
            let from = &doc.instructions[stage.from];
            let Detail::From { image, .. } = &from.detail else {
                continue;
            };
            // The reference must be written as one plain word (no escapes or continuations inside).
            if doc.slice(&image.range) != image.value {
                continue;
            }
            check_stage(doc, cx, si, image, out);
        }
    }
}

/// Which stages another stage uses (`FROM`, `COPY --from`, `RUN --mount=from=`), by name or index.
fn referenced_stages(doc: &Document) -> Vec<bool> {
    let mut used = vec![false; doc.stages.len()];
    let find = |name: &str| -> Option<usize> {
        if let Ok(n) = name.parse::<usize>() {
            return (n < doc.stages.len()).then_some(n);
        }
        doc.stages.iter().position(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(name))
        })
    };
    for (si, st) in doc.stages.iter().enumerate() {
        if let Some(p) = st.parent {
            used[p] = true;
        }
        for (_, inst) in doc.stage_body(si) {
            let mut names: Vec<String> = inst
                .flags_named("from")
                .filter_map(|f| f.value.as_ref().map(|v| v.value.clone()))
                .collect();
            for m in inst.mounts() {
                names.extend(
                    m.iter()
                        .filter(|(k, _)| k == "from")
                        .map(|(_, v)| v.clone()),
                );
            }
            for n in names {
                if let Some(i) = find(&n)
                    && i != si
                {
                    used[i] = true;
                }
            }
        }
    }
    used
}

/// The image reference with global ARGs expanded, and where each piece was written.
struct Resolved {
    expanded: String,
    /// (range in `expanded`, range in the written text relative to its start, is a variable)
    segs: Vec<(Range<usize>, Range<usize>, bool)>,
    /// The variables used, with their defaults.
    vars: Vec<(String, String)>,
}

/// Expands `$NAME` and `${NAME}` from global ARG defaults. `Err` names what is in the way.
fn resolve(doc: &Document, written: &str) -> Result<Resolved, String> {
    let mut args: Vec<(String, Option<String>)> = Vec::new();
    for inst in doc.instructions.iter().take_while(|i| i.kind != Kind::From) {
        if inst.kind == Kind::Arg
            && let Some(t) = inst.text_arg()
        {
            let raw = t.value.trim();
            for word in crate::model::split_words(raw) {
                match word.split_once('=') {
                    Some((k, v)) => args.push((k.to_string(), Some(v.to_string()))),
                    None => args.push((word, None)),
                }
            }
        }
    }
    let b = written.as_bytes();
    let mut out = Resolved {
        expanded: String::new(),
        segs: Vec::new(),
        vars: Vec::new(),
    };
    let mut i = 0;
    let mut lit_start = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let (name, end) = if b.get(i + 1) == Some(&b'{') {
            let close = written[i..]
                .find('}')
                .ok_or_else(|| format!("`{written}` has an unclosed ${{"))?;
            let inner = &written[i + 2..i + close];
            if !inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || inner.is_empty() {
                return Err(format!(
                    "the tag uses `${{{inner}}}`, which dockopt does not expand"
                ));
            }
            (inner.to_string(), i + close + 1)
        } else {
            let len = written[i + 1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(written.len() - i - 1);
            if len == 0 {
                return Err(format!("`{written}` has a lone `$`"));
            }
            (written[i + 1..i + 1 + len].to_string(), i + 1 + len)
        };
        if lit_start < i {
            let s = out.expanded.len();
            out.expanded.push_str(&written[lit_start..i]);
            out.segs.push((s..out.expanded.len(), lit_start..i, false));
        }
        let value = args
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.clone())
            .ok_or_else(|| format!("ARG {name} has no default before the first FROM"))?;
        if value.contains('$') {
            return Err(format!("ARG {name} refers to other variables"));
        }
        let s = out.expanded.len();
        out.expanded.push_str(&value);
        out.segs.push((s..out.expanded.len(), i..end, true));
        out.vars.push((name, value));
        i = end;
        lit_start = end;
    }
    if lit_start < b.len() {
        let s = out.expanded.len();
        out.expanded.push_str(&written[lit_start..]);
        out.segs
            .push((s..out.expanded.len(), lit_start..b.len(), false));
    }
    Ok(out)
}

/// The written form of `expanded[r]`: literal text as is, variables whole. `None` when a variable
/// is only partly inside `r`.
fn written_for(res: &Resolved, written: &str, r: Range<usize>) -> Option<String> {
    let mut out = String::new();
    for (exp, wr, var) in &res.segs {
        let lo = exp.start.max(r.start);
        let hi = exp.end.min(r.end);
        if lo >= hi {
            // An empty variable at the edge belongs to neither side.
            continue;
        }
        if *var {
            if lo != exp.start || hi != exp.end {
                return None;
            }
            out.push_str(&written[wr.clone()]);
        } else {
            let piece = written.get(wr.start + (lo - exp.start)..wr.start + (hi - exp.start))?;
            out.push_str(piece);
        }
    }
    Some(out)
}

/// Why a stage keeps its image, or what the swap needs.
enum Verdict {
    Refuse(String),
    Swap {
        add: BTreeSet<String>,
        add_why: Vec<String>,
        unsafe_why: Vec<String>,
    },
}

fn check_stage(
    doc: &Document,
    cx: &PassContext,
    si: usize,
    image: &crate::model::Spanned,
    out: &mut Findings,
) {
    let written = image.value.as_str();
    let anchor = image.range.start;
    // Quick exit for images the table does not know, before expanding anything.
    let res = match resolve(doc, written) {
        Ok(r) => r,
        Err(why) => {
            // Only report when the literal part names a known image.
            if let Some(r) = images::parse_ref(written)
                && !r.name.contains('$')
                && images::is_known_image(written)
            {
                out.skip(NAME, anchor, format!("kept {written}: {why}"));
            }
            return;
        }
    };
    let Some(r) = images::parse_ref(&res.expanded) else {
        return;
    };
    let tag = r.tag.unwrap_or("latest");
    let candidates: Vec<Variant> = if cx.base_alpine {
        vec![Variant::Alpine, Variant::Slim]
    } else {
        vec![Variant::Slim]
    };
    let mappings: Vec<SlimMapping> = candidates
        .iter()
        .filter_map(|v| images::map_tag(&r, tag, *v))
        .collect();
    let Some(first) = mappings.first() else {
        // A known full image with no variant at all (golang without --base alpine): say so.
        if images::is_known_image(&res.expanded)
            && !images::is_leave_alone_tag(tag)
            && (images::alpine_variant(&res.expanded).is_some() && !cx.base_alpine)
        {
            out.skip(
                NAME,
                anchor,
                format!(
                    "kept {}: it has no slim variant (an alpine one exists: --base alpine)",
                    res.expanded
                ),
            );
        }
        return;
    };
    // The whole image (not only the tag) comes from an ARG: the ARG's default would have to change.
    let name_end = r.prefix.len() + r.name.len();
    if res
        .segs
        .iter()
        .any(|(exp, _, var)| *var && exp.start < name_end)
    {
        out.skip(
            NAME,
            anchor,
            format!(
                "kept {written}: the image name comes from an ARG (default {}); change the default to {} by hand if no other stage uses it",
                res.expanded,
                first.reference
            ),
        );
        return;
    }
    // A digest pins the exact image; the variant's digest is unknown offline.
    if let Some(d) = &first.digest {
        out.skip(
            NAME,
            anchor,
            format!(
                "kept {}: pinned by digest ({}); the digest of {} is unknown offline, change it by hand to {}@<its digest>",
                first.full_name(),
                short_digest(d),
                first.variant_name(),
                first.reference
            ),
        );
        return;
    }

    let facts = scan::scan_stage(doc, cx, si);
    // ONBUILD makes the image a base for other builds, whose steps are not in this file.
    if let Some(at) = facts.onbuild {
        out.skip(
            NAME,
            anchor,
            format!(
                "kept {}: line {} has ONBUILD, so other builds run steps on this image that dockopt cannot see",
                first.full_name(),
                line(doc, at)
            ),
        );
        return;
    }
    let mut alpine_refusal: Option<String> = None;
    for m in &mappings {
        let verdict = match m.variant {
            Variant::Alpine => alpine_verdict(doc, cx, si, m, &facts),
            Variant::Slim => slim_verdict(doc, cx, si, m, &facts),
        };
        let (add, add_why, mut unsafe_why) = match verdict {
            Verdict::Refuse(why) => {
                if m.variant == Variant::Alpine {
                    alpine_refusal = Some(why);
                    continue;
                }
                let mut reason = format!("kept {}: {why}", m.full_name());
                if let Some(a) = &alpine_refusal {
                    reason.push_str(&format!(" (alpine refused too: {a})"));
                }
                out.skip(NAME, anchor, reason);
                return;
            }
            Verdict::Swap {
                add,
                add_why,
                unsafe_why,
            } => (add, add_why, unsafe_why),
        };
        // The written variant reference, variables kept.
        let tag_start = r.tag_range.as_ref().map_or(res.expanded.len(), |t| t.start);
        let mut new_tag = String::new();
        for part in &m.template {
            match part {
                TagPart::Lit(l) => new_tag.push_str(l),
                TagPart::Tag(t) => {
                    match written_for(&res, written, tag_start + t.start..tag_start + t.end) {
                        Some(w) => new_tag.push_str(&w),
                        None => {
                            let vars: Vec<String> =
                                res.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
                            out.skip(
                                NAME,
                                anchor,
                                format!(
                                    "kept {written}: the slim tag {} cannot be written around ARG {}; change the ARG by hand",
                                    m.variant_tag,
                                    vars.join(", ")
                                ),
                            );
                            return;
                        }
                    }
                }
            }
        }
        let new_ref = format!("{}{}:{}", r.prefix, m.variant_image, new_tag);
        let mut edits = vec![edit::replace_spanned(image, &new_ref)];
        let add_mb: u32 = add.iter().map(|p| LACKS.package_mb(p)).sum();
        if !add.is_empty() {
            // Proxy settings must be in effect before apt-get runs.
            let at = insertion_point(doc, si);
            let inst = &doc.instructions[at];
            if at != doc.stages[si].from
                && let Some(first_use) = facts.apt_used
                && first_use < inst.extent.end
            {
                // Cannot happen with well-formed files; refuse rather than misplace the line.
                out.skip(
                    NAME,
                    anchor,
                    format!(
                        "kept {}: proxy settings come after the first apt-get",
                        m.full_name()
                    ),
                );
                return;
            }
            let from_kw = doc.slice(&doc.instructions[doc.stages[si].from].keyword);
            let run_kw = if from_kw.chars().all(|c| c.is_ascii_lowercase()) {
                "run"
            } else {
                "RUN"
            };
            let pkgs: Vec<&str> = add.iter().map(String::as_str).collect();
            let line = format!(
                "{run_kw} apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
                pkgs.join(" ")
            );
            edits.push(edit::insert_lines_after(doc, inst, &line));
            if facts.apt_update.is_none() {
                unsafe_why.push(
                    "it adds an apt-get install to a stage that did not use apt before (the build then needs the Debian mirrors)"
                        .to_string(),
                );
            }
        }
        if let Some(u) = &m.unsafe_reason {
            unsafe_why.insert(0, u.clone());
        }
        if m.variant == Variant::Alpine {
            unsafe_why.insert(
                0,
                "alpine uses musl and busybox: DNS resolution, locales and tool options differ from Debian"
                    .to_string(),
            );
        }
        let applicability = if unsafe_why.is_empty() {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        };
        let saving = m.full_mb.saturating_sub(m.variant_mb + add_mb);
        let mut message = format!(
            "swapped {} for {} (estimated saving ~{} MB)",
            written, new_ref, saving
        );
        if !add.is_empty() {
            let pkgs: Vec<&str> = add.iter().map(String::as_str).collect();
            message.push_str(&format!(
                "; added apt-get install of {} ({})",
                pkgs.join(", "),
                add_why.join("; ")
            ));
        }
        if let Some(a) = &alpine_refusal {
            message.push_str(&format!("; not alpine: {a}"));
        }
        if !unsafe_why.is_empty() {
            message.push_str(&format!("; unsafe: {}", summarize(&unsafe_why)));
        }
        let added = if add.is_empty() {
            String::new()
        } else {
            format!(" + added packages {}", images::human_mb(add_mb))
        };
        let estimate = format!(
            "({} {} -> {} {}{added}; estimates from {})",
            m.full_name(),
            images::human_mb(m.full_mb),
            m.variant_name(),
            images::human_mb(m.variant_mb),
            images::TABLE_PATH
        );
        if applicability == Applicability::Unsafe && !cx.unsafe_fixes {
            out.note(
                NAME,
                format!("estimated saving with --unsafe ~{saving} MB {estimate}"),
            );
        }
        out.fix_with_note(
            NAME,
            anchor,
            applicability,
            message,
            edits,
            format!("estimated saving ~{saving} MB {estimate}"),
            Some(u64::from(saving) * 1_000_000),
        );
        return;
    }
    // Only alpine was possible (golang, php) and it was refused.
    if let Some(a) = alpine_refusal {
        out.skip(
            NAME,
            anchor,
            format!(
                "kept {}: alpine refused: {a}; the image has no slim variant",
                first.full_name()
            ),
        );
    }
}

fn short_digest(d: &str) -> String {
    let (algo, hex) = d.split_once(':').unwrap_or(("", d));
    let hex: String = hex.chars().take(12).collect();
    if algo.is_empty() {
        format!("{hex}...")
    } else {
        format!("{algo}:{hex}...")
    }
}

fn summarize(why: &[String]) -> String {
    match why.len() {
        0 => String::new(),
        1 | 2 => why.join("; "),
        n => format!("{}; {}; and {} more", why[0], why[1], n - 2),
    }
}

/// Where the added apt-get line goes: right after the FROM, or after the last ENV/ARG of the stage
/// that sets a proxy (apt-get must see it).
fn insertion_point(doc: &Document, si: usize) -> usize {
    let mut at = doc.stages[si].from;
    for (i, inst) in doc.stage_body(si) {
        if matches!(inst.kind, Kind::Env | Kind::Arg)
            && let Some(t) = inst.text_arg()
            && env_pairs(&t.value)
                .iter()
                .any(|(k, _)| k.to_ascii_lowercase().ends_with("_proxy"))
        {
            at = i;
        }
    }
    at
}

fn line(doc: &Document, at: usize) -> usize {
    doc.line(at)
}

/// The profiles of a mapping.
fn profiles(m: &SlimMapping) -> Vec<&'static data::Profile> {
    m.lacks
        .iter()
        .filter_map(|p| LACKS.profiles.get(p))
        .collect()
}

fn slim_verdict(
    doc: &Document,
    cx: &PassContext,
    si: usize,
    m: &SlimMapping,
    facts: &Facts,
) -> Verdict {
    let profs = profiles(m);
    let variant = m.variant_name();
    let mut add: BTreeSet<String> = BTreeSet::new();
    let mut add_why: Vec<String> = Vec::new();
    let mut add_why_seen: HashSet<String> = HashSet::new();
    let mut unsafe_why: Vec<String> = Vec::new();
    let has_compiler = |at: usize| {
        LACKS.compilers.iter().any(|c| m.variant_has.contains(c)) || facts.compiler_before(at)
    };
    let mut need = |pkgs: &[String], at: usize, why: String, add: &mut BTreeSet<String>| {
        let missing: Vec<&String> = pkgs
            .iter()
            .filter(|p| !m.variant_has.contains(p) && !facts.installed_before(p, at))
            .collect();
        if !missing.is_empty() {
            add.extend(missing.into_iter().cloned());
            if add_why_seen.insert(why.clone()) {
                add_why.push(why);
            }
        }
    };

    // Files the slim variant drops.
    for (p, at) in &facts.paths {
        if profs.iter().any(|pr| pr.paths.contains(p)) {
            return Verdict::Refuse(format!(
                "line {} uses {p}, which {variant} drops",
                line(doc, *at)
            ));
        }
    }
    // A different distribution: the stage's package installs would change meaning.
    if m.os != m.variant_os {
        if let Some(at) = facts.apt_used {
            return Verdict::Refuse(format!(
                "{variant} is built on {} and {} on {}; line {} installs packages",
                m.variant_os,
                m.full_name(),
                m.os,
                line(doc, at)
            ));
        }
        if let Some((pm, at)) = &facts.other_pm {
            return Verdict::Refuse(format!(
                "line {} runs {pm}, and {variant} is built on {}",
                line(doc, *at),
                m.variant_os
            ));
        }
    }
    // Commands the slim variant lacks.
    for u in &facts.uses {
        let Some(action) = profs.iter().find_map(|p| p.commands.get(&u.name)) else {
            continue;
        };
        let where_ = match u.ctx {
            Ctx::Build => format!("line {} runs {}", line(doc, u.at), u.name),
            Ctx::Runtime => format!("line {} runs {} at run time", line(doc, u.at), u.name),
        };
        if let Some(reason) = &action.refuse {
            return Verdict::Refuse(format!("line {}: {reason}", line(doc, u.at)));
        }
        if action.compile {
            if has_compiler(u.at) {
                unsafe_why.push(format!(
                    "{where_} with a compiler the slim image gets from the stage, but which -dev libraries of {} it needs cannot be known",
                    m.full_name()
                ));
                continue;
            }
            return Verdict::Refuse(format!(
                "{where_}: {variant} has no compiler or -dev libraries, and which ones this build needs cannot be known"
            ));
        }
        if let Some(pkgs) = &action.add {
            need(pkgs, u.at, where_, &mut add);
        }
    }
    // Builders: native extensions, package scripts.
    for (bi, at, satisfied) in &facts.builders {
        let b = &LACKS.builders[*bi];
        let where_ = format!("line {} runs {}", line(doc, *at), b.command);
        match b.class {
            BuilderClass::AlpineOnly => {}
            BuilderClass::Possible => unsafe_why.push(format!("{where_}: {}", b.reason)),
            BuilderClass::Likely if *satisfied => {}
            BuilderClass::Likely => {
                if has_compiler(*at) {
                    unsafe_why.push(format!(
                        "{where_}: {}; a compiler is installed, but which -dev libraries are needed cannot be known",
                        b.reason
                    ));
                } else {
                    return Verdict::Refuse(format!(
                        "{where_}: {} ({variant} lacks them)",
                        b.reason
                    ));
                }
            }
        }
    }
    if let Some(at) = facts.no_binary {
        if has_compiler(at) {
            unsafe_why.push(format!(
                "line {} builds pip packages from source (--no-binary or PIP_NO_BINARY)",
                line(doc, at)
            ));
        } else {
            return Verdict::Refuse(format!(
                "line {} builds pip packages from source (--no-binary or PIP_NO_BINARY), and {variant} has no compiler",
                line(doc, at)
            ));
        }
    }
    if let Some(at) = facts.setup_py {
        unsafe_why.push(format!(
            "line {} runs setup.py, which may compile C extensions",
            line(doc, at)
        ));
    }
    if let Some(at) = facts.dpkg_install {
        unsafe_why.push(format!(
            "line {} installs a .deb with dpkg, whose dependencies the full image may have met",
            line(doc, at)
        ));
    }
    // pip requirements.
    let mut unknown_pip: Vec<String> = Vec::new();
    let mut unknown_pip_seen: HashSet<&str> = HashSet::new();
    let mut pinned: Vec<String> = Vec::new();
    let mut pinned_seen: HashSet<&str> = HashSet::new();
    for (req, at) in &facts.pip {
        match req {
            Req::Named { name, pinned: p } => {
                if LACKS.pip.pure.contains(name) {
                    continue;
                }
                if LACKS.pip.wheels.contains(name) {
                    if *p && pinned_seen.insert(name) {
                        pinned.push(name.clone());
                    }
                    continue;
                }
                if let Some(reason) = LACKS.pip.refuse.get(name) {
                    return Verdict::Refuse(format!("line {}: {reason}", line(doc, *at)));
                }
                if let Some(pkgs) = LACKS.pip.build.get(name) {
                    need(
                        pkgs,
                        *at,
                        format!(
                            "line {} installs {name}, which builds from source",
                            line(doc, *at)
                        ),
                        &mut add,
                    );
                    continue;
                }
                if unknown_pip_seen.insert(name) {
                    unknown_pip.push(name.clone());
                }
            }
            Req::Git { ssh } => {
                let mut pkgs = vec!["git".to_string(), "ca-certificates".to_string()];
                if *ssh {
                    pkgs.push("openssh-client".to_string());
                }
                need(
                    &pkgs,
                    *at,
                    format!("line {} installs a git+ requirement", line(doc, *at)),
                    &mut add,
                );
            }
            Req::Other(what) => unsafe_why.push(format!(
                "line {} pip-installs {what}, which is not checked",
                line(doc, *at)
            )),
        }
    }
    if !unknown_pip.is_empty() {
        unsafe_why.push(format!(
            "pip installs {}, not in the table of packages known to install without a compiler",
            list(&unknown_pip)
        ));
    }
    if !pinned.is_empty() {
        unsafe_why.push(format!(
            "pip pins {}: a wheel of that version for this Python cannot be confirmed offline",
            list(&pinned)
        ));
    }
    for (what, at) in &facts.unreadable {
        unsafe_why.push(format!(
            "line {} uses {what}, which could not be read from the build context",
            line(doc, *at)
        ));
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut unknown_seen: HashSet<&str> = HashSet::new();
    let mut first_unknown = None;
    for (name, at) in &facts.unknown {
        if unknown_seen.insert(name) {
            unknown.push(name.clone());
            first_unknown.get_or_insert(*at);
        }
    }
    if let Some(at) = first_unknown {
        unsafe_why.push(format!(
            "line {} runs {}, which dockopt does not know (it may use what {} lacks)",
            line(doc, at),
            list(&unknown),
            variant
        ));
    }
    // Files copied from a stage that builds native code may link libraries only the full image has.
    if profs.iter().any(|p| p.libraries) {
        for (source, at) in copy_sources(doc, si) {
            if let Some(why) = native_build(doc, cx, source) {
                unsafe_why.push(format!(
                    "line {} copies from stage {}, which {why}; the files may link libraries {variant} lacks",
                    line(doc, at),
                    stage_label(doc, source)
                ));
            }
        }
    }
    Verdict::Swap {
        add,
        add_why,
        unsafe_why,
    }
}

fn list(names: &[String]) -> String {
    if names.len() <= 4 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..4].join(", "), names.len() - 4)
    }
}

fn stage_label(doc: &Document, si: usize) -> String {
    match &doc.stages[si].alias {
        Some(a) => format!("`{a}`"),
        None => format!("#{si}"),
    }
}

/// Stages this stage copies from (`COPY --from`, `RUN --mount=from=`), with where.
fn copy_sources(doc: &Document, si: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (_, inst) in doc.stage_body(si) {
        let mut names: Vec<String> = inst
            .flags_named("from")
            .filter_map(|f| f.value.as_ref().map(|v| v.value.clone()))
            .collect();
        for m in inst.mounts() {
            names.extend(
                m.iter()
                    .filter(|(k, _)| k == "from")
                    .map(|(_, v)| v.clone()),
            );
        }
        for n in names {
            if let Some(s) = stage_index(doc, &n)
                && s != si
            {
                out.push((s, inst.keyword.start));
            }
        }
    }
    out
}

/// External images this stage copies from, with where.
fn copy_images(doc: &Document, si: usize) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (_, inst) in doc.stage_body(si) {
        let mut names: Vec<String> = inst
            .flags_named("from")
            .filter_map(|f| f.value.as_ref().map(|v| v.value.clone()))
            .collect();
        for m in inst.mounts() {
            // A mount from the build context or a cache is not a copy from an image.
            if m.iter().any(|(k, v)| k == "type" && v != "bind") {
                continue;
            }
            names.extend(
                m.iter()
                    .filter(|(k, _)| k == "from")
                    .map(|(_, v)| v.clone()),
            );
        }
        for n in names {
            if stage_index(doc, &n).is_none() {
                out.push((n, inst.keyword.start));
            }
        }
    }
    out
}

fn stage_index(doc: &Document, name: &str) -> Option<usize> {
    if let Ok(n) = name.parse::<usize>() {
        return (n < doc.stages.len()).then_some(n);
    }
    doc.stages.iter().position(|s| {
        s.alias
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The chain of stages `si` builds on, itself first.
fn chain(doc: &Document, si: usize) -> Vec<usize> {
    let mut out = vec![si];
    let mut cur = si;
    while let Some(p) = doc.stages[cur].parent {
        if out.contains(&p) {
            break;
        }
        out.push(p);
        cur = p;
    }
    out
}

/// Whether a stage (or one it builds on) builds native code; says how.
fn native_build(doc: &Document, cx: &PassContext, si: usize) -> Option<String> {
    for s in chain(doc, si) {
        let f = scan::scan_stage(doc, cx, s);
        let compiles = f.uses.iter().find(|u| {
            LACKS
                .profiles
                .values()
                .any(|p| p.commands.get(&u.name).is_some_and(|a| a.compile))
        });
        if let Some(u) = compiles {
            return Some(format!("runs {}", u.name));
        }
        if let Some((bi, _, _)) = f
            .builders
            .iter()
            .find(|(bi, _, sat)| !sat && LACKS.builders[*bi].class != BuilderClass::AlpineOnly)
        {
            return Some(format!("runs {}", LACKS.builders[*bi].command));
        }
        // Native packages or -dev libraries installed with apt: what was built against them
        // links their shared objects, whatever the stage's base image.
        if let Some((pkg, _)) = f.apt_installs.iter().find(|(p, _)| {
            p.ends_with("-dev") || p.ends_with("-devel") || LACKS.compilers.contains(p)
        }) {
            return Some(format!("installs {pkg}"));
        }
        if f.no_binary.is_some() || f.setup_py.is_some() {
            return Some("builds Python packages from source".into());
        }
        for (req, _) in &f.pip {
            match req {
                Req::Named { name, .. } if LACKS.pip.pure.contains(name) => {}
                Req::Named { name, .. } if LACKS.pip.wheels.contains(name) => {}
                Req::Named { name, .. } => return Some(format!("pip-installs {name}")),
                Req::Git { .. } | Req::Other(_) => {
                    return Some("pip-installs unchecked requirements".into());
                }
            }
        }
        if let Some((what, _)) = f.unreadable.first() {
            return Some(format!("uses {what} (unreadable)"));
        }
    }
    None
}

/// The libc of the image a stage is built on, when known.
fn stage_libc(doc: &Document, si: usize) -> Option<Libc> {
    let root = *chain(doc, si).last()?;
    let image = &doc.stages[root].image;
    let expanded = resolve(doc, image).ok()?.expanded;
    images::libc_of(&expanded)
}

fn alpine_verdict(
    doc: &Document,
    cx: &PassContext,
    si: usize,
    m: &SlimMapping,
    facts: &Facts,
) -> Verdict {
    let variant = m.variant_name();
    let l = |at: usize| line(doc, at);
    if let Some(at) = facts.apt_used {
        return Verdict::Refuse(format!("line {} runs apt-get; alpine uses apk", l(at)));
    }
    if let Some((pm, at)) = &facts.other_pm {
        return Verdict::Refuse(format!("line {} runs {pm}; alpine uses apk", l(*at)));
    }
    if let Some((what, at)) = &facts.bash {
        return Verdict::Refuse(format!(
            "line {} uses bash ({what}), which alpine lacks",
            l(*at)
        ));
    }
    if let Some((what, at)) = &facts.locale {
        return Verdict::Refuse(format!(
            "line {} sets up locales ({what}); musl has no glibc locales",
            l(*at)
        ));
    }
    for u in &facts.uses {
        if let Some(reason) = LACKS.alpine.missing.get(&u.name) {
            return Verdict::Refuse(format!("line {} {reason}", l(u.at)));
        }
        if LACKS
            .profiles
            .values()
            .any(|p| p.commands.contains_key(&u.name))
        {
            return Verdict::Refuse(format!(
                "line {} runs {}, which {variant} lacks",
                l(u.at),
                u.name
            ));
        }
    }
    if let Some((bi, at, _)) = facts.builders.iter().find(|(_, _, sat)| !sat) {
        let b = &LACKS.builders[*bi];
        return Verdict::Refuse(format!("line {} runs {}: {}", l(*at), b.command, b.reason));
    }
    if let Some(at) = facts.no_binary.or(facts.setup_py).or(facts.dpkg_install) {
        return Verdict::Refuse(format!("line {} builds or installs native code", l(at)));
    }
    for (req, at) in &facts.pip {
        match req {
            Req::Named { name, .. } if LACKS.pip.pure.contains(name) => {}
            Req::Named { name, .. } if LACKS.pip.wheels.contains(name) => {
                return Verdict::Refuse(format!(
                    "line {} installs {name}, which ships glibc (manylinux) wheels and builds from source on musl",
                    l(*at)
                ));
            }
            Req::Named { name, .. } if LACKS.pip.build.contains_key(name) => {
                return Verdict::Refuse(format!(
                    "line {} installs {name}, which builds from source",
                    l(*at)
                ));
            }
            Req::Named { name, .. } => {
                return Verdict::Refuse(format!(
                    "line {} installs {name}, which is not known to be pure Python",
                    l(*at)
                ));
            }
            Req::Git { .. } => {
                return Verdict::Refuse(format!(
                    "line {} installs a git+ requirement (alpine has no git)",
                    l(*at)
                ));
            }
            Req::Other(what) => {
                return Verdict::Refuse(format!(
                    "line {} pip-installs {what}, which is not checked",
                    l(*at)
                ));
            }
        }
    }
    if let Some((what, at)) = facts.unreadable.first() {
        return Verdict::Refuse(format!(
            "line {} uses {what}, which could not be read from the build context",
            l(*at)
        ));
    }
    if let Some((name, at)) = facts.unknown.first() {
        return Verdict::Refuse(format!(
            "line {} runs {name}, which dockopt does not know",
            l(*at)
        ));
    }
    if let Some((p, at)) = facts.paths.first() {
        return Verdict::Refuse(format!("line {} uses {p}", l(*at)));
    }
    // Never change the libc between a builder and the runtime stage.
    for (source, at) in copy_sources(doc, si) {
        if stage_libc(doc, source) != Some(Libc::Musl) {
            return Verdict::Refuse(format!(
                "line {} copies from stage {}, which is not built on musl; the libc must not change between a builder and the runtime stage",
                l(at),
                stage_label(doc, source)
            ));
        }
    }
    for (img, at) in copy_images(doc, si) {
        if images::libc_of(&img) != Some(Libc::Musl) {
            return Verdict::Refuse(format!(
                "line {} copies from {img}, which is not known to be musl-based",
                l(at)
            ));
        }
    }
    let _ = cx;
    Verdict::Swap {
        add: BTreeSet::new(),
        add_why: Vec::new(),
        unsafe_why: Vec::new(),
    }
}
