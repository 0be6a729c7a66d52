//! Go: the builder runs the file's own `go build -o ...` (static with `CGO_ENABLED=0` when the project
//! provably has no cgo); the runtime image comes from the table and receives the binary.

use std::path::Path;

use super::common::{
    Class, Refusal, Split, classify_common, commands_run, is_root, lacked_packages, runtime_run,
    verbatim,
};
use super::data::DATA;
use super::is_kept;
use crate::edit;
use crate::fix::Edit;
use crate::images;
use crate::model::{Document, Instruction, Kind, env_pairs, normalize_path};
use crate::recognize::{basename, command_env, effective_words};
use crate::shell::SimpleCommand;

/// Profiles of `transforms/slim-lacks.yaml` that describe what debian slim lacks next to golang.
const LACKS: &[&str] = &["buildpack-deps", "debian-slim"];

pub fn plan(s: &Split) -> Result<(Vec<Edit>, Vec<String>, String), Refusal> {
    let doc = s.doc;
    let from = s.from();
    let (version, suite) = parse_tag(s)?;
    let mut body: Vec<String> = Vec::new();
    let mut uses: Vec<(usize, String)> = Vec::new();
    let mut installed: Vec<String> = Vec::new();
    let mut cgo_env: Option<String> = None;
    let mut builds: Vec<usize> = Vec::new(); // RUNs that run go build
    let mut apt_dev = false;
    let mut replays = false;
    let mut user: Option<String> = None;
    for (idx, inst) in s.body() {
        let at = inst.keyword.start;
        match inst.kind {
            Kind::Env | Kind::Arg => {
                if let Some(t) = inst.text_arg() {
                    for (k, v) in env_pairs(&t.value) {
                        if k == "CGO_ENABLED" {
                            cgo_env = Some(v.trim_matches('"').to_string());
                        }
                    }
                }
                body.push(verbatim(doc, inst));
            }
            Kind::User => {
                let v = inst.text_arg().map(|t| t.value.clone()).unwrap_or_default();
                user = (!is_root(&v)).then_some(v);
                body.push(verbatim(doc, inst));
            }
            // Files the program may read at run time come along; go.mod, go.sum and Go sources only
            // feed the build.
            Kind::Copy | Kind::Add if !super::common::only_build_inputs(inst, "go") => {
                body.push(verbatim(doc, inst))
            }
            Kind::Copy | Kind::Add => {}
            Kind::Run => {
                let script = inst.run_script().expect("checked: shell-form RUN");
                let mut classes = Vec::new();
                let mut outs: Vec<String> = Vec::new();
                let mut cd = false;
                for cmd in &script.commands {
                    let before = outs.len();
                    let class = match classify_common(cmd) {
                        Some(c) => c,
                        None => classify_go(doc, idx, inst, cmd, cd, &mut outs)?,
                    };
                    if outs.len() > before {
                        if !builds.contains(&idx) {
                            builds.push(idx);
                        }
                        if let Some(v) = command_env(cmd).find(|(k, _)| *k == "CGO_ENABLED") {
                            cgo_env = Some(v.1.to_string());
                        }
                    }
                    if let Some(w) = effective_words(cmd).first() {
                        if basename(&w.value) == "cd" {
                            cd = true;
                        }
                        if class == Class::Replay {
                            replays = true;
                            uses.push((at, basename(&w.value).to_string()));
                        }
                    }
                    if let Class::AptInstall { pkgs, .. } = &class {
                        apt_dev |= pkgs.iter().any(|p| p.contains("-dev"));
                        installed.extend(
                            pkgs.iter()
                                .map(|p| super::common::package_name(p).to_string()),
                        );
                    }
                    classes.push(class);
                }
                if !outs.is_empty() && user.is_some() {
                    return Err(Refusal::at(
                        at,
                        format!(
                            "line {}: go build runs as a non-root USER: the binary's owner would change",
                            doc.line(at)
                        ),
                    ));
                }
                for o in &outs {
                    body.push(format!("COPY --from={} {o} {o}", s.builder));
                }
                if let Some(run) = runtime_run(doc, inst, &classes, false)? {
                    body.push(run);
                }
            }
            k if is_kept(k) => {
                if matches!(k, Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck) {
                    for c in commands_run(inst) {
                        if c == "go" {
                            return Err(Refusal::at(
                                at,
                                format!(
                                    "line {}: the container runs the go tool, which the runtime image lacks",
                                    doc.line(at)
                                ),
                            ));
                        }
                        uses.push((at, c));
                    }
                }
                body.push(verbatim(doc, inst));
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
    // Without a go build there is no binary to carry over.
    if builds.is_empty() {
        return Err(Refusal::at(
            from.keyword.start,
            "the stage runs no `go build -o`: nothing for a builder stage to do",
        ));
    }
    let static_already = cgo_env.as_deref() == Some("0");
    let pure = static_already || (cgo_env.is_none() && !apt_dev && pure_go(s.cx.context_dir));
    let runtime = if pure {
        DATA.go.runtime.clone()
    } else {
        let suite = suite
            .or_else(|| {
                let mm: Vec<&str> = version.split('.').take(2).collect();
                DATA.go.suites.get(&mm.join(".")).cloned()
            })
            .ok_or_else(|| {
                Refusal::at(
                    from.keyword.start,
                    format!(
                        "the build may use cgo and the Debian release of {} is unknown: the runtime must be the same release",
                        s.image
                    ),
                )
            })?;
        format!("debian:{suite}-slim")
    };
    // A runtime without a shell runs only exec-form commands and nothing else.
    if runtime.contains("distroless") {
        let shell_form = s.body().any(|(_, i)| {
            matches!(i.kind, Kind::Cmd | Kind::Entrypoint)
                && !matches!(
                    &i.detail,
                    crate::model::Detail::Cmd(crate::model::CommandForm::Exec { .. })
                        | crate::model::Detail::Entrypoint(crate::model::CommandForm::Exec { .. })
                )
        });
        if shell_form || replays || !installed.is_empty() {
            return Err(Refusal::at(
                from.keyword.start,
                format!(
                    "{runtime} has no shell: the stage needs exec-form CMD/ENTRYPOINT and no RUN"
                ),
            ));
        }
    }
    let mut lines = vec![format!("FROM {runtime}")];
    let lacked: Vec<String> = lacked_packages(
        &LACKS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        &uses,
        doc,
    )?
    .into_iter()
    .filter(|p| !installed.contains(p))
    .collect();
    if !lacked.is_empty() {
        lines.push(format!(
            "RUN {}",
            super::common::apt_line(&[], &["--no-install-recommends".to_string()], &lacked)
        ));
    }
    for f in &DATA.go.copy_from_builder {
        lines.push(format!("COPY --from={} {f} {f}", s.builder));
    }
    lines.extend(body);
    let mut edits = Vec::new();
    if pure && !static_already {
        for idx in &builds {
            let inst = &doc.instructions[*idx];
            let script = inst.run_script().expect("shell-form RUN");
            for cmd in &script.commands {
                let w = effective_words(cmd);
                if w.first().is_some_and(|f| basename(&f.value) == "go")
                    && w.get(1).is_some_and(|x| x.value == "build")
                {
                    edits.push(edit::insert_before_word(&w[0], "CGO_ENABLED=0"));
                }
            }
        }
    }
    let message = format!(
        "split into a builder ({}) and a runtime stage ({runtime}) that receives the binary{}",
        s.image,
        if pure && !static_already {
            "; go build runs with CGO_ENABLED=0 (the project has no cgo)"
        } else if pure {
            ""
        } else {
            "; cgo kept, on the same Debian release"
        }
    );
    Ok((edits, lines, message))
}

/// The golang tag's version and Debian suite (if the tag names one). Other tags (alpine, windows) are
/// refused.
fn parse_tag(s: &Split) -> Result<(String, Option<String>), Refusal> {
    let at = s.from().keyword.start;
    let bad = || {
        Refusal::at(
            at,
            format!(
                "`{}`: only Debian-based golang tags (`1.22`, `1.22-bookworm`) are split",
                s.image
            ),
        )
    };
    let r = images::parse_ref(&s.image).ok_or_else(bad)?;
    let tag = r.tag.unwrap_or("latest");
    if tag == "latest" {
        return Ok((String::new(), None));
    }
    let (version, suite) = match tag.split_once('-') {
        Some((v, su)) => (v, Some(su)),
        None => (tag, None),
    };
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    if let Some(su) = suite
        && !matches!(su, "bookworm" | "bullseye" | "buster" | "trixie")
    {
        return Err(bad());
    }
    Ok((version.to_string(), suite.map(str::to_string)))
}

fn classify_go(
    doc: &Document,
    idx: usize,
    inst: &Instruction,
    cmd: &SimpleCommand,
    cd: bool,
    outs: &mut Vec<String>,
) -> Result<Class, Refusal> {
    let at = inst.keyword.start;
    let line = doc.line(at);
    let words = effective_words(cmd);
    let Some(first) = words.first() else {
        return Ok(Class::Replay);
    };
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
    if basename(&first.value) != "go" {
        return Err(unknown());
    }
    match sub {
        "build" => {
            let args = &words[2..];
            let out = args.iter().enumerate().find_map(|(i, w)| {
                if w.value == "-o" {
                    args.get(i + 1).map(|x| x.value.clone())
                } else {
                    w.value.strip_prefix("-o=").map(str::to_string)
                }
            });
            let Some(out) = out else {
                return Err(Refusal::at(
                    at,
                    format!("line {line}: go build without -o: the binary's path is not known"),
                ));
            };
            if out.contains('$') || out.ends_with('/') || out == "." || out.is_empty() {
                return Err(Refusal::at(
                    at,
                    format!("line {line}: go build -o {out}: the binary's path is not known"),
                ));
            }
            let path = if out.starts_with('/') {
                normalize_path(&out)
            } else {
                let wd = doc.workdir_before(idx).filter(|_| !cd).ok_or_else(|| {
                    Refusal::at(
                        at,
                        format!(
                            "line {line}: go build -o {out}: the working directory is not known"
                        ),
                    )
                })?;
                normalize_path(&format!("{wd}/{out}"))
            };
            outs.push(path);
            Ok(Class::Drop)
        }
        "mod" | "get" | "generate" | "vet" | "test" | "version" | "env" | "clean" => {
            Ok(Class::Drop)
        }
        "install" => Err(Refusal::at(
            at,
            format!("line {line}: go install puts binaries where dockopt does not follow them"),
        )),
        _ => Err(unknown()),
    }
}

/// Whether the project in the build context provably uses no cgo: a go.mod that requires no module
/// known to need cgo, and no `import "C"` in any .go file.
fn pure_go(dir: Option<&Path>) -> bool {
    let Some(dir) = dir else { return false };
    let Ok(gomod) = std::fs::read_to_string(dir.join("go.mod")) else {
        return false;
    };
    if DATA
        .go
        .cgo_modules
        .iter()
        .any(|m| gomod.contains(m.as_str()))
    {
        return false;
    }
    let mut seen = 0usize;
    for entry in ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(false)
        .build()
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "go") {
            seen += 1;
            // Too large a tree to read: not proven.
            if seen > 5000 {
                return false;
            }
            let Ok(text) = std::fs::read_to_string(p) else {
                return false;
            };
            if text.contains("import \"C\"") || text.contains("\t\"C\"\n") {
                return false;
            }
        }
    }
    true
}
