//! The document model: every instruction of a Dockerfile with the byte extents of its keyword, flags and
//! arguments, its stage, and the comment lines between instructions.
//!
//! Structure comes from the `parse-dockerfile` crate; this module turns its typed tree into owned data
//! with absolute byte ranges into the (BOM-less) text, and adds what the crate does not give: the full
//! extent of each instruction (through a heredoc's terminator line and a JSON form's closing `]`),
//! comment lines, stages with their parents, and ENV/ARG pairs.
//!
//! Everything outside an instruction's extent is opaque text that no pass can touch except through an
//! edit helper; that is what makes edits lossless.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use parse_dockerfile as pd;

use crate::repair::{self, Repair};
use crate::shell::{self, Mode, Script};
use crate::text::{self, LineIndex};

/// A value with the byte range it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    pub range: Range<usize>,
    pub value: String,
}

impl Spanned {
    fn from_pd(s: &pd::UnescapedString<'_>) -> Spanned {
        Spanned {
            range: s.span.clone(),
            value: s.value.to_string(),
        }
    }
}

/// An instruction flag such as `--mount=type=cache,target=/root/.cache/pip`.
#[derive(Debug, Clone)]
pub struct Flag {
    /// The whole flag, from `--` to the end of its value.
    pub range: Range<usize>,
    pub name: String,
    pub value: Option<Spanned>,
}

/// The form of a RUN, CMD, ENTRYPOINT or HEALTHCHECK command.
#[derive(Debug, Clone)]
pub enum CommandForm {
    /// Shell form: the raw range of the command text and its lexed script.
    Shell { range: Range<usize>, script: Script },
    /// Exec (JSON array) form; each element's range covers its content inside the quotes.
    Exec {
        range: Range<usize>,
        args: Vec<Spanned>,
    },
}

/// A heredoc attached to RUN, COPY or ADD.
#[derive(Debug, Clone)]
pub struct HereDoc {
    /// The body, without the terminator line.
    pub body: Range<usize>,
    pub expand: bool,
}

/// A COPY or ADD source.
#[derive(Debug, Clone)]
pub enum CopySource {
    Path(Spanned),
    HereDoc(HereDoc),
}

/// The instruction-specific part of an instruction.
#[derive(Debug, Clone)]
pub enum Detail {
    From {
        image: Spanned,
        alias: Option<Spanned>,
    },
    Run {
        command: CommandForm,
        heredocs: Vec<HereDoc>,
    },
    Copy {
        sources: Vec<CopySource>,
        dest: Spanned,
    },
    Cmd(CommandForm),
    Entrypoint(CommandForm),
    Healthcheck(Option<CommandForm>),
    /// ENV, ARG, LABEL, WORKDIR, USER, MAINTAINER, STOPSIGNAL: the raw argument text.
    Text(Spanned),
    /// EXPOSE, SHELL, VOLUME: the individual arguments.
    List(Vec<Spanned>),
    Onbuild(Box<Instruction>),
}

/// The instruction keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Add => "ADD",
            Kind::Arg => "ARG",
            Kind::Cmd => "CMD",
            Kind::Copy => "COPY",
            Kind::Entrypoint => "ENTRYPOINT",
            Kind::Env => "ENV",
            Kind::Expose => "EXPOSE",
            Kind::From => "FROM",
            Kind::Healthcheck => "HEALTHCHECK",
            Kind::Label => "LABEL",
            Kind::Maintainer => "MAINTAINER",
            Kind::Onbuild => "ONBUILD",
            Kind::Run => "RUN",
            Kind::Shell => "SHELL",
            Kind::Stopsignal => "STOPSIGNAL",
            Kind::User => "USER",
            Kind::Volume => "VOLUME",
            Kind::Workdir => "WORKDIR",
        }
    }
}

