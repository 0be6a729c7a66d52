//! What every language's split shares: refusals, the checks on the original stage's instructions, the
//! recognition of apt-get and replayable commands, the rebuilding of a RUN for the runtime stage, and
//! the appended stage text.

use std::ops::Range;

use super::data::DATA;
use crate::edit;
use crate::fix::Edit;
use crate::model::{CommandForm, Detail, Document, Instruction, Kind};
use crate::passes::PassContext;
use crate::passes::slim_base::data::LACKS;
use crate::recognize::{basename, effective_words};
use crate::shell::{Logical, Mode, SimpleCommand};

/// A refusal: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub anchor: usize,
    pub reason: String,
}

impl Refusal {
    pub fn at(anchor: usize, reason: impl Into<String>) -> Refusal {
        Refusal {
            anchor,
            reason: reason.into(),
        }
    }
}

/// The single stage being split.
pub struct Split<'a> {
    pub doc: &'a Document,
    pub cx: &'a PassContext<'a>,
    /// The builder stage's name (`builder`, or the alias FROM already had).
    pub builder: String,
    pub from_idx: usize,
    pub image: String,
}

impl Split<'_> {
    pub fn from(&self) -> &Instruction {
        &self.doc.instructions[self.from_idx]
    }

    /// The instructions of the stage, FROM excluded.
    pub fn body(&self) -> impl Iterator<Item = (usize, &Instruction)> {
        self.doc.stage_body(0)
    }

    /// A file of the build context, when there is one and it can be read.
    pub fn context_file(&self, rel: &str) -> Option<String> {
        let dir = self.cx.context_dir?;
        let rel = rel.trim_start_matches("./");
        if rel.is_empty() || rel.starts_with('/') || rel.contains("..") || rel.contains('$') {
            return None;
        }
        let path = dir.join(rel);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > 4 * 1024 * 1024 {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }
}

