//! add-to-copy: `ADD` becomes `COPY` for local files that are not archives.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::fix::{Applicability, Edit, Findings};
use crate::model::{CopySource, Detail, Document, Instruction, Kind};
use crate::passes::hygiene;
use crate::passes::instruction_data::{TABLE, has_extension};
use crate::passes::{Pass, PassContext, PassInfo};

pub struct AddToCopy;

const NAME: &str = "add-to-copy";

static INFO: PassInfo = PassInfo {
    name: NAME,
    summary: "ADD becomes COPY for local files and directories that are not archives",
    hadolint: &["DL3020"],
    default_enabled: true,
    doc: r#"# add-to-copy

## What it does
Replaces the `ADD` keyword with `COPY` when every source is a local file or directory that ADD would
copy as it is: not a URL, not a git repository, not a tar archive. Flags COPY also has (`--chown`,
`--chmod`, `--link`, `--exclude`) stay as they are.

Each source is looked up in the build context (the Dockerfile's directory, or `--context DIR`),
wildcards included: directories are never extracted, and a file is an archive when its first bytes
are a tar, gzip, bzip2, xz or zstd header.

## Why
ADD does three things: copy, download URLs, and unpack local tar archives. For a plain file the reader
has to wonder which one happens, and a file that later turns into a tarball silently changes meaning.
COPY says what it does. This is hadolint's DL3020.

## Example
```dockerfile
ADD requirements.txt /app/
ADD src/ /app/src/
```
becomes
```dockerfile
COPY requirements.txt /app/
COPY src/ /app/src/
```

## When it refuses
- A URL or git source (ADD downloads it), or a source with an archive extension (`.tar.gz`, `.tgz`,
  `.tar.xz`, ...) or archive contents (ADD extracts it): ADD is right and stays. When such a source is
  mixed with plain files in one ADD, that is reported.
- Flags COPY lacks: `--checksum`, `--keep-git-dir`, `--unpack` (skip).
- A source that depends on a variable, or a heredoc source (skip).
- A relative destination with no WORKDIR set in the stage: where it lands depends on the base image's
  WORKDIR, and hadolint (DL3045) flags exactly that for COPY, so the ADD stays until a WORKDIR is set.
- `ONBUILD ADD` is left alone: its sources come from another build context.

## Fix safety
Safe when every source was found in the build context and none is an archive, or, when a source is
not there (a build output, standard input without `--context`), when it is a directory or its
extension is one that is never a tar archive (`.jar`, `.py`, `.json`, `.conf`, ...). Any other source
that cannot be inspected makes the fix **unsafe** (only with `--unsafe`): if it were a tar archive,
ADD would have extracted it and COPY would not.
"#,
};

impl Pass for AddToCopy {
    fn info(&self) -> &'static PassInfo {
        &INFO
    }

    fn run(&self, doc: &Document, cx: &PassContext, out: &mut Findings) {
        for (idx, inst) in doc.instructions.iter().enumerate() {
            // Only top-level ADD instructions (ONBUILD ADD runs in another build context).
            if inst.kind != Kind::Add {
                continue;
            }
            check_add(doc, cx, idx, inst, out);
        }
    }
}

/// What a source is.
enum Source {
    /// ADD downloads or extracts it: ADD is the right instruction.
    Special(String),
    /// A plain local file or directory; `Some(reason)` when that could not be checked.
    Plain(Option<String>),
}