/// One instruction with its extents.
#[derive(Debug, Clone)]
pub struct Instruction {
    pub kind: Kind,
    /// The keyword as written (`run`, `RUN`).
    pub keyword: Range<usize>,
    /// Start of the line the keyword is on (indentation before the keyword included).
    pub line_start: usize,
    /// From the keyword to the end of the instruction's last line, line terminator included.
    pub extent: Range<usize>,
    pub flags: Vec<Flag>,
    pub detail: Detail,
    /// Index into [`Document::stages`]; `None` for global ARGs before the first FROM.
    pub stage: Option<usize>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
    }

    /// The whole text of the instruction, from its line start to its end (continuation comment lines
    /// included), as a move or delete must carry it.
    pub fn full_range(&self) -> Range<usize> {
        self.line_start..self.extent.end
    }

    /// The shell script of a shell-form RUN.
    pub fn run_script(&self) -> Option<&Script> {
        match &self.detail {
            Detail::Run {
                command: CommandForm::Shell { script, .. },
                ..
            } => Some(script),
            _ => None,
        }
    }

    /// The raw argument text of ENV, ARG, LABEL, WORKDIR, USER and the like.
    pub fn text_arg(&self) -> Option<&Spanned> {
        match &self.detail {
            Detail::Text(s) => Some(s),
            _ => None,
        }
    }

    /// `--mount` values parsed into key/value options.
    pub fn mounts(&self) -> Vec<Vec<(String, String)>> {
        self.flags_named("mount")
            .filter_map(|f| f.value.as_ref())
            .map(|v| {
                v.value
                    .split(',')
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
                        None => (kv.trim().to_ascii_lowercase(), String::new()),
                    })
                    .collect()
            })
            .collect()
    }
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Index of the FROM instruction in [`Document::instructions`].
    pub from: usize,
    /// Indices of the instructions of this stage, FROM included.
    pub instructions: Range<usize>,
    pub image: String,
    pub alias: Option<String>,
    /// The earlier stage this one builds on (`FROM builder`), if any.
    pub parent: Option<usize>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Document {
    /// The text without a BOM.
    pub text: String,
    pub escape: u8,
    /// The file's line terminator, used for inserted lines.
    pub eol: &'static str,
    pub lines: LineIndex,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// Comment lines between instructions (parser directives included), without their terminators.
    pub comments: Vec<Range<usize>>,
    pub syntax: Option<String>,
    /// ENV and WORKDIR tables, built on the first `env_before` / `workdir_before`.
    lookup: OnceLock<Lookup>,
}

/// One-pass tables that keep [`Document::env_before`] and [`Document::workdir_before`] from rescanning
/// the file on every call.
#[derive(Debug, Clone, Default)]
struct Lookup {
    /// For every variable an ENV sets: the ENV instructions that set it, in order, each with the value
    /// it sets (the last one when the instruction sets it twice).
    env: HashMap<String, Vec<(usize, String)>>,
    /// For every instruction: the nearest WORKDIR (with an argument) before it in its stage or, before
    /// the stage starts, in the stages it builds on.
    prev_workdir: Vec<Option<usize>>,
}