/// Refusals that do not depend on the language.
pub fn check_instruction(doc: &Document, inst: &Instruction) -> Result<(), Refusal> {
    let at = inst.keyword.start;
    match inst.kind {
        // ONBUILD triggers fire in images built FROM this one; the split changes which image that is.
        Kind::Onbuild => Err(Refusal::at(
            at,
            "the stage has ONBUILD: its triggers belong to the image as a whole, which the split changes",
        )),
        Kind::Copy | Kind::Add if inst.flag("from").is_some() => Err(Refusal::at(
            at,
            format!(
                "line {} copies from another image or stage (--from): not handled",
                doc.line(at)
            ),
        )),
        Kind::Run => {
            let Detail::Run { command, heredocs } = &inst.detail else {
                return Ok(());
            };
            if matches!(command, CommandForm::Exec { .. }) {
                return Err(Refusal::at(
                    at,
                    format!("line {}: exec-form RUN is not analysed", doc.line(at)),
                ));
            }
            if !heredocs.is_empty() {
                return Err(Refusal::at(
                    at,
                    format!("line {}: RUN with a heredoc is not analysed", doc.line(at)),
                ));
            }
            if inst
                .mounts()
                .iter()
                .any(|m| m.iter().any(|(k, _)| k == "from"))
            {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {}: RUN mounts files from another image or stage: not handled",
                        doc.line(at)
                    ),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The text of an instruction from its keyword to its end, without the final line terminator.
pub fn verbatim(doc: &Document, inst: &Instruction) -> String {
    let t = &doc.text[inst.extent.clone()];
    t.strip_suffix("\r\n")
        .or_else(|| t.strip_suffix('\n'))
        .unwrap_or(t)
        .to_string()
}

/// The text the shell sees for a raw range (continuations joined the BuildKit way).
pub fn logical(doc: &Document, r: Range<usize>) -> String {
    let l = Logical::new(&doc.text, r, Mode::Dockerfile { escape: doc.escape });
    String::from_utf8_lossy(&l.bytes).trim().to_string()
}

/// The edit that appends the runtime stage at the end of the file, after a blank line.
pub fn append_stage(doc: &Document, lines: &[String]) -> Edit {
    let mut s = String::new();
    if !doc.text.is_empty() && !doc.text.ends_with('\n') {
        s.push('\n');
    }
    s.push('\n');
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    Edit::insert(doc.text.len(), edit::with_eol(doc, &s))
}

/// What one simple command of a RUN is, for the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// `apt-get update`, `apt-get clean`, `rm -rf /var/lib/apt/lists/*`: the runtime's own install line
    /// does this itself.
    AptNoise,
    /// `apt-get install`: its options (and `VAR=x` prefixes) and packages as written.
    AptInstall {
        prefix: Vec<String>,
        opts: Vec<String>,
        pkgs: Vec<String>,
    },
    /// `apt-get purge/remove/autoremove` of packages.
    AptRemove(Vec<String>),
    /// Run again in the runtime stage.
    Replay,
    /// Only the builder needs it (the language build itself, package manager configuration).
    Drop,
}

/// apt-get options that take a value.
const APT_WITH_VALUE: &[&str] = &[
    "-o",
    "-t",
    "-c",
    "--option",
    "--target-release",
    "--config-file",
];

/// Recognises apt, cleanup, replayable and builder-only commands. `None`: a command the language
/// module must judge.
pub fn classify_common(cmd: &SimpleCommand) -> Option<Class> {
    let words = effective_words(cmd);
    let first = words.first()?;
    let name = basename(&first.value);
    if matches!(name, "apt-get" | "apt") {
        let mut i = 1;
        let mut opts = Vec::new();
        while i < words.len() && words[i].value.starts_with('-') {
            opts.push(words[i].value.clone());
            if APT_WITH_VALUE.contains(&words[i].value.as_str()) && i + 1 < words.len() {
                opts.push(words[i + 1].value.clone());
                i += 1;
            }
            i += 1;
        }
        let sub = words.get(i)?.value.as_str();
        let mut pkgs = Vec::new();
        let mut j = i + 1;
        while j < words.len() {
            let v = &words[j].value;
            if v.starts_with('-') {
                opts.push(v.clone());
                if APT_WITH_VALUE.contains(&v.as_str()) && j + 1 < words.len() {
                    opts.push(words[j + 1].value.clone());
                    j += 1;
                }
            } else {
                pkgs.push(v.clone());
            }
            j += 1;
        }
        return match sub {
            "update" | "clean" | "autoclean" => Some(Class::AptNoise),
            "install" => Some(Class::AptInstall {
                prefix: cmd.assigns.iter().map(|w| w.value.clone()).collect(),
                opts,
                pkgs,
            }),
            "purge" | "remove" | "autoremove" => Some(Class::AptRemove(pkgs)),
            _ => None,
        };
    }
    let sub = words.get(1).map(|w| w.value.as_str()).unwrap_or("");
    if name == "rm"
        && words[1..].iter().any(|w| !w.value.starts_with('-'))
        && words[1..].iter().all(|w| {
            w.value.starts_with('-')
                || w.value.starts_with("/var/lib/apt/lists")
                || w.value.starts_with("/var/cache/apt")
        })
    {
        return Some(Class::AptNoise);
    }
    if DATA.is_builder_only(name, sub) {
        return Some(Class::Drop);
    }
    if DATA.is_replay(name) && !first.dynamic {
        return Some(Class::Replay);
    }
    None
}

/// The package name of an apt argument (`libpq-dev=15.*` -> `libpq-dev`, `foo:amd64` -> `foo`).
pub fn package_name(arg: &str) -> &str {
    let end = arg.find(['=', ':', '/']).unwrap_or(arg.len());
    &arg[..end]
}

/// The packages the runtime installs for one apt-get install of the original: build-only packages
/// dropped, `-dev` packages replaced by their runtime libraries. `python_apt` refuses `python3-*`.
pub fn runtime_packages(
    doc: &Document,
    at: usize,
    pkgs: &[String],
    python_apt: bool,
) -> Result<Vec<String>, Refusal> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: &str| {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    };
    for arg in pkgs {
        let name = package_name(arg);
        if arg.contains('$') || arg.contains('*') {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: apt-get installs `{arg}`, which dockopt cannot read",
                    doc.line(at)
                ),
            ));
        }
        if DATA.is_build_only(name) {
            continue;
        }
        if python_apt && (name.starts_with("python3-") || name.starts_with("python-")) {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: the Python package {name} comes from apt: it lives in the system Python, outside the virtualenv the runtime stage gets",
                    doc.line(at)
                ),
            ));
        }
        if name.ends_with("-dev") || name.contains("-dev-") {
            match DATA.dev_runtime.get(name) {
                Some(libs) => libs.iter().for_each(|l| push(l)),
                None => {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {}: no runtime library is known for {name} (transforms/multi-stage.yaml dev_runtime)",
                            doc.line(at)
                        ),
                    ));
                }
            }
            continue;
        }
        push(arg);
    }
    Ok(out)
}

