//! What a stage uses: every command it runs (in RUN, CMD, ENTRYPOINT, HEALTHCHECK, heredoc bodies,
//! `sh -c` strings, `$(...)` substitutions and shell scripts it runs from the build context), the
//! Debian packages it installs itself, the pip requirements it installs (requirements files are read
//! from the build context), and the bash and locale use that matters for alpine. The pass decides
//! from these facts; this module only collects them.

use std::path::{Path, PathBuf};

use crate::model::{CommandForm, Detail, Document, Kind, Spanned, env_pairs};
use crate::passes::{PassContext, context_files};
use crate::recognize::{self, basename};
use crate::shell::{self, Mode, SimpleCommand, Word};

use super::data::{LACKS, normalize_pip};

mod constraints;
mod python;

/// How deep nested scripts, `sh -c` strings and substitutions are followed.
const MAX_DEPTH: usize = 4;

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// At build time (RUN).
    Build,
    /// In the running container (CMD, ENTRYPOINT, HEALTHCHECK).
    Runtime,
}

/// A command the stage runs: its name (`curl`, or `./configure` as written), where, and when.
#[derive(Debug, Clone)]
pub struct Use {
    pub name: String,
    pub at: usize,
    pub ctx: Ctx,
}

/// One pip requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Req {
    /// A named requirement; `pinned` when it has `==`, `===`, `~=` or an upper bound.
    Named { name: String, pinned: bool },
    /// A `git+` requirement; `ssh` when it goes over ssh.
    Git { ssh: bool },
    /// Anything else that is not a plain name: a URL, a local path, another VCS, a `$VAR`.
    Other(String),
}

/// Everything the pass needs to know about one stage. Every `at` is a byte offset in the document
/// (the command's first word, or the RUN that runs the script it came from).
#[derive(Debug, Default)]
pub struct Facts {
    pub uses: Vec<Use>,
    /// Debian packages installed by `apt-get install` / `apt install`.
    pub apt_installs: Vec<(String, usize)>,
    /// First use of apt-get, apt or dpkg.
    pub apt_used: Option<usize>,
    /// First `apt-get update` (so the stage reaches the Debian mirrors itself).
    pub apt_update: Option<usize>,
    /// Other package managers (`microdnf`, `yum`, `dnf`, `rpm`, `apk`).
    pub other_pm: Option<(String, usize)>,
    pub pip: Vec<(Req, usize)>,
    /// Requirements from pip constraint files (`-c`, `PIP_CONSTRAINT`): they pin what is installed.
    pub constraints: Vec<(Req, usize)>,
    /// `pip install --no-binary ...`: source builds.
    pub no_binary: Option<usize>,
    /// `PIP_NO_BINARY` set (ENV, ARG, `export`, a prefix) to anything but `:none:`: every later
    /// `pip install` builds from source like `--no-binary`.
    pub no_binary_env: Option<usize>,
    /// `python setup.py build|install|...`.
    pub setup_py: Option<usize>,
    /// `dpkg -i`.
    pub dpkg_install: Option<usize>,
    /// Builders from the table: index into `LACKS.builders`, where, and whether its `unless_env`
    /// is satisfied.
    pub builders: Vec<(usize, usize, bool)>,
    /// RUN commands that are neither safe, nor lacking, nor builders.
    pub unknown: Vec<(String, usize)>,
    /// Scripts or requirements files that could not be read from the build context.
    pub unreadable: Vec<(String, usize)>,
    /// Paths the variant may drop, mentioned by a command.
    pub paths: Vec<(String, usize)>,
    /// bash use (for alpine), with what shows it.
    pub bash: Option<(String, usize)>,
    /// Locale setup (for alpine).
    pub locale: Option<(String, usize)>,
    /// First ONBUILD: the image is a base for other builds, which run more on it.
    pub onbuild: Option<usize>,
}

impl Facts {
    /// Whether the stage installs `pkg` with apt at or before `at`.
    pub fn installed_before(&self, pkg: &str, at: usize) -> bool {
        self.apt_installs.iter().any(|(p, a)| p == pkg && *a <= at)
    }

    /// Whether the stage installs a C compiler at or before `at`.
    pub fn compiler_before(&self, at: usize) -> bool {
        LACKS.compilers.iter().any(|c| self.installed_before(c, at))
    }
}

/// Collects the facts of stage `stage`.
pub fn scan_stage(doc: &Document, cx: &PassContext, stage: usize) -> Facts {
    let mut s = Scanner {
        doc,
        cx,
        stage,
        facts: Facts::default(),
        depth: 0,
        idx: 0,
    };
    s.run();
    s.facts
}

struct Scanner<'a> {
    doc: &'a Document,
    cx: &'a PassContext<'a>,
    stage: usize,
    facts: Facts,
    depth: usize,
    /// The instruction being scanned (for WORKDIR and ENV lookups).
    idx: usize,
}