/// A parse failure, with the position the parser reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Document {
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        // Heredocs after a command (`RUN cat <<EOF > f`) must be repaired even when the crate parses
        // the file: it would read their bodies as instructions.
        if text.contains("<<")
            && let Some((masked, repairs)) = repair::repair(text)
        {
            let parsed = pd::parse(&masked).map_err(|e| to_parse_error(text, &e))?;
            return Ok(Document::build(text, &parsed, &repairs));
        }
        match pd::parse(text) {
            Ok(parsed) => Ok(Document::build(text, &parsed, &[])),
            Err(e) => {
                let Some((masked, repairs)) = repair::repair(text) else {
                    return Err(to_parse_error(text, &e));
                };
                let parsed = pd::parse(&masked).map_err(|e| to_parse_error(text, &e))?;
                Ok(Document::build(text, &parsed, &repairs))
            }
        }
    }

    fn build(text: &str, parsed: &pd::Dockerfile<'_>, repairs: &[Repair]) -> Document {
        let escape = parsed
            .parser_directives
            .escape
            .as_ref()
            .map_or(b'\\', |d| d.value.value as u8);
        let syntax = parsed
            .parser_directives
            .syntax
            .as_ref()
            .map(|d| d.value.value.to_string());
        let cx = Convert { text, escape };
        let mut instructions: Vec<Instruction> = parsed
            .instructions
            .iter()
            .map(|i| cx.instruction(i))
            .collect();
        for r in repairs {
            apply_repair(&mut instructions, r);
        }

        let mut stages: Vec<Stage> = Vec::new();
        for idx in 0..instructions.len() {
            if let Detail::From { image, alias } = &instructions[idx].detail {
                if let Some(last) = stages.last_mut() {
                    last.instructions.end = idx;
                }
                let parent = stages.iter().rposition(|s| {
                    s.alias
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&image.value))
                });
                stages.push(Stage {
                    from: idx,
                    instructions: idx..instructions.len(),
                    image: image.value.clone(),
                    alias: alias.as_ref().map(|a| a.value.clone()),
                    parent,
                });
            }
            if !stages.is_empty() {
                instructions[idx].stage = Some(stages.len() - 1);
            }
        }

        let comments = comment_lines(text, &instructions);
        Document {
            text: text.to_string(),
            escape,
            eol: text::detect_eol(text),
            lines: LineIndex::new(text),
            instructions,
            stages,
            comments,
            syntax,
            lookup: OnceLock::new(),
        }
    }

    fn lookup(&self) -> &Lookup {
        self.lookup.get_or_init(|| {
            let mut env: HashMap<String, Vec<(usize, String)>> = HashMap::new();
            let mut prev_workdir = vec![None; self.instructions.len()];
            let mut stage_last_workdir: Vec<Option<usize>> = vec![None; self.stages.len()];
            for (i, inst) in self.instructions.iter().enumerate() {
                if inst.kind == Kind::Env
                    && let Some(t) = inst.text_arg()
                {
                    for (k, v) in env_pairs(&t.value) {
                        let sets = env.entry(k).or_default();
                        match sets.last_mut() {
                            Some(last) if last.0 == i => last.1 = v,
                            _ => sets.push((i, v)),
                        }
                    }
                }
            }
            for (si, st) in self.stages.iter().enumerate() {
                let mut cur = st.parent.and_then(|p| stage_last_workdir[p]);
                for i in st.instructions.clone() {
                    prev_workdir[i] = cur;
                    let inst = &self.instructions[i];
                    if inst.kind == Kind::Workdir && inst.text_arg().is_some() {
                        cur = Some(i);
                    }
                }
                stage_last_workdir[si] = cur;
            }
            Lookup { env, prev_workdir }
        })
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(&self.text, offset)
    }

    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    pub fn slice(&self, r: &Range<usize>) -> &str {
        &self.text[r.clone()]
    }

    /// Instructions of a stage, FROM excluded, with their indices.
    pub fn stage_body(&self, stage: usize) -> impl Iterator<Item = (usize, &Instruction)> {
        let r = self.stages[stage].instructions.clone();
        (r.start + 1..r.end).map(move |i| (i, &self.instructions[i]))
    }

    /// Whether the file uses BuildKit-only syntax (a `# syntax=` line or any RUN `--mount`).
    pub fn is_buildkit(&self) -> bool {
        self.syntax.is_some() || self.instructions.iter().any(|i| i.flag("mount").is_some())
    }

    /// The ENV value of `var` in effect just before instruction `idx`, following the stage's parents.
    pub fn env_before(&self, idx: usize, var: &str) -> Option<String> {
        let mut stage = self.instructions.get(idx)?.stage?;
        let sets = self.lookup().env.get(var)?;
        let mut upto = idx;
        loop {
            let st = &self.stages[stage];
            // The last ENV of `var` in `st.instructions.start + 1..upto`.
            let pos = sets.partition_point(|(i, _)| *i < upto);
            if pos > 0 && sets[pos - 1].0 > st.instructions.start {
                return Some(sets[pos - 1].1.clone());
            }
            match st.parent {
                Some(p) => {
                    upto = self.stages[p].instructions.end;
                    stage = p;
                }
                None => return None,
            }
        }
    }

    /// For every instruction, whether ENV has set `var` before it in its stage or a stage it builds
    /// on. One pass over the file, for passes that ask about every instruction.
    pub fn env_set_before_each(&self, var: &str) -> Vec<bool> {
        let mut out = vec![false; self.instructions.len()];
        let mut stage_final = vec![false; self.stages.len()];
        for (si, st) in self.stages.iter().enumerate() {
            let mut cur = st.parent.is_some_and(|p| stage_final[p]);
            for i in st.instructions.clone() {
                out[i] = cur;
                let inst = &self.instructions[i];
                if inst.kind == Kind::Env
                    && let Some(t) = inst.text_arg()
                    && env_pairs(&t.value).iter().any(|(k, _)| k == var)
                {
                    cur = true;
                }
            }
            stage_final[si] = cur;
        }
        out
    }

    /// The working directory in effect just before instruction `idx` (resolving relative WORKDIRs and
    /// following the stage's parents). `None` when it depends on a variable or is the image default.
    pub fn workdir_before(&self, idx: usize) -> Option<String> {
        self.instructions.get(idx)?.stage?;
        let prev = &self.lookup().prev_workdir;
        let mut parts: Vec<String> = Vec::new();
        let mut cur = prev[idx];
        loop {
            let Some(w) = cur else {
                if parts.is_empty() {
                    return None;
                }
                parts.push("/".to_string());
                break;
            };
            let v = self.instructions[w]
                .text_arg()
                .map(|t| t.value.trim().to_string())
                .unwrap_or_default();
            let absolute = v.starts_with('/');
            parts.push(v);
            if absolute {
                break;
            }
            cur = prev[w];
        }
        if parts.iter().any(|p| p.contains('$')) {
            return None;
        }
        let mut path = String::new();
        for p in parts.iter().rev() {
            if p.starts_with('/') {
                path = p.clone();
            } else {
                if !path.ends_with('/') {
                    path.push('/');
                }
                path.push_str(p);
            }
        }
        Some(normalize_path(&path))
    }
}