/// Rebuilds one RUN of the original for the runtime stage from the class of each of its commands.
/// `None`: nothing of it runs there. Extra text (`before`) is put in front of the rebuilt command.
pub fn runtime_run(
    doc: &Document,
    inst: &Instruction,
    classes: &[Class],
    python_apt: bool,
) -> Result<Option<String>, Refusal> {
    let Some(script) = inst.run_script() else {
        return Ok(None);
    };
    let at = inst.keyword.start;
    // Only commands that run again: the RUN as it is.
    if classes.iter().all(|c| *c == Class::Replay) {
        return Ok(Some(verbatim(doc, inst)));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut apt_at: Option<usize> = None;
    let mut prefix: Vec<String> = Vec::new();
    let mut opts: Vec<String> = Vec::new();
    let mut pkgs: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for (cmd, class) in script.commands.iter().zip(classes) {
        match class {
            Class::Replay => parts.push(logical(doc, cmd.range.clone())),
            Class::AptInstall {
                prefix: p,
                opts: o,
                pkgs: k,
            } => {
                if apt_at.is_none() {
                    apt_at = Some(parts.len());
                    parts.push(String::new());
                }
                for x in p {
                    if !prefix.contains(x) {
                        prefix.push(x.clone());
                    }
                }
                for x in o {
                    if !opts.contains(x) || APT_WITH_VALUE.contains(&x.as_str()) {
                        opts.push(x.clone());
                    }
                }
                for x in runtime_packages(doc, at, k, python_apt)? {
                    if !pkgs.contains(&x) {
                        pkgs.push(x);
                    }
                }
            }
            Class::AptRemove(k) => removed.extend(k.iter().cloned()),
            Class::AptNoise | Class::Drop => {}
        }
    }
    // apt-get purge of a package the runtime keeps would remove it again: not rewritten.
    if let Some(p) = removed
        .iter()
        .find(|r| pkgs.iter().any(|k| package_name(k) == package_name(r)))
    {
        return Err(Refusal::at(
            at,
            format!(
                "line {}: apt removes {p}, which the runtime stage installs",
                doc.line(at)
            ),
        ));
    }
    if let Some(i) = apt_at {
        if pkgs.is_empty() {
            parts.remove(i);
        } else {
            parts[i] = apt_line(&prefix, &opts, &pkgs);
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    // Rebuilding a RUN is only sound for a plain `&&`/`;` chain.
    check_plain_chain(doc, inst)?;
    Ok(Some(format!("RUN {}", parts.join(" && "))))
}

/// `apt-get update && apt-get install ... && rm -rf /var/lib/apt/lists/*`.
pub fn apt_line(prefix: &[String], opts: &[String], pkgs: &[String]) -> String {
    let mut o: Vec<String> = opts.to_vec();
    let yes = o.iter().any(|x| {
        matches!(x.as_str(), "--yes" | "--assume-yes" | "-qq")
            || (x.starts_with('-') && !x.starts_with("--") && x.contains('y'))
    });
    if !yes {
        o.insert(0, "-y".to_string());
    }
    let mut install = String::new();
    for p in prefix {
        install.push_str(p);
        install.push(' ');
    }
    install.push_str("apt-get install ");
    install.push_str(&o.join(" "));
    install.push(' ');
    install.push_str(&pkgs.join(" "));
    format!("apt-get update && {install} && rm -rf /var/lib/apt/lists/*")
}

/// Refuses a RUN whose commands are joined by anything but `&&` and `;` (pipes, `||`, `if`, loops).
pub fn check_plain_chain(doc: &Document, inst: &Instruction) -> Result<(), Refusal> {
    let (Some(script), Detail::Run { command, .. }) = (inst.run_script(), &inst.detail) else {
        return Ok(());
    };
    let CommandForm::Shell { range, .. } = command else {
        return Ok(());
    };
    let bad = || {
        Refusal::at(
            inst.keyword.start,
            format!(
                "line {}: the RUN mixes installs with shell constructs (`||`, pipes, `if`, loops) that dockopt does not take apart",
                doc.line(inst.keyword.start)
            ),
        )
    };
    let cmds = &script.commands;
    let Some(first) = cmds.first() else {
        return Ok(());
    };
    if !logical(doc, range.start..first.range.start).is_empty() {
        return Err(bad());
    }
    for pair in cmds.windows(2) {
        let gap = logical(doc, pair[0].range.end..pair[1].range.start);
        if gap != "&&" && gap != ";" {
            return Err(bad());
        }
    }
    let last = cmds.last().map_or(range.start, |c| c.range.end);
    let tail = logical(doc, last..range.end);
    if !(tail.is_empty() || tail == ";") {
        return Err(bad());
    }
    if cmds.iter().any(|c| !c.redirects.is_empty()) {
        return Err(bad());
    }
    Ok(())
}

/// The command words (as written, full paths kept) an instruction of the runtime stage runs.
pub fn command_paths(inst: &Instruction) -> Vec<String> {
    let form = match &inst.detail {
        Detail::Cmd(f) | Detail::Entrypoint(f) | Detail::Healthcheck(Some(f)) => f,
        Detail::Run { command, .. } => command,
        _ => return vec![],
    };
    match form {
        CommandForm::Exec { args, .. } => args
            .first()
            .map(|a| vec![a.value.clone()])
            .unwrap_or_default(),
        CommandForm::Shell { script, .. } => script
            .commands
            .iter()
            .filter_map(|c| effective_words(c).first())
            .map(|w| w.value.clone())
            .collect(),
    }
}

/// Names of the commands an instruction of the runtime stage runs (CMD, ENTRYPOINT, HEALTHCHECK and
/// replayed RUNs), with the command's first word.
pub fn commands_run(inst: &Instruction) -> Vec<String> {
    let form = match &inst.detail {
        Detail::Cmd(f) | Detail::Entrypoint(f) | Detail::Healthcheck(Some(f)) => f,
        Detail::Run { command, .. } => command,
        _ => return vec![],
    };
    match form {
        CommandForm::Exec { args, .. } => args
            .first()
            .map(|a| vec![basename(&a.value).to_string()])
            .unwrap_or_default(),
        CommandForm::Shell { script, .. } => script
            .commands
            .iter()
            .filter_map(|c| effective_words(c).first())
            .map(|w| basename(&w.value).to_string())
            .collect(),
    }
}

/// The packages the runtime stage must install for commands the slim image lacks (per the slim-base
/// table), or a refusal for a command that cannot be installed simply.
pub fn lacked_packages(
    profiles: &[String],
    uses: &[(usize, String)],
    doc: &Document,
) -> Result<Vec<String>, Refusal> {
    let mut out: Vec<String> = Vec::new();
    for (at, name) in uses {
        for p in profiles {
            let Some(profile) = LACKS.profiles.get(p) else {
                continue;
            };
            let Some(action) = profile.commands.get(name) else {
                continue;
            };
            if let Some(add) = &action.add {
                for a in add {
                    if !out.contains(a) {
                        out.push(a.clone());
                    }
                }
            } else {
                let why = action
                    .refuse
                    .clone()
                    .unwrap_or_else(|| format!("runs {name}, a build tool"));
                return Err(Refusal::at(
                    *at,
                    format!(
                        "line {}: the runtime stage {why} (the slim image lacks it)",
                        doc.line(*at)
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Whether a USER value is root.
pub fn is_root(user: &str) -> bool {
    let u = user.trim();
    let name = u.split(':').next().unwrap_or(u);
    name == "root" || name == "0"
}

/// Why an image of a known language has no runtime image to split onto.
pub fn no_slim_reason(image: &str) -> String {
    let tag = crate::images::parse_ref(image)
        .and_then(|r| r.tag)
        .unwrap_or("latest");
    if is_windows_tag(tag) {
        format!("`{image}` is a Windows image: not supported")
    } else if crate::images::is_leave_alone_tag(tag) {
        // The word that makes it small or special (`slim`, `alpine`, `jre`, `distroless`...).
        let word = tag
            .split(['-', '.', '_'])
            .find(|w| crate::images::is_leave_alone_tag(w))
            .unwrap_or(tag);
        format!(
            "`{image}` is already a small variant ({word}): a split onto the same image is not supported yet"
        )
    } else {
        format!(
            "`{image}` has no slim variant of the same distribution in {}",
            crate::images::TABLE_PATH
        )
    }
}

/// Whether a tag names a Windows image (`3.12-windowsservercore-ltsc2022`, `20-nanoserver`).
fn is_windows_tag(tag: &str) -> bool {
    tag.split(['-', '.', '_']).any(|w| {
        let w = w.to_ascii_lowercase();
        w == "windowsservercore" || w == "nanoserver" || w == "windows" || w.starts_with("ltsc")
    })
}

/// What [`walk`] collected while writing the runtime stage's body.
pub struct Walked {
    pub lines: Vec<String>,
    /// Commands the runtime stage runs (for the slim image's missing tools).
    pub uses: Vec<(usize, String)>,
    /// Packages the runtime stage installs itself.
    pub installed: Vec<String>,
}

/// Writes the runtime stage's body for a build whose result is a few files (a binary, a jar): every
/// instruction is replayed (COPY from the context too, since the program may read those files), build
/// commands (`Class::Drop` from `classify`) are left to the builder, and `artifacts` (source path in
/// the builder, destination path) are copied right after the last RUN that builds.
pub fn walk(
    s: &Split,
    lang: &str,
    classify: &mut dyn FnMut(usize, &Instruction, &SimpleCommand) -> Result<Class, Refusal>,
    artifacts: &[(String, String)],
) -> Result<Walked, Refusal> {
    let doc = s.doc;
    // First: the class of every command, and the last RUN that builds.
    let mut runs: Vec<(usize, Vec<Class>)> = Vec::new();
    let mut last_build = None;
    let mut user: Option<String> = None;
    for (idx, inst) in s.body() {
        if inst.kind == Kind::User {
            let v = inst.text_arg().map(|t| t.value.clone()).unwrap_or_default();
            user = (!is_root(&v)).then_some(v);
        }
        let Some(script) = inst.run_script() else {
            continue;
        };
        let mut classes = Vec::new();
        for cmd in &script.commands {
            let c = match classify_common(cmd) {
                // `chmod +x mvnw`: about a build input, which the runtime stage does not get.
                Some(Class::Replay)
                    if effective_words(cmd)[1..]
                        .iter()
                        .any(|w| DATA.is_build_input(lang, &w.value)) =>
                {
                    Class::Drop
                }
                Some(c) => c,
                None => {
                    let c = classify(idx, inst, cmd)?;
                    if c == Class::Drop {
                        if let Some(u) = &user {
                            return Err(Refusal::at(
                                inst.keyword.start,
                                format!(
                                    "line {}: the build runs as USER {u}: the copied files' owner would change",
                                    doc.line(inst.keyword.start)
                                ),
                            ));
                        }
                        last_build = Some(idx);
                    }
                    c
                }
            };
            classes.push(c);
        }
        runs.push((idx, classes));
    }
    let Some(last_build) = last_build else {
        return Err(Refusal::at(
            s.from().keyword.start,
            "the stage runs no build: nothing for a builder stage to do",
        ));
    };
    let mut w = Walked {
        lines: Vec::new(),
        uses: Vec::new(),
        installed: Vec::new(),
    };
    let mut runs = runs.into_iter();
    for (idx, inst) in s.body() {
        let at = inst.keyword.start;
        match inst.kind {
            Kind::Run => {
                let (_, classes) = runs.next().expect("one entry per RUN");
                let script = inst.run_script().expect("checked: shell-form RUN");
                for (cmd, class) in script.commands.iter().zip(&classes) {
                    if *class == Class::Replay
                        && let Some(first) = effective_words(cmd).first()
                    {
                        w.uses.push((at, basename(&first.value).to_string()));
                    }
                    if let Class::AptInstall { pkgs, .. } = class {
                        w.installed
                            .extend(pkgs.iter().map(|p| package_name(p).to_string()));
                    }
                }
                if let Some(run) = runtime_run(doc, inst, &classes, false)? {
                    w.lines.push(run);
                }
                if idx == last_build {
                    for (src, dst) in artifacts {
                        w.lines
                            .push(format!("COPY --from={} {src} {dst}", s.builder));
                    }
                }
            }
            Kind::Copy | Kind::Add if only_build_inputs(inst, lang) => {}
            Kind::Copy | Kind::Add => w.lines.push(verbatim(doc, inst)),
            k if super::is_kept(k) => {
                if matches!(k, Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck) {
                    for c in commands_run(inst) {
                        w.uses.push((at, c));
                    }
                }
                w.lines.push(verbatim(doc, inst));
            }
            _ => {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {}: {} is not handled",
                        doc.line(at),
                        inst.kind.as_str()
                    ),
                ));
            }
        }
    }
    Ok(w)
}

/// The words of the command the container starts with: ENTRYPOINT's then CMD's (the last of each),
/// exec form or the first command of the shell form; with the instruction's index.
pub fn start_command(s: &Split) -> Option<(usize, Vec<String>)> {
    let doc = s.doc;
    let words_of = |form: &CommandForm| -> Vec<String> {
        match form {
            CommandForm::Exec { args, .. } => args.iter().map(|a| a.value.clone()).collect(),
            CommandForm::Shell { script, .. } => script
                .commands
                .first()
                .map(|c| effective_words(c).iter().map(|w| w.value.clone()).collect())
                .unwrap_or_default(),
        }
    };
    let mut entry: Option<(usize, Vec<String>)> = None;
    let mut cmd: Option<(usize, Vec<String>)> = None;
    for (idx, inst) in doc.stage_body(0) {
        match &inst.detail {
            Detail::Entrypoint(f) => entry = Some((idx, words_of(f))),
            Detail::Cmd(f) => cmd = Some((idx, words_of(f))),
            _ => {}
        }
    }
    match (entry, cmd) {
        (Some((i, mut e)), Some((_, c))) if !e.is_empty() => {
            e.extend(c);
            Some((i, e))
        }
        (Some(e), _) if !e.1.is_empty() => Some(e),
        (_, c) => c,
    }
}

/// An absolute container path for `p` as seen by instruction `idx` (relative to its WORKDIR).
pub fn absolute(doc: &Document, idx: usize, p: &str) -> Option<String> {
    if p.contains('$') || p.contains('*') || p.is_empty() {
        return None;
    }
    if p.starts_with('/') {
        return Some(crate::model::normalize_path(p));
    }
    let wd = doc.workdir_before(idx)?;
    Some(crate::model::normalize_path(&format!("{wd}/{p}")))
}

/// Whether a COPY copies only build inputs of `lang` (go.mod, pom.xml, src, ...).
pub fn only_build_inputs(inst: &Instruction, lang: &str) -> bool {
    let Detail::Copy { sources, .. } = &inst.detail else {
        return false;
    };
    !sources.is_empty()
        && sources.iter().all(|s| match s {
            crate::model::CopySource::Path(p) => DATA.is_build_input(lang, &p.value),
            crate::model::CopySource::HereDoc(_) => false,
        })
}