fn exec_command(args: &[Spanned]) -> SimpleCommand {
    let words: Vec<Word> = args
        .iter()
        .map(|a| Word {
            range: a.range.clone(),
            value: a.value.clone(),
            quoted: true,
            dynamic: false,
        })
        .collect();
    let range = match (words.first(), words.last()) {
        (Some(f), Some(l)) => f.range.start..l.range.end,
        _ => 0..0,
    };
    SimpleCommand {
        assigns: Vec::new(),
        words,
        redirects: Vec::new(),
        range,
        before: None,
        after: None,
    }
}

fn is_shell(name: &str) -> bool {
    matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh")
}

impl Scanner<'_> {
    fn run(&mut self) {
        let doc = self.doc;
        for (idx, inst) in doc.stage_body(self.stage) {
            self.idx = idx;
            let ctx = match inst.kind {
                Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck => Ctx::Runtime,
                _ => Ctx::Build,
            };
            if inst.kind == Kind::Onbuild {
                self.facts.onbuild.get_or_insert(inst.keyword.start);
            }
            if self.facts.no_binary_env.is_none()
                && sets_pip_no_binary(&doc.text[inst.extent.clone()])
            {
                self.facts.no_binary_env = Some(inst.keyword.start);
            }
            match &inst.detail {
                Detail::Run { command, heredocs } => {
                    self.mentions(&doc.text[inst.extent.clone()], inst.keyword.start);
                    let mut body_is_shell = true;
                    let mut body_is_python = false;
                    match command {
                        CommandForm::Shell { script, .. } => {
                            if let Some(first) =
                                script.commands.iter().find(|c| !c.words.is_empty())
                                && !heredocs.is_empty()
                            {
                                let name = basename(&first.words[0].value);
                                body_is_shell = is_shell(name);
                                body_is_python = recognize::is_python(name);
                            }
                            for c in &script.commands {
                                self.command(c, None, ctx);
                            }
                        }
                        CommandForm::Exec { args, .. } => {
                            body_is_shell = false;
                            self.command(&exec_command(args), None, ctx);
                        }
                    }
                    for h in heredocs {
                        if body_is_python && ctx == Ctx::Build {
                            // `RUN python3 <<EOF`: the body is Python code.
                            let body = doc.text[h.body.clone()].to_string();
                            self.python_code(&body, None, inst.keyword.start, ctx);
                        }
                        if !body_is_shell {
                            continue;
                        }
                        let body = &doc.text[h.body.clone()];
                        self.shebang(body, h.body.start);
                        let script = shell::parse(&doc.text, h.body.clone(), Mode::Plain);
                        for c in &script.commands {
                            self.command(c, None, ctx);
                        }
                    }
                }
                Detail::Cmd(form) | Detail::Entrypoint(form) | Detail::Healthcheck(Some(form)) => {
                    self.mentions(&doc.text[inst.extent.clone()], inst.keyword.start);
                    match form {
                        CommandForm::Shell { script, .. } => {
                            for c in &script.commands {
                                self.command(c, None, ctx);
                            }
                        }
                        CommandForm::Exec { args, .. } => {
                            self.command(&exec_command(args), None, ctx);
                        }
                    }
                }
                Detail::List(args) if inst.kind == Kind::Shell => {
                    if let Some(first) = args.first()
                        && basename(&first.value) == "bash"
                    {
                        self.bash(
                            format!("SHELL [\"{}\", ...]", first.value),
                            inst.keyword.start,
                        );
                    }
                }
                Detail::Text(t) if inst.kind == Kind::Env => {
                    for (k, v) in env_pairs(&t.value) {
                        if matches!(k.as_str(), "LANG" | "LC_ALL" | "LANGUAGE")
                            && !matches!(v.as_str(), "" | "C" | "C.UTF-8" | "C.utf8" | "POSIX")
                        {
                            self.locale(format!("ENV {k}={v}"), inst.keyword.start);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn bash(&mut self, what: String, at: usize) {
        if self.facts.bash.is_none() {
            self.facts.bash = Some((what, at));
        }
    }

    fn locale(&mut self, what: String, at: usize) {
        if self.facts.locale.is_none() {
            self.facts.locale = Some((what, at));
        }
    }

    /// Records paths the variants drop that `text` mentions.
    fn mentions(&mut self, text: &str, at: usize) {
        for p in LACKS.profiles.values().flat_map(|p| &p.paths) {
            if text.contains(p.as_str()) && !self.facts.paths.iter().any(|(q, _)| q == p) {
                self.facts.paths.push((p.clone(), at));
            }
        }
    }

    fn shebang(&mut self, body: &str, at: usize) {
        let first = body.lines().next().unwrap_or("");
        if first.starts_with("#!")
            && (first.contains("/bash") || first.split_whitespace().any(|w| w == "bash"))
        {
            self.bash(first.trim().to_string(), at);
        }
    }

    /// Scans shell text that is not in the document (a `sh -c` string, a substitution, a script).
    fn nested(&mut self, text: &str, at: usize, ctx: Ctx) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.mentions(text, at);
        let script = shell::parse(text, 0..text.len(), Mode::Plain);
        for c in &script.commands {
            self.command(c, Some(at), ctx);
        }
        self.depth -= 1;
    }

    /// The value of `var` for a command: a prefix assignment, an ENV, or an ARG default of the stage.
    fn env_value(&self, cmd: &SimpleCommand, var: &str) -> Option<String> {
        if let Some((_, v)) = recognize::command_env(cmd).find(|(k, _)| *k == var) {
            return Some(v.to_string());
        }
        if let Some(v) = self.doc.env_before(self.idx, var) {
            return Some(v);
        }
        self.doc
            .stage_body(self.stage)
            .take_while(|(i, _)| *i < self.idx)
            .filter(|(_, inst)| inst.kind == Kind::Arg)
            .filter_map(|(_, inst)| inst.text_arg())
            .flat_map(|t| env_pairs(&t.value))
            .filter(|(k, _)| k == var)
            .map(|(_, v)| v)
            .last()
    }

    fn command(&mut self, cmd: &SimpleCommand, at: Option<usize>, ctx: Ctx) {
        // Substitutions inside any word run commands too: `$(curl ...)`, `` `git describe` ``.
        for w in cmd.words.iter().chain(&cmd.assigns) {
            if w.dynamic {
                for inner in substitutions(&w.value) {
                    let a = at.unwrap_or(w.range.start);
                    self.nested(&inner, a, ctx);
                }
            }
        }
        self.dispatch(cmd, at, ctx);
    }

    /// Handles a runner (`timeout 600 CMD`, `nice -n 10 CMD`, `xargs CMD`, `su -c STRING`,
    /// `eval STRING`): the command it runs is scanned like any other. Returns `false` when `name`
    /// is not a runner.
    fn runner(&mut self, cmd: &SimpleCommand, words: &[Word], at: usize, ctx: Ctx) -> bool {
        let name = basename(&words[0].value);
        let args = &words[1..];
        let vals: Vec<&str> = args.iter().map(|w| w.value.as_str()).collect();
        match name {
            "eval" => {
                // `eval "pip install x"`: the joined arguments are a script.
                let text = vals.join(" ");
                self.nested(&text, at, ctx);
            }
            "su" | "runuser" => {
                // `su [user] -c STRING`: the string is a script; without one the shell reads its
                // commands from stdin, which cannot be seen.
                let mut i = 0;
                let mut script = None;
                while i < vals.len() {
                    let a = vals[i];
                    if matches!(a, "-c" | "--command" | "--session-command") {
                        script = vals.get(i + 1).map(|s| s.to_string());
                        break;
                    }
                    if let Some(v) = a
                        .strip_prefix("--command=")
                        .or_else(|| a.strip_prefix("--session-command="))
                    {
                        script = Some(v.to_string());
                        break;
                    }
                    if name == "runuser" && matches!(a, "-u" | "--user") {
                        // `runuser -u user [--] cmd args`
                        let mut j = i + 2;
                        if vals.get(j) == Some(&"--") {
                            j += 1;
                        }
                        self.inner(cmd, &words[1 + j.min(args.len())..], at, ctx, name);
                        return true;
                    }
                    i += if matches!(a, "-s" | "--shell" | "-g" | "--group" | "-G" | "-w") {
                        2
                    } else {
                        1
                    };
                }
                match script {
                    Some(text) => self.nested(&text, at, ctx),
                    None if ctx == Ctx::Build => self
                        .facts
                        .unknown
                        .push((format!("{name} (commands from stdin)"), at)),
                    None => {}
                }
            }
            "gosu" | "su-exec" => {
                // `gosu user cmd args`
                let rest = if args.is_empty() { args } else { &args[1..] };
                self.inner(cmd, rest, at, ctx, name);
            }
            "xargs" => {
                // The arguments come from a file or stdin that dockopt does not read: what the
                // command installs or builds is unknown.
                let with_value = ["-I", "-n", "-P", "-L", "-l", "-d", "-s", "-a", "-E", "-e"];
                let mut i = 0;
                while i < vals.len() && vals[i].starts_with('-') && vals[i] != "--" {
                    i += if with_value.contains(&vals[i]) { 2 } else { 1 };
                }
                if vals.get(i) == Some(&"--") {
                    i += 1;
                }
                let rest = &args[i.min(args.len())..];
                let inner_name = rest.first().map_or("echo", |w| basename(&w.value));
                if ctx == Ctx::Build {
                    self.facts.unknown.push((
                        format!("xargs {inner_name} (its arguments are read at build time)"),
                        at,
                    ));
                }
                if !rest.is_empty() {
                    self.inner(cmd, rest, at, ctx, name);
                }
            }
            "timeout" | "nice" | "ionice" | "stdbuf" | "chrt" | "time" | "setsid" | "taskset" => {
                let with_value: &[&str] = match name {
                    "timeout" => &["-s", "-k", "--signal", "--kill-after"],
                    "nice" => &["-n", "--adjustment"],
                    "ionice" => &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"],
                    "stdbuf" => &["-i", "-o", "-e", "--input", "--output", "--error"],
                    "chrt" => &[
                        "-T",
                        "-P",
                        "-D",
                        "--sched-runtime",
                        "--sched-period",
                        "--sched-deadline",
                    ],
                    "time" => &["-f", "-o", "--format", "--output"],
                    "taskset" => &["-c", "--cpu-list"],
                    _ => &[],
                };
                let mut i = 0;
                let mut cpu_list = false;
                while i < vals.len() && vals[i].starts_with('-') && vals[i] != "--" {
                    if matches!(vals[i], "-c" | "--cpu-list") {
                        cpu_list = true;
                    }
                    i += if with_value.contains(&vals[i]) { 2 } else { 1 };
                }
                if vals.get(i) == Some(&"--") {
                    i += 1;
                }
                // Positional arguments before the command: the duration, the priority, the mask.
                let positional = match name {
                    "timeout" => 1,
                    "chrt" => usize::from(
                        vals.get(i)
                            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit())),
                    ),
                    "taskset" => usize::from(!cpu_list),
                    _ => 0,
                };
                let rest = &args[(i + positional).min(args.len())..];
                self.inner(cmd, rest, at, ctx, name);
            }
            _ => return false,
        }
        true
    }

    /// Scans the command a runner runs (`words`), as a command of its own.
    fn inner(&mut self, cmd: &SimpleCommand, words: &[Word], at: usize, ctx: Ctx, runner: &str) {
        if words.is_empty() {
            return;
        }
        if self.depth >= MAX_DEPTH {
            if ctx == Ctx::Build {
                self.facts.unknown.push((runner.to_string(), at));
            }
            return;
        }
        let sub = SimpleCommand {
            words: words.to_vec(),
            ..cmd.clone()
        };
        self.depth += 1;
        self.dispatch(&sub, Some(at), ctx);
        self.depth -= 1;
    }

    fn dispatch(&mut self, cmd: &SimpleCommand, at: Option<usize>, ctx: Ctx) {
        let words = recognize::effective_words(cmd);
        let Some(first) = words.first() else { return };
        // Word ranges are in the document only for a command of the document itself.
        let top = at.is_none() && self.depth == 0;
        let at = at.unwrap_or(first.range.start);
        if first.dynamic {
            if ctx == Ctx::Build {
                self.facts.unknown.push((first.value.clone(), at));
            }
            return;
        }
        let written = first.value.as_str();
        let name = basename(written);
        let args: Vec<&str> = words[1..].iter().map(|w| w.value.as_str()).collect();

        // A command the lacking profiles name as written (`./configure`, `./mvnw`).
        let listed_as_written = LACKS
            .profiles
            .values()
            .any(|p| p.commands.contains_key(written));
        if listed_as_written {
            self.facts.uses.push(Use {
                name: written.to_string(),
                at,
                ctx,
            });
            return;
        }
        // A runner: the command it runs is what matters.
        if !first.dynamic && self.runner(cmd, words, at, ctx) {
            return;
        }
        // A script: `./run.sh`, `/entrypoint.sh`, `scripts/setup.sh` (a venv's `pip` or `python`
        // is that tool, recognised below).
        if is_script_path(written) && !(recognize::is_pip(written) || recognize::is_python(written))
        {
            self.script(written, at, ctx);
            return;
        }
        self.facts.uses.push(Use {
            name: name.to_string(),
            at,
            ctx,
        });

        if is_shell(name) {
            if name == "bash" {
                self.bash("runs bash".to_string(), at);
            }
            // `sh -c 'text'` or `sh script.sh`.
            let mut i = 0;
            while i < args.len() {
                let a = args[i];
                if a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.ends_with('c')) {
                    if let Some(text) = args.get(i + 1) {
                        let text = text.to_string();
                        self.nested(&text, at, ctx);
                    }
                    return;
                }
                if a == "-o" {
                    i += 2;
                    continue;
                }
                if !a.starts_with('-') && !a.starts_with('+') {
                    let a = a.to_string();
                    self.script(&a, at, ctx);
                    return;
                }
                i += 1;
            }
            // `curl ... | sh`: the shell runs a script that is not in the Dockerfile.
            if cmd.before.as_ref().is_some_and(|s| s.op == "|") && ctx == Ctx::Build {
                self.facts
                    .unknown
                    .push((format!("{name} (a script from a pipe)"), at));
            }
            return;
        }
        match name {
            "." | "source" => {
                if let Some(a) = args.first() {
                    let a = a.to_string();
                    self.script(&a, at, ctx);
                }
                return;
            }
            "apt-get" | "apt" | "aptitude" => {
                self.facts.apt_used.get_or_insert(at);
                let sub = args.iter().position(|a| !a.starts_with('-'));
                if let Some(s) = sub {
                    match args[s] {
                        "update" => {
                            self.facts.apt_update.get_or_insert(at);
                        }
                        "install" => {
                            for (k, p) in args[s + 1..].iter().enumerate() {
                                if p.starts_with('-') || p.contains('$') {
                                    continue;
                                }
                                // `-o Opt=x` takes a value.
                                if k > 0 && matches!(args[s + k], "-o" | "-t" | "-c") {
                                    continue;
                                }
                                let pkg = p.split(['=', ':', '/']).next().unwrap_or(p);
                                self.facts.apt_installs.push((pkg.to_string(), at));
                            }
                        }
                        _ => {}
                    }
                }
                return;
            }
            "dpkg" => {
                self.facts.apt_used.get_or_insert(at);
                if args.iter().any(|a| *a == "-i" || *a == "--install") {
                    self.facts.dpkg_install.get_or_insert(at);
                }
                return;
            }
            "dpkg-reconfigure" if args.contains(&"locales") => {
                self.locale("dpkg-reconfigure locales".to_string(), at);
                return;
            }
            "microdnf" | "yum" | "dnf" | "rpm" | "apk" | "zypper" => {
                if self.facts.other_pm.is_none() {
                    self.facts.other_pm = Some((name.to_string(), at));
                }
                return;
            }
            "find" => {
                self.inner_command(name, &args, at, ctx);
                return;
            }
            _ => {}
        }
        if LACKS.alpine.locale_commands.iter().any(|c| c == name) {
            self.locale(name.to_string(), at);
            return;
        }
        if let Some(call) = recognize::pip_call(cmd) {
            let sub = call.subcommand().value.as_str();
            if matches!(sub, "install" | "wheel") {
                // `PIP_NO_BINARY` from the environment is `--no-binary`.
                let env = self
                    .env_value(cmd, "PIP_NO_BINARY")
                    .is_some_and(|v| v != ":none:");
                if env || self.facts.no_binary_env.is_some() {
                    self.facts.no_binary.get_or_insert(at);
                }
                if let Some(v) = self.env_value(cmd, "PIP_CONSTRAINT") {
                    self.constraints_env(&v, at);
                }
                let args: Vec<String> = call.args[call.subcommand + 1..]
                    .iter()
                    .map(|w| {
                        if w.dynamic {
                            format!("${}", w.value.trim_start_matches('$'))
                        } else {
                            w.value.clone()
                        }
                    })
                    .collect();
                self.pip_args(&args, at);
            }
            return;
        }
        if recognize::is_python(written) {
            let script = args.iter().find(|a| !a.starts_with('-'));
            if let Some(s) = script
                && s.ends_with("setup.py")
                && args.iter().any(|a| {
                    matches!(
                        *a,
                        "build" | "build_ext" | "install" | "develop" | "bdist_wheel" | "bdist_egg"
                    )
                })
            {
                self.facts.setup_py.get_or_insert(at);
            }
            self.python_run(&args, at, ctx, self.python_stdin(cmd, top));
            return;
        }
        let sub = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .copied()
            .unwrap_or("");
        if let Some((bi, b)) = LACKS.builder(name, sub) {
            let satisfied = !b.unless_env.is_empty()
                && b.unless_env
                    .iter()
                    .all(|(k, v)| self.env_value(cmd, k).as_deref() == Some(v.as_str()));
            self.facts.builders.push((bi, at, satisfied));
            return;
        }
        let known = LACKS.is_safe(name)
            || recognize::is_pip(name)
            || LACKS
                .profiles
                .values()
                .any(|p| p.commands.contains_key(name))
            || LACKS.alpine.missing.contains_key(name);
        if !known && ctx == Ctx::Build {
            self.facts.unknown.push((name.to_string(), at));
        }
    }

    /// Where the code of a `python` with no script comes from: `Some("heredoc")` for a heredoc
    /// of the RUN (scanned with the RUN), a pipe or a redirect (unknown), `None` for none.
    fn python_stdin(&self, cmd: &SimpleCommand, top: bool) -> Option<&'static str> {
        if cmd.before.as_ref().is_some_and(|s| s.op == "|") {
            return Some("a pipe");
        }
        let first = cmd.redirects.iter().find(|r| {
            !top || {
                let t = self.doc.text.get((*r).clone()).unwrap_or("");
                t.trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with('<')
            }
        })?;
        let t = if top {
            self.doc.text.get(first.clone()).unwrap_or("")
        } else {
            ""
        };
        if t.trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with("<<")
            && !t.contains("<<<")
        {
            Some("heredoc")
        } else {
            Some("a redirect")
        }
    }

    /// The command run by `find -exec`.
    fn inner_command(&mut self, name: &str, args: &[&str], at: usize, ctx: Ctx) {
        let inner = args
            .iter()
            .position(|a| matches!(*a, "-exec" | "-execdir" | "-ok" | "-okdir"))
            .and_then(|p| args.get(p + 1));
        let _ = name;
        if let Some(cmd) = inner {
            let text = cmd.to_string();
            self.nested(&text, at, ctx);
        }
    }

    fn pip_args(&mut self, args: &[String], at: usize) {
        const WITH_VALUE: &[&str] = &[
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "--src",
            "--upgrade-strategy",
            "--progress-bar",
            "--platform",
            "--python-version",
            "--implementation",
            "--abi",
            "--trusted-host",
            "--global-option",
            "--install-option",
            "-C",
            "--config-settings",
            "--only-binary",
            "--report",
            "--log",
            "--log-file",
            "--cache-dir",
            "--python",
            "--exists-action",
            "--root-user-action",
            "--timeout",
            "--retries",
            "--proxy",
            "--cert",
            "--client-cert",
            "--keyring-provider",
            "--use-feature",
            "--use-deprecated",
            "--hash",
            "-w",
            "--wheel-dir",
            "--group",
        ];
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            let (opt, inline) = match a.split_once('=') {
                Some((o, v)) if o.starts_with("--") => (o, Some(v.to_string())),
                _ => (a, None),
            };
            let value = || inline.clone().or_else(|| args.get(i + 1).cloned());
            let step = if inline.is_some() { 1 } else { 2 };
            match opt {
                "-r" | "--requirement" => {
                    if let Some(f) = value() {
                        self.requirements_file(&f, at);
                    }
                    i += step;
                }
                "-c" | "--constraint" => {
                    if let Some(f) = value() {
                        self.constraints_file(&f, at);
                    }
                    i += step;
                }
                "-e" | "--editable" => {
                    if let Some(v) = value() {
                        self.facts.pip.push((parse_req(&v), at));
                    }
                    i += step;
                }
                "--no-binary" => {
                    if value().is_some_and(|v| v != ":none:") {
                        self.facts.no_binary.get_or_insert(at);
                    }
                    i += step;
                }
                o if WITH_VALUE.contains(&o) => i += step,
                o if o.starts_with('-') => {
                    // `-rreq.txt`
                    if let Some(f) = o
                        .strip_prefix("-r")
                        .filter(|f| !f.is_empty() && !o.starts_with("--"))
                    {
                        let f = f.to_string();
                        self.requirements_file(&f, at);
                    }
                    // `-cconstraints.txt`
                    if let Some(f) = o
                        .strip_prefix("-c")
                        .filter(|f| !f.is_empty() && !o.starts_with("--"))
                    {
                        let f = f.to_string();
                        self.constraints_file(&f, at);
                    }
                    i += 1;
                }
                _ => {
                    self.push_req(a, at);
                    i += 1;
                }
            }
        }
    }

    /// Records a requirement, and each of its extras that the table knows builds from source
    /// (`psycopg[c]`) as a requirement of its own.
    fn push_req(&mut self, raw: &str, at: usize) {
        let req = parse_req(raw);
        if let Req::Named { name, pinned } = &req {
            for extra in extras(raw) {
                let key = format!("{name}[{extra}]");
                if LACKS.pip.build.contains_key(&key) || LACKS.pip.refuse.contains_key(&key) {
                    self.facts.pip.push((
                        Req::Named {
                            name: key,
                            pinned: *pinned,
                        },
                        at,
                    ));
                }
            }
        }
        self.facts.pip.push((req, at));
    }

    /// Reads a requirements file the RUN names (a container path) from the build context.
    fn requirements_file(&mut self, path: &str, at: usize) {
        match self.context_file(path) {
            Some((rel, text)) => self.requirements_text(&text, &rel, at, 0),
            None => self
                .facts
                .unreadable
                .push((format!("requirements file {path}"), at)),
        }
    }

    fn requirements_text(&mut self, text: &str, rel: &Path, at: usize, depth: usize) {
        for (opt, value, line) in requirement_lines(text) {
            let (opt, value, line) = (opt.as_str(), value.as_deref(), line.as_str());
            match opt {
                "-r" | "--requirement" => {
                    let Some(v) = value else { continue };
                    let nested = rel.parent().unwrap_or(Path::new("")).join(v);
                    match (depth < MAX_DEPTH)
                        .then(|| self.read_context(&nested))
                        .flatten()
                    {
                        Some(t) => self.requirements_text(&t, &nested, at, depth + 1),
                        None => self
                            .facts
                            .unreadable
                            .push((format!("requirements file {v}"), at)),
                    }
                }
                "-c" | "--constraint" => {
                    let Some(v) = value else { continue };
                    let nested = rel.parent().unwrap_or(Path::new("")).join(v);
                    self.constraints_text_at(&nested, v, at, depth);
                }
                "-e" | "--editable" => {
                    if let Some(v) = value {
                        self.facts.pip.push((parse_req(v), at));
                    }
                }
                "--no-binary" => {
                    if value.is_some_and(|v| v != ":none:") {
                        self.facts.no_binary.get_or_insert(at);
                    }
                }
                o if o.starts_with('-') => {}
                _ => {
                    // `name==1.0 --hash=sha256:...`: options after the requirement are dropped.
                    let req = line.split(" --").next().unwrap_or(line);
                    self.push_req(req, at);
                }
            }
        }
    }

    /// A shell script the stage runs: read from the build context and scanned.
    fn script(&mut self, path: &str, at: usize, ctx: Ctx) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        match self.context_file(path) {
            Some((rel, text)) if python::is_python_script(path, &text) => {
                self.python_code(&text, Some(rel), at, ctx);
            }
            Some((_, text)) => {
                self.shebang(&text, at);
                self.nested(&text, at, ctx);
            }
            None => {
                // A path to a system command (`/usr/bin/curl`) is that command.
                let name = basename(path);
                let system = crate::passes::context_files::is_system_path(path);
                // Not a shell script by its name: a binary (`CMD ["/app"]`) or a system command.
                if system || !name.ends_with(".sh") {
                    self.facts.uses.push(Use {
                        name: name.to_string(),
                        at,
                        ctx,
                    });
                    let known = LACKS.is_safe(name)
                        || LACKS
                            .profiles
                            .values()
                            .any(|p| p.commands.contains_key(name));
                    if !known && ctx == Ctx::Build {
                        self.facts.unknown.push((name.to_string(), at));
                    }
                } else {
                    self.facts.unreadable.push((format!("script {path}"), at));
                }
            }
        }
    }

    /// The build-context file that a COPY or ADD of this stage put at `path`, read.
    fn context_file(&self, path: &str) -> Option<(PathBuf, String)> {
        context_files::context_file(self.doc, self.cx.context_dir, self.stage, self.idx, path)
    }

    fn read_context(&self, rel: &Path) -> Option<String> {
        context_files::read_context(self.cx.context_dir, rel)
    }
}