fn to_parse_error(text: &str, e: &pd::Error) -> ParseError {
    let full = e.to_string();
    let raw = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    let (line, col) = (e.line().max(1), e.column().max(1));
    let word_at = || {
        text::line_ranges(text)
            .nth(line - 1)
            .map(|r| {
                let l = &text[r];
                let start = l.char_indices().nth(col - 1).map_or(l.len(), |(i, _)| i);
                l[start..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let message = match raw.as_str() {
        "expected FROM" => format!(
            "`{}` before the first FROM: only ARG and parser directives may come before FROM",
            word_at()
        ),
        "expected at least one FROM instruction" => {
            if text
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            {
                "no instructions: the file is empty or only comments".to_string()
            } else {
                "no FROM instruction: a Dockerfile needs at least one build stage".to_string()
            }
        }
        "expected CMD or NONE" => "HEALTHCHECK must be followed by CMD or NONE".to_string(),
        "unknown instruction ''" => {
            "an instruction is missing here (ONBUILD must be followed by an instruction)"
                .to_string()
        }
        _ => raw,
    };
    ParseError { line, col, message }
}

/// Puts back what [`repair`] masked for the parser.
fn apply_repair(instructions: &mut [Instruction], r: &Repair) {
    match r {
        Repair::HereDocs {
            keyword,
            bodies,
            end,
        } => {
            if let Some(inst) = instructions
                .iter_mut()
                .find(|i| i.keyword.start == *keyword)
                && let Detail::Run { heredocs, .. } = &mut inst.detail
            {
                heredocs.extend(bodies.iter().map(|(body, expand)| HereDoc {
                    body: body.clone(),
                    expand: *expand,
                }));
                inst.extent.end = inst.extent.end.max(*end);
            }
        }
        Repair::EmptyExec(range) => {
            for inst in instructions.iter_mut() {
                if let Detail::Cmd(form) | Detail::Entrypoint(form) = &mut inst.detail
                    && inst.extent.start <= range.start
                    && range.end <= inst.extent.end
                {
                    *form = CommandForm::Exec {
                        range: range.clone(),
                        args: vec![],
                    };
                }
            }
        }
    }
}

/// Normalises an absolute container path: collapses `//`, `.` and `..`, drops a trailing `/`.
pub fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Splits ENV/ARG argument text into `(name, value)` pairs: `A=1 B="x y"` or the legacy `A value`.
pub fn env_pairs(raw: &str) -> Vec<(String, String)> {
    let raw = raw.trim();
    let first_ws = raw.find(char::is_whitespace).unwrap_or(raw.len());
    if !raw[..first_ws].contains('=') {
        // Legacy form: `ENV NAME the rest`. Also a bare `ARG NAME`.
        let value = raw[first_ws..].trim().to_string();
        return vec![(raw[..first_ws].to_string(), value)];
    }
    let mut pairs = Vec::new();
    let words = split_words(raw);
    for w in words {
        match w.split_once('=') {
            Some((k, v)) => pairs.push((k.to_string(), v.to_string())),
            None => pairs.push((w, String::new())),
        }
    }
    pairs
}

/// Splits text into words with shell-like quotes removed (for ENV/ARG/LABEL values).
pub fn split_words(raw: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if has {
                    words.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            '"' => {
                has = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        c => cur.push(c),
                    }
                }
            }
            '\'' => {
                has = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '\\' => {
                has = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                has = true;
                cur.push(c);
            }
        }
    }
    if has {
        words.push(cur);
    }
    words
}

/// Comment lines outside instruction extents.
fn comment_lines(text: &str, instructions: &[Instruction]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut next = 0;
    for line in text::line_ranges(text) {
        while next < instructions.len() && instructions[next].extent.end <= line.start {
            next += 1;
        }
        if let Some(inst) = instructions.get(next)
            && inst.line_start <= line.start
            && line.start < inst.extent.end
        {
            continue;
        }
        if text[line.clone()].trim_start().starts_with('#') {
            out.push(line);
        }
    }
    out
}

struct Convert<'t> {
    text: &'t str,
    escape: u8,
}

impl Convert<'_> {
    fn instruction(&self, i: &pd::Instruction<'_>) -> Instruction {
        use pd::Instruction as I;
        let mut max_end = 0usize;
        let mut bump = |r: &Range<usize>| max_end = max_end.max(r.end);
        let (kind, keyword, flags, detail): (Kind, Range<usize>, Vec<Flag>, Detail) = match i {
            I::From(f) => {
                bump(&f.image.span);
                if let Some((k, a)) = &f.as_ {
                    bump(&k.span);
                    bump(&a.span);
                }
                (
                    Kind::From,
                    f.from.span.clone(),
                    self.flags(&f.options),
                    Detail::From {
                        image: Spanned::from_pd(&f.image),
                        alias: f.as_.as_ref().map(|(_, a)| Spanned::from_pd(a)),
                    },
                )
            }
            I::Run(r) => {
                let command = self.command(&r.arguments, &mut bump);
                let heredocs = r
                    .here_docs
                    .iter()
                    .map(|h| self.heredoc(h, &mut bump))
                    .collect();
                (
                    Kind::Run,
                    r.run.span.clone(),
                    self.flags(&r.options),
                    Detail::Run { command, heredocs },
                )
            }
            I::Copy(c) => {
                let (sources, dest) = self.copy(&c.src, &c.dest, &mut bump);
                (
                    Kind::Copy,
                    c.copy.span.clone(),
                    self.flags(&c.options),
                    Detail::Copy { sources, dest },
                )
            }
            I::Add(c) => {
                let (sources, dest) = self.copy(&c.src, &c.dest, &mut bump);
                (
                    Kind::Add,
                    c.add.span.clone(),
                    self.flags(&c.options),
                    Detail::Copy { sources, dest },
                )
            }
            I::Cmd(c) => (
                Kind::Cmd,
                c.cmd.span.clone(),
                vec![],
                Detail::Cmd(self.command(&c.arguments, &mut bump)),
            ),
            I::Entrypoint(c) => (
                Kind::Entrypoint,
                c.entrypoint.span.clone(),
                vec![],
                Detail::Entrypoint(self.command(&c.arguments, &mut bump)),
            ),
            I::Healthcheck(h) => {
                let cmd = match &h.arguments {
                    pd::HealthcheckArguments::Cmd { cmd, arguments, .. } => {
                        bump(&cmd.span);
                        Some(self.command(arguments, &mut bump))
                    }
                    pd::HealthcheckArguments::None { none, .. } => {
                        bump(&none.span);
                        None
                    }
                    _ => None,
                };
                (
                    Kind::Healthcheck,
                    h.healthcheck.span.clone(),
                    self.flags(&h.options),
                    Detail::Healthcheck(cmd),
                )
            }
            I::Onbuild(o) => {
                let inner = self.instruction(&o.instruction);
                bump(&inner.extent);
                (
                    Kind::Onbuild,
                    o.onbuild.span.clone(),
                    vec![],
                    Detail::Onbuild(Box::new(inner)),
                )
            }
            I::Arg(a) => self.text_inst(Kind::Arg, &a.arg, &a.arguments, &mut bump),
            I::Env(a) => self.text_inst(Kind::Env, &a.env, &a.arguments, &mut bump),
            I::Label(a) => self.text_inst(Kind::Label, &a.label, &a.arguments, &mut bump),
            I::Maintainer(a) => self.text_inst(Kind::Maintainer, &a.maintainer, &a.name, &mut bump),
            I::Stopsignal(a) => {
                self.text_inst(Kind::Stopsignal, &a.stopsignal, &a.arguments, &mut bump)
            }
            I::User(a) => self.text_inst(Kind::User, &a.user, &a.arguments, &mut bump),
            I::Workdir(a) => self.text_inst(Kind::Workdir, &a.workdir, &a.arguments, &mut bump),
            I::Expose(e) => {
                let list: Vec<Spanned> = e.arguments.iter().map(Spanned::from_pd).collect();
                list.iter().for_each(|s| bump(&s.range));
                (
                    Kind::Expose,
                    e.expose.span.clone(),
                    vec![],
                    Detail::List(list),
                )
            }
            I::Shell(s) => {
                let list: Vec<Spanned> = s.arguments.iter().map(Spanned::from_pd).collect();
                list.iter().for_each(|s| bump(&s.range));
                (
                    Kind::Shell,
                    s.shell.span.clone(),
                    vec![],
                    Detail::List(list),
                )
            }
            I::Volume(v) => {
                let list: Vec<Spanned> = match &v.arguments {
                    pd::JsonOrStringArray::Json(j) => {
                        bump(&j.span);
                        j.value.iter().map(Spanned::from_pd).collect()
                    }
                    pd::JsonOrStringArray::String(s) => s.iter().map(Spanned::from_pd).collect(),
                };
                list.iter().for_each(|s| bump(&s.range));
                (
                    Kind::Volume,
                    v.volume.span.clone(),
                    vec![],
                    Detail::List(list),
                )
            }
            _ => unreachable_kind(i),
        };
        max_end = max_end.max(keyword.end);
        for f in &flags {
            max_end = max_end.max(f.range.end);
        }
        let end = if let Detail::Run { heredocs, .. } = &detail
            && let Some(h) = heredocs.last()
        {
            text::line_end_inclusive(self.text, h.body.end)
        } else if let Detail::Copy { sources, .. } = &detail
            && let Some(h) = sources.iter().rev().find_map(|s| match s {
                CopySource::HereDoc(h) => Some(h),
                _ => None,
            })
        {
            text::line_end_inclusive(self.text, h.body.end)
        } else {
            text::line_end_inclusive(self.text, max_end)
        };
        // A span can end exactly at a newline; `line_end_inclusive` then includes that newline.
        Instruction {
            kind,
            line_start: text::line_start(self.text, keyword.start),
            keyword: keyword.clone(),
            extent: keyword.start..end.max(keyword.end),
            flags,
            detail,
            stage: None,
        }
    }

    fn text_inst(
        &self,
        kind: Kind,
        kw: &pd::Keyword,
        arg: &pd::UnescapedString<'_>,
        bump: &mut impl FnMut(&Range<usize>),
    ) -> (Kind, Range<usize>, Vec<Flag>, Detail) {
        bump(&arg.span);
        (
            kind,
            kw.span.clone(),
            vec![],
            Detail::Text(Spanned::from_pd(arg)),
        )
    }

    fn flags(&self, flags: &[pd::Flag<'_>]) -> Vec<Flag> {
        flags
            .iter()
            .map(|f| Flag {
                range: f.span(),
                name: f.name.value.to_string(),
                value: f.value.as_ref().map(Spanned::from_pd),
            })
            .collect()
    }

    fn heredoc(&self, h: &pd::HereDoc<'_>, bump: &mut impl FnMut(&Range<usize>)) -> HereDoc {
        bump(&h.span);
        HereDoc {
            body: h.span.clone(),
            expand: h.expand,
        }
    }

    fn copy(
        &self,
        src: &[pd::Source<'_>],
        dest: &pd::UnescapedString<'_>,
        bump: &mut impl FnMut(&Range<usize>),
    ) -> (Vec<CopySource>, Spanned) {
        let sources = src
            .iter()
            .filter_map(|s| match s {
                pd::Source::Path(p) => {
                    bump(&p.span);
                    Some(CopySource::Path(Spanned::from_pd(p)))
                }
                pd::Source::HereDoc(h) => Some(CopySource::HereDoc(self.heredoc(h, bump))),
                _ => None,
            })
            .collect();
        bump(&dest.span);
        (sources, Spanned::from_pd(dest))
    }

    fn command(&self, c: &pd::Command<'_>, bump: &mut impl FnMut(&Range<usize>)) -> CommandForm {
        match c {
            pd::Command::Exec(e) => {
                bump(&e.span);
                let args: Vec<Spanned> = e.value.iter().map(Spanned::from_pd).collect();
                args.iter().for_each(|a| bump(&a.range));
                CommandForm::Exec {
                    range: e.span.clone(),
                    args,
                }
            }
            pd::Command::Shell(s) => {
                bump(&s.span);
                CommandForm::Shell {
                    range: s.span.clone(),
                    script: shell::parse(
                        self.text,
                        s.span.clone(),
                        Mode::Dockerfile {
                            escape: self.escape,
                        },
                    ),
                }
            }
            _ => CommandForm::Shell {
                range: 0..0,
                script: Script::default(),
            },
        }
    }
}

#[cold]
fn unreachable_kind(_: &pd::Instruction<'_>) -> (Kind, Range<usize>, Vec<Flag>, Detail) {
    // `parse_dockerfile::Instruction` is non-exhaustive; every variant it has today is handled above.
    (
        Kind::Label,
        0..0,
        vec![],
        Detail::Text(Spanned {
            range: 0..0,
            value: String::new(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extents_cover_continuations_heredocs_and_json() {
        let t =
            "FROM a AS b\nRUN x \\\n  # c\n  y\nRUN <<EOF\nbody\nEOF\nCMD [\"a\", \\\n \"b\"]\n";
        let d = Document::parse(t).unwrap();
        let ex: Vec<_> = d
            .instructions
            .iter()
            .map(|i| &t[i.extent.clone()])
            .collect();
        assert_eq!(
            ex,
            [
                "FROM a AS b\n",
                "RUN x \\\n  # c\n  y\n",
                "RUN <<EOF\nbody\nEOF\n",
                "CMD [\"a\", \\\n \"b\"]\n"
            ]
        );
    }

    #[test]
    fn comments_between_instructions_only() {
        let t = "# syntax=docker/dockerfile:1\nFROM a\n  # note\nRUN x \\\n # inner\n y\n";
        let d = Document::parse(t).unwrap();
        let c: Vec<_> = d.comments.iter().map(|r| &t[r.clone()]).collect();
        assert_eq!(c, ["# syntax=docker/dockerfile:1", "  # note"]);
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
    }

    #[test]
    fn env_and_workdir_follow_stage_parents() {
        let t = "FROM a AS base\nWORKDIR /app\nENV PIP_NO_CACHE_DIR=1 X=\"a b\"\nFROM base\nWORKDIR src\nRUN x\n";
        let d = Document::parse(t).unwrap();
        assert_eq!(d.env_before(5, "PIP_NO_CACHE_DIR").as_deref(), Some("1"));
        assert_eq!(d.env_before(5, "X").as_deref(), Some("a b"));
        assert_eq!(d.workdir_before(5).as_deref(), Some("/app/src"));
        assert_eq!(d.stages[1].parent, Some(0));
    }

    #[test]
    fn env_pairs_forms() {
        assert_eq!(
            env_pairs("A=1 B='x y'"),
            vec![("A".into(), "1".into()), ("B".into(), "x y".into())]
        );
        assert_eq!(env_pairs("A 1 2"), vec![("A".into(), "1 2".into())]);
    }
}
