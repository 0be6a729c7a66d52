//! Node (npm): the builder runs the file's install and build scripts, then prunes devDependencies; the
//! runtime is the slim variant of the same tag and copies the application directory from the builder.

use super::common::{
    Class, Refusal, Split, classify_common, commands_run, is_root, lacked_packages, runtime_run,
    verbatim,
};
use super::data::DATA;
use super::is_kept;
use crate::edit;
use crate::fix::Edit;
use crate::images::{self, SlimMapping};
use crate::model::{CopySource, Detail, Document, Instruction, Kind, normalize_path};
use crate::recognize::{basename, effective_words};
use crate::shell::SimpleCommand;

pub fn plan(s: &Split) -> Result<(Vec<Edit>, Vec<String>, String), Refusal> {
    let doc = s.doc;
    let from = s.from();
    let m = runtime_image(s)?;
    // First pass: the RUNs that build, and the last one (the application directory is complete after it).
    let mut classes_of: Vec<(usize, Vec<Class>, bool)> = Vec::new();
    let mut user: Option<String> = None;
    let mut build_user: Option<Option<String>> = None;
    let mut workdir: Option<String> = None;
    for (idx, inst) in s.body() {
        let at = inst.keyword.start;
        if inst.kind == Kind::User {
            let v = inst.text_arg().map(|t| t.value.clone()).unwrap_or_default();
            user = (!is_root(&v)).then_some(v);
        }
        let Some(script) = inst.run_script() else {
            continue;
        };
        let mut classes = Vec::new();
        let mut builds = false;
        for cmd in &script.commands {
            let class = match classify_common(cmd) {
                Some(c) => c,
                None => {
                    let c = classify_node(doc, inst, cmd)?;
                    builds |= c == Class::Drop;
                    c
                }
            };
            classes.push(class);
        }
        if builds {
            // Every build runs in one known application directory, as one user.
            let wd = doc.workdir_before(idx).ok_or_else(|| {
                Refusal::at(
                    at,
                    format!(
                        "line {}: npm runs in a working directory dockopt cannot tell (no WORKDIR, or one with a variable)",
                        doc.line(at)
                    ),
                )
            })?;
            if wd == "/" || workdir.as_ref().is_some_and(|w| *w != wd) {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {}: npm runs in {wd}: the application directory must be one WORKDIR other than /",
                        doc.line(at)
                    ),
                ));
            }
            workdir = Some(wd);
            if build_user.as_ref().is_some_and(|u| *u != user) {
                return Err(Refusal::at(
                    at,
                    format!("line {}: npm runs as different users", doc.line(at)),
                ));
            }
            build_user = Some(user.clone());
            if script
                .commands
                .iter()
                .any(|c| effective_words(c).first().is_some_and(|w| w.value == "cd"))
            {
                return Err(Refusal::at(
                    at,
                    format!(
                        "line {}: the RUN changes directory (cd) around npm",
                        doc.line(at)
                    ),
                ));
            }
        }
        classes_of.push((idx, classes, builds));
    }
    let Some(last_build) = classes_of.iter().rev().find(|c| c.2).map(|c| c.0) else {
        return Err(Refusal::at(
            from.keyword.start,
            "the stage runs no npm install or build: nothing for a builder stage to do",
        ));
    };
    let wd = workdir.expect("set with the builds");
    let owner = build_user.flatten();
    // Second pass: the runtime stage.
    let mut lines = vec![format!("FROM {}", m.reference)];
    let mut uses: Vec<(usize, String)> = Vec::new();
    let mut installed: Vec<String> = Vec::new();
    let mut chown: Option<Option<String>> = None;
    let mut runs = classes_of.into_iter();
    for (idx, inst) in s.body() {
        let at = inst.keyword.start;
        match inst.kind {
            Kind::Copy | Kind::Add => {
                if idx < last_build && copies_into(doc, idx, inst, &wd) {
                    // In the application directory that the runtime copies whole from the builder.
                    let c = inst
                        .flag("chown")
                        .and_then(|f| f.value.as_ref())
                        .map(|v| v.value.clone());
                    if inst.flag("chmod").is_some() || chown.as_ref().is_some_and(|x| *x != c) {
                        return Err(Refusal::at(
                            at,
                            format!(
                                "line {}: files of the application directory have different owners or modes",
                                doc.line(at)
                            ),
                        ));
                    }
                    chown = Some(c);
                } else {
                    lines.push(verbatim(doc, inst));
                }
            }
            Kind::Run => {
                let (_, classes, builds) = runs.next().expect("one entry per RUN");
                for (cmd, class) in inst
                    .run_script()
                    .map(|s| s.commands.as_slice())
                    .unwrap_or(&[])
                    .iter()
                    .zip(&classes)
                {
                    if *class == Class::Replay
                        && let Some(w) = effective_words(cmd).first()
                    {
                        uses.push((at, basename(&w.value).to_string()));
                    }
                    if let Class::AptInstall { pkgs, .. } = class {
                        installed.extend(
                            pkgs.iter()
                                .map(|p| super::common::package_name(p).to_string()),
                        );
                    }
                }
                if let Some(run) = runtime_run(doc, inst, &classes, false)? {
                    lines.push(run);
                }
                if builds && idx == last_build {
                    let c = chown.clone().flatten();
                    // Files npm wrote belong to the build's user; copied files must agree.
                    let flag = match (&owner, &c) {
                        (None, None) => String::new(),
                        (Some(u), Some(c)) if c.split(':').next() == u.split(':').next() => {
                            format!(" --chown={c}")
                        }
                        (Some(u), None) => format!(" --chown={u}"),
                        _ => {
                            return Err(Refusal::at(
                                at,
                                format!(
                                    "line {}: the application's files and npm's output have different owners",
                                    doc.line(at)
                                ),
                            ));
                        }
                    };
                    lines.push(format!("COPY --from={}{flag} {wd} {wd}", s.builder));
                }
            }
            k if is_kept(k) => {
                if matches!(k, Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck) {
                    check_start(s, inst)?;
                    for c in commands_run(inst) {
                        uses.push((at, c));
                    }
                }
                lines.push(verbatim(doc, inst));
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
    let lacked: Vec<String> = lacked_packages(&m.lacks, &uses, doc)?
        .into_iter()
        .filter(|p| !installed.contains(p) && !m.variant_has.contains(p))
        .collect();
    if !lacked.is_empty() {
        lines.insert(
            1,
            format!(
                "RUN {}",
                super::common::apt_line(&[], &["--no-install-recommends".to_string()], &lacked)
            ),
        );
    }
    let last = &doc.instructions[last_build];
    let major: Option<u32> = m.tag.split(['.', '-']).next().and_then(|v| v.parse().ok());
    let prune = if major.is_some_and(|v| v < DATA.node.legacy_below) {
        &DATA.node.prune_legacy
    } else {
        &DATA.node.prune
    };
    let builder_edit = edit::insert_lines_after(doc, last, &format!("RUN {prune}"));
    let message = format!(
        "split into a builder ({}) that installs, builds and prunes devDependencies, and a runtime stage ({}) that copies {wd}",
        s.image, m.reference
    );
    Ok((vec![builder_edit], lines, message))
}

fn runtime_image(s: &Split) -> Result<SlimMapping, Refusal> {
    let at = s.from().keyword.start;
    let m = images::slim_variant(&s.image)
        .ok_or_else(|| Refusal::at(at, super::common::no_slim_reason(&s.image)))?;
    if m.libc != m.variant_libc || m.os != m.variant_os || m.variant_image != "node" {
        return Err(Refusal::at(
            at,
            format!(
                "the slim variant {} is a different distribution or libc than {}: native modules would break",
                m.reference, s.image
            ),
        ));
    }
    Ok(m)
}

/// Whether a COPY/ADD writes into the application directory `wd`.
fn copies_into(doc: &Document, idx: usize, inst: &Instruction, wd: &str) -> bool {
    let Detail::Copy { dest, sources } = &inst.detail else {
        return false;
    };
    if sources.iter().any(|s| matches!(s, CopySource::HereDoc(_))) {
        return false;
    }
    let d = dest.value.trim();
    if d.contains('$') {
        return false;
    }
    let abs = if d.starts_with('/') {
        normalize_path(d)
    } else {
        match doc.workdir_before(idx) {
            Some(w) => normalize_path(&format!("{w}/{d}")),
            None => return false,
        }
    };
    abs == wd || abs.starts_with(&format!("{wd}/"))
}

fn classify_node(
    doc: &Document,
    inst: &Instruction,
    cmd: &SimpleCommand,
) -> Result<Class, Refusal> {
    let at = inst.keyword.start;
    let line = doc.line(at);
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return Ok(Class::Replay);
    };
    let name = basename(&first.value);
    let sub = words.get(1).map(|w| w.value.as_str()).unwrap_or("");
    let unknown = || {
        let v: Vec<&str> = words.iter().take(3).map(|w| w.value.as_str()).collect();
        Refusal::at(
            at,
            format!(
                "line {line} runs `{}`, which may produce files the runtime needs; dockopt cannot prove it can be replayed in the runtime stage",
                v.join(" ")
            ),
        )
    };
    if name != "npm" && DATA.node.installers.iter().any(|i| i == name) {
        return Err(Refusal::at(
            at,
            format!("line {line}: {name} builds: not supported yet (npm only)"),
        ));
    }
    if name != "npm" {
        return Err(unknown());
    }
    if words
        .iter()
        .any(|w| matches!(w.value.as_str(), "-g" | "--global" | "--location=global"))
    {
        return Err(Refusal::at(
            at,
            format!("line {line}: `npm {sub} -g` installs outside the application directory"),
        ));
    }
    match sub {
        "ci" | "install" | "i" | "run" | "run-script" | "prune" | "rebuild" => Ok(Class::Drop),
        "config" | "cache" | "test" | "t" | "audit" | "--version" | "-v" => Ok(Class::Drop),
        _ => Err(unknown()),
    }
}

/// `npm start` / `npm run X` at start: the script must not need a devDependency.
fn check_start(s: &Split, inst: &Instruction) -> Result<(), Refusal> {
    let doc = s.doc;
    let at = inst.keyword.start;
    let words: Vec<String> = match &inst.detail {
        Detail::Cmd(f) | Detail::Entrypoint(f) | Detail::Healthcheck(Some(f)) => match f {
            crate::model::CommandForm::Exec { args, .. } => {
                args.iter().map(|a| a.value.clone()).collect()
            }
            crate::model::CommandForm::Shell { script, .. } => script
                .commands
                .first()
                .map(|c| effective_words(c).iter().map(|w| w.value.clone()).collect())
                .unwrap_or_default(),
        },
        _ => return Ok(()),
    };
    let Some(first) = words.first() else {
        return Ok(());
    };
    if basename(first) != "npm" {
        return Ok(());
    }
    let script = match words.get(1).map(String::as_str) {
        Some("start") => "start".to_string(),
        Some("run") | Some("run-script") => match words.get(2) {
            Some(w) => w.clone(),
            None => return Ok(()),
        },
        Some(other) => {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: the container runs `npm {other}` when it starts",
                    doc.line(at)
                ),
            ));
        }
        None => return Ok(()),
    };
    let unreadable = || {
        Refusal::at(
            at,
            format!(
                "line {}: the container runs `npm {}` and package.json cannot be read to check that the script needs no devDependency",
                doc.line(at),
                if script == "start" {
                    "start".to_string()
                } else {
                    format!("run {script}")
                }
            ),
        )
    };
    let text = s.context_file("package.json").ok_or_else(unreadable)?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
    let cmdline = json["scripts"][&script].as_str().map(str::to_string);
    let cmdline = match cmdline {
        Some(c) => c,
        None if script == "start" => "node server.js".to_string(),
        None => return Err(unreadable()),
    };
    let dev: Vec<String> = json["devDependencies"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    for w in cmdline.split(|c: char| c.is_whitespace() || c == '&' || c == ';' || c == '|') {
        let bin = match w {
            "tsc" => "typescript",
            "ts-node-dev" | "tsnd" => "ts-node-dev",
            "next" | "nest" | "nodemon" | "ts-node" | "tsx" | "vite" => w,
            _ => w,
        };
        if dev
            .iter()
            .any(|d| d == bin || bin.starts_with(&format!("{d}/")))
        {
            return Err(Refusal::at(
                at,
                format!(
                    "line {}: the start script `{cmdline}` uses the devDependency {bin}, which the runtime stage prunes",
                    doc.line(at)
                ),
            ));
        }
    }
    Ok(())
}