/// Whether instruction text sets `PIP_NO_BINARY` (`ENV`, `ARG`, `export`, a prefix, `env`) to
/// anything but `:none:`. A bare `ARG PIP_NO_BINARY` (set with `--build-arg`) counts.
fn sets_pip_no_binary(text: &str) -> bool {
    const VAR: &str = "PIP_NO_BINARY";
    let mut from = 0;
    while let Some(p) = text[from..].find(VAR) {
        let start = from + p;
        from = start + VAR.len();
        let before = text[..start].chars().next_back();
        // `$PIP_NO_BINARY` / `${PIP_NO_BINARY}` read it; `XPIP_NO_BINARY` is another name.
        if before.is_some_and(|c| c == '$' || c == '{' || c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[from..];
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = rest
            .trim_start_matches([' ', '\t'])
            .trim_start_matches('=')
            .split([' ', '\t', '\n', '\r', ';', '&', '|'])
            .next()
            .unwrap_or("")
            .trim_matches(['"', '\'']);
        if value != ":none:" {
            return true;
        }
    }
    false
}

/// The extras of a requirement: `psycopg[c,pool]>=3` -> `c`, `pool` (lowercase).
fn extras(raw: &str) -> Vec<String> {
    let r = raw.split(';').next().unwrap_or(raw);
    let (Some(open), Some(close)) = (r.find('['), r.find(']')) else {
        return Vec::new();
    };
    if close < open {
        return Vec::new();
    }
    r[open + 1..close]
        .split(',')
        .map(|e| normalize_pip(e.trim()))
        .filter(|e| !e.is_empty())
        .collect()
}

/// Whether a command word names a script file rather than a command on PATH.
fn is_script_path(w: &str) -> bool {
    w.starts_with("./")
        || w.starts_with("../")
        || w.ends_with(".sh")
        || (w.contains('/')
            && ![
                "/bin/",
                "/sbin/",
                "/usr/bin/",
                "/usr/sbin/",
                "/usr/local/bin/",
            ]
            .iter()
            .any(|p| w.starts_with(p)))
}

/// The command texts of `$(...)` and backtick substitutions in a word.
pub(crate) fn substitutions(word: &str) -> Vec<String> {
    let b = word.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') {
            let mut depth = 0usize;
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            out.push(word[i + 2..j.min(b.len())].to_string());
            i = j + 1;
        } else if b[i] == b'`' {
            let end = b[i + 1..]
                .iter()
                .position(|&c| c == b'`')
                .map_or(b.len(), |p| i + 1 + p);
            out.push(word[i + 1..end].to_string());
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Parses one requirement (`name[extra]>=1,<2 ; marker`, `git+https://...`, `./pkg`).
pub fn parse_req(raw: &str) -> Req {
    let r = raw.split(';').next().unwrap_or(raw).trim();
    if r.contains('$') {
        return Req::Other(r.to_string());
    }
    let lower = r.to_ascii_lowercase();
    if lower.starts_with("git+") || lower.contains("@ git+") || lower.contains("@git+") {
        let ssh = lower.contains("git+ssh://") || lower.contains("git+git@");
        return Req::Git { ssh };
    }
    if lower.contains("://")
        || r.starts_with(['.', '/', '~'])
        || lower.ends_with(".whl")
        || lower.ends_with(".tar.gz")
        || lower.ends_with(".zip")
        || r.contains(" @ ")
    {
        return Req::Other(r.to_string());
    }
    let end = r
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(r.len());
    if end == 0 {
        return Req::Other(r.to_string());
    }
    let spec = &r[end..];
    let pinned = spec.contains("==") || spec.contains('<') || spec.contains("~=");
    Req::Named {
        name: normalize_pip(&r[..end]),
        pinned,
    }
}

/// The lines of a pip requirements or constraints file, continuations joined and comments dropped:
/// `(option or first word, the option's value, the whole line)`.
pub(super) fn requirement_lines(text: &str) -> Vec<(String, Option<String>, String)> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let line = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let (opt, inline) = match first.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o, Some(v)),
            _ => (first, None),
        };
        let value = inline.or_else(|| words.next());
        out.push((opt.to_string(), value.map(str::to_string), line.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements() {
        assert_eq!(
            parse_req("Flask[async]>=2.0 ; python_version > '3.8'"),
            Req::Named {
                name: "flask".into(),
                pinned: false
            }
        );
        assert_eq!(
            parse_req("numpy==1.26.4"),
            Req::Named {
                name: "numpy".into(),
                pinned: true
            }
        );
        assert_eq!(
            parse_req("git+https://github.com/org/repo.git@v1#egg=repo"),
            Req::Git { ssh: false }
        );
        assert_eq!(
            parse_req("pkg @ git+ssh://git@github.com/org/pkg.git"),
            Req::Git { ssh: true }
        );
        assert!(matches!(parse_req("."), Req::Other(_)));
        assert!(matches!(parse_req("https://x/y.whl"), Req::Other(_)));
    }

    #[test]
    fn substitution_texts() {
        assert_eq!(
            substitutions("$(curl -fsSL https://x | head -1)"),
            vec!["curl -fsSL https://x | head -1"]
        );
        assert_eq!(substitutions("v`git describe`"), vec!["git describe"]);
        assert!(substitutions("$((1+2))").is_empty());
    }

    #[test]
    fn pip_no_binary_settings() {
        assert!(sets_pip_no_binary("ENV PIP_NO_BINARY=:all:\n"));
        assert!(sets_pip_no_binary("ENV PIP_NO_BINARY :all:\n"));
        assert!(sets_pip_no_binary(
            "RUN export PIP_NO_BINARY=\"numpy\" && pip install numpy\n"
        ));
        assert!(sets_pip_no_binary("ARG PIP_NO_BINARY\n"));
        assert!(!sets_pip_no_binary("ENV PIP_NO_BINARY=:none:\n"));
        assert!(!sets_pip_no_binary(
            "RUN echo $PIP_NO_BINARY ${PIP_NO_BINARY}\n"
        ));
        assert!(!sets_pip_no_binary(
            "ENV MY_PIP_NO_BINARY=1 PIP_NO_BINARY_X=1\n"
        ));
        assert_eq!(extras("psycopg[c, Pool]>=3.1"), vec!["c", "pool"]);
        assert!(extras("psycopg>=3").is_empty());
    }

    #[test]
    fn globs() {
        assert!(context_files::glob_match(
            "requirements*.txt",
            "requirements-dev.txt"
        ));
        assert!(!context_files::glob_match("requirements*.txt", "setup.py"));
    }
}