fn check_add(doc: &Document, cx: &PassContext, idx: usize, inst: &Instruction, out: &mut Findings) {
    let t = &TABLE.add_to_copy;
    let anchor = inst.keyword.start;
    let Detail::Copy { sources, dest } = &inst.detail else {
        return;
    };
    let mut kinds = Vec::new();
    for s in sources {
        let CopySource::Path(p) = s else {
            out.skip(NAME, anchor, "ADD with a heredoc source: left alone");
            return;
        };
        // A variable can expand to a URL or an archive name.
        if p.value.contains('$') {
            out.skip(
                NAME,
                anchor,
                format!("ADD source `{}` depends on a variable: left alone", p.value),
            );
            return;
        }
        kinds.push((p.value.as_str(), classify(cx, &p.value)));
    }
    let special: Vec<String> = kinds
        .iter()
        .filter_map(|(_, k)| match k {
            Source::Special(why) => Some(why.clone()),
            Source::Plain(_) => None,
        })
        .collect();
    // Every source is downloaded or extracted: ADD is right. Say so when only the contents tell.
    if special.len() == kinds.len() {
        if let Some(why) = special.iter().find(|w| w.ends_with("by its contents)")) {
            out.skip(
                NAME,
                anchor,
                format!("ADD stays: {why}, which ADD extracts"),
            );
        }
        return;
    }
    // Flags COPY does not have.
    if let Some(f) = inst.flags.iter().find(|f| {
        !t.copy_compatible_flags
            .iter()
            .any(|c| f.name.eq_ignore_ascii_case(c))
    }) {
        out.skip(
            NAME,
            anchor,
            format!("ADD --{} has no COPY equivalent: left as ADD", f.name),
        );
        return;
    }

    // Mixed: ADD is needed for some sources.
    if !special.is_empty() {
        out.skip(
            NAME,
            anchor,
            format!(
                "ADD mixes plain files with {}: split it to use COPY for the plain files",
                special.join(", ")
            ),
        );
        return;
    }
    // A relative destination without WORKDIR: hadolint DL3045 flags it on COPY.
    let d = dest.value.trim_matches(|c| c == '"' || c == '\'');
    let absolute = d.starts_with('/')
        || d.starts_with('$')
        || d.get(1..3).is_some_and(|s| s == ":\\" || s == ":/");
    if !absolute
        && !hygiene::earlier_in_chain(doc, idx)
            .iter()
            .any(|&i| doc.instructions[i].kind == Kind::Workdir)
    {
        out.skip(
            NAME,
            anchor,
            format!(
                "destination `{d}` is relative and no WORKDIR is set in the stage, so it depends on the \
                 base image's WORKDIR (hadolint DL3045 flags that for COPY): set a WORKDIR to convert"
            ),
        );
        return;
    }
    let unknown: Vec<String> = kinds
        .iter()
        .filter_map(|(_, k)| match k {
            Source::Plain(Some(why)) => Some(why.clone()),
            _ => None,
        })
        .collect();
    let kw = doc.slice(&inst.keyword);
    let copy = if kw.chars().all(|c| c.is_ascii_lowercase()) {
        "copy"
    } else {
        "COPY"
    };
    let edits = vec![Edit::replace(inst.keyword.clone(), copy)];
    if unknown.is_empty() {
        out.fix(
            NAME,
            anchor,
            Applicability::Safe,
            "ADD -> COPY: every source is a local file or directory that is not an archive",
            edits,
        );
    } else {
        out.fix(
            NAME,
            anchor,
            Applicability::Unsafe,
            format!(
                "ADD -> COPY (unsafe: {}; if it is a tar archive, ADD extracts it and COPY does not)",
                unknown.join("; ")
            ),
            edits,
        );
    }
}

fn classify(cx: &PassContext, src: &str) -> Source {
    let t = &TABLE.add_to_copy;
    if t.url_markers.iter().any(|m| src.contains(m.as_str())) {
        return Source::Special(format!("the URL {src}"));
    }
    let name = src.trim_end_matches('/');
    if !src.ends_with('/') && has_extension(name, &t.archive_extensions) {
        return Source::Special(format!("the archive {src}"));
    }
    let directory_syntax = src.ends_with('/') || matches!(name, "" | "." | "./");
    let inspected = cx.context_dir.map(|ctx| expand(ctx, src));
    match inspected {
        Some(Ok(paths)) if !paths.is_empty() => {
            for p in &paths {
                if is_archive_file(p) {
                    return Source::Special(format!("{src} (an archive by its contents)"));
                }
            }
            Source::Plain(None)
        }
        _ if directory_syntax || has_extension(name, &t.plain_extensions) => Source::Plain(None),
        Some(Err(why)) => Source::Plain(Some(why)),
        Some(Ok(_)) => Source::Plain(Some(format!("{src} is not in the build context"))),
        None => Source::Plain(Some(format!(
            "{src} could not be inspected (no build context)"
        ))),
    }
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The paths a source matches in the build context (Go `filepath.Match` wildcards per component).
fn expand(ctx: &Path, src: &str) -> Result<Vec<PathBuf>, String> {
    let mut current = vec![ctx.to_path_buf()];
    for comp in src.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp == ".." {
            return Err(format!("{src} points outside the build context"));
        }
        let mut next = Vec::new();
        for base in &current {
            if has_glob(comp) {
                let matcher = globset::GlobBuilder::new(comp)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|_| format!("{src} has a wildcard dockopt cannot read"))?
                    .compile_matcher();
                let Ok(entries) = fs::read_dir(base) else {
                    continue;
                };
                for e in entries.flatten() {
                    if matcher.is_match(e.file_name()) {
                        next.push(e.path());
                    }
                }
            } else {
                let p = base.join(comp);
                if fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
            }
        }
        if next.len() > 10_000 {
            return Err(format!("{src} matches too many files to inspect"));
        }
        current = next;
    }
    Ok(current)
}

/// Whether a file starts like an archive ADD would extract (tar, or a compressed stream).
fn is_archive_file(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    let Ok(mut f) = fs::File::open(path) else {
        // Unreadable: treat as an archive, so ADD stays.
        return true;
    };
    let mut head = [0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return true,
        }
    }
    let head = &head[..n];
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return true;
    }
    TABLE.add_to_copy.archive_magic.iter().any(|m| {
        let bytes: Vec<u8> = (0..m.len() / 2)
            .filter_map(|i| u8::from_str_radix(&m[2 * i..2 * i + 2], 16).ok())
            .collect();
        head.starts_with(&bytes)
    })
}
