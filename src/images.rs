//! Base images and their smaller variants, from `transforms/base-images.yaml`.
//!
//! [`slim_variant`] answers "what is the slim variant of this image reference" (`python:3.12` ->
//! `python:3.12-slim`), [`alpine_variant`] the same for alpine. Both are rule-based: an image entry
//! has tag patterns with placeholders (`{version}-{suite}`) and templates for the variant tags
//! (`{version}-slim-{suite}`), so one rule covers every version. The table's schema is documented at
//! the top of the YAML file. Shared by every pass that needs a smaller image of the same kind.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;

/// Where the estimates and mappings come from, for reports.
pub const TABLE_PATH: &str = "transforms/base-images.yaml";

/// Which smaller variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Slim,
    Alpine,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Slim => "slim",
            Variant::Alpine => "alpine",
        }
    }
}

/// A C library: what binaries built in one stage need in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
}

/// One piece of a variant tag: literal text, or a range of the matched full tag (a placeholder's
/// value). Lets callers rebuild the variant tag around `${ARG}` references in the written tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagPart {
    Lit(String),
    Tag(Range<usize>),
}

/// The smaller variant of a full image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlimMapping {
    /// The repository as the table names it (`python`).
    pub image: String,
    /// The full tag that matched (`3.12`; `latest` when the reference had no tag).
    pub tag: String,
    /// Whether the reference was pinned by digest (`@sha256:...`). The digest of the variant is
    /// unknown offline, so callers should not rewrite such a reference.
    pub digest: Option<String>,
    pub variant: Variant,
    /// The variant's repository (`python`, or `eclipse-temurin` for `openjdk`).
    pub variant_image: String,
    pub variant_tag: String,
    /// The variant reference as it should be written: the reference's registry prefix
    /// (`docker.io/library/`) kept, no digest.
    pub reference: String,
    /// How `variant_tag` is made from `tag`.
    pub template: Vec<TagPart>,
    /// Approximate sizes in MB, for estimates only.
    pub full_mb: u32,
    pub variant_mb: u32,
    /// Distribution of the full image and of the variant (`debian`, `ubuntu`, `alpine`).
    pub os: String,
    pub variant_os: String,
    pub libc: Libc,
    pub variant_libc: Libc,
    /// Profiles in `transforms/slim-lacks.yaml` describing what the variant lacks.
    pub lacks: Vec<String>,
    /// Debian packages the variant still has.
    pub variant_has: Vec<String>,
    /// Set when the swap always changes something that matters (applied only with `--unsafe`).
    pub unsafe_reason: Option<String>,
}

impl SlimMapping {
    /// The full reference as the table spells it (`python:3.12`).
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.image, self.tag)
    }

    /// The variant as the table spells it (`python:3.12-slim`).
    pub fn variant_name(&self) -> String {
        format!("{}:{}", self.variant_image, self.variant_tag)
    }
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// What precedes the repository name as written (`docker.io/library/`), possibly empty.
    pub prefix: &'a str,
    /// The repository, Docker Hub's `library/` dropped for official images (`python`,
    /// `bitnami/node`, `ghcr.io/x/y`).
    pub name: &'a str,
    /// The tag as written, if any.
    pub tag: Option<&'a str>,
    /// Byte range of the tag in the reference.
    pub tag_range: Option<Range<usize>>,
    pub digest: Option<&'a str>,
}

const HUB_PREFIXES: &[&str] = &[
    "docker.io/",
    "index.docker.io/",
    "registry-1.docker.io/",
    "registry.hub.docker.com/",
];

/// Parses `[registry/][library/]name[:tag][@digest]`. `None` for an empty or odd reference.
pub fn parse_ref(raw: &str) -> Option<ImageRef<'_>> {
    if raw.is_empty() || raw.chars().any(char::is_whitespace) {
        return None;
    }
    let (body, digest) = match raw.split_once('@') {
        Some((b, d)) => (b, Some(d)),
        None => (raw, None),
    };
    let slash = body.rfind('/').map_or(0, |i| i + 1);
    let (name_end, tag) = match body[slash..].find(':') {
        Some(i) => (slash + i, Some(&body[slash + i + 1..])),
        None => (body.len(), None),
    };
    let full_name = &body[..name_end];
    if full_name.is_empty() {
        return None;
    }
    let mut prefix_len = 0;
    for p in HUB_PREFIXES {
        if full_name.len() > p.len()
            && full_name
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        {
            prefix_len = p.len();
            break;
        }
    }
    if full_name[prefix_len..].starts_with("library/") {
        prefix_len += "library/".len();
    }
    Some(ImageRef {
        prefix: &raw[..prefix_len],
        name: &full_name[prefix_len..],
        tag,
        tag_range: tag.map(|_| name_end + 1..body.len()),
        digest,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    placeholders: BTreeMap<String, String>,
    leave_alone: Vec<String>,
    images: Vec<ImageEntry>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
struct Sizes {
    full: Option<u32>,
    slim: Option<u32>,
    alpine: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageEntry {
    image: String,
    os: String,
    libc: String,
    #[serde(default)]
    lacks: Vec<String>,
    #[serde(default)]
    size_mb: Sizes,
    #[serde(default)]
    slim_has: Vec<String>,
    rules: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    full: String,
    slim: Option<String>,
    alpine: Option<String>,
    slim_image: Option<String>,
    slim_os: Option<String>,
    size_mb: Option<Sizes>,
    lacks: Option<Vec<String>>,
    slim_has: Option<Vec<String>>,
    #[serde(rename = "unsafe")]
    unsafe_reason: Option<String>,
}

/// A template: literal text and placeholder names.
#[derive(Debug)]
enum TplPart {
    Lit(String),
    Var(String),
}

struct Rule {
    pattern: LazyRegex,
    slim: Option<Vec<TplPart>>,
    alpine: Option<Vec<TplPart>>,
    entry: RuleEntry,
}

/// A tag pattern compiled on first use: a lookup compiles only the rules of the image it asks about,
/// up to the rule that matches (compiling every rule of the table took most of a small file's run).
struct LazyRegex {
    source: String,
    regex: OnceLock<Regex>,
}

impl LazyRegex {
    /// Compiled now (`eager`, so an error in user configuration is reported when it is loaded) or
    /// on first use (the embedded table, which a unit test compiles whole).
    fn new(source: String, eager: bool) -> Result<LazyRegex, String> {
        let regex = OnceLock::new();
        if eager {
            let _ = regex.set(Regex::new(&source).map_err(|e| e.to_string())?);
        }
        Ok(LazyRegex { source, regex })
    }

    fn get(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(&self.source).expect("embedded base-image patterns compile (unit test)")
        })
    }
}

struct Image {
    entry: ImageEntry,
    rules: Vec<Rule>,
}

struct Compiled {
    placeholders: BTreeMap<String, String>,
    leave_alone: Vec<String>,
    images: Vec<Image>,
}

thread_local! {
    /// Extra image entries from the `.dockopt.yaml` of the file being processed on this thread.
    static USER: std::cell::RefCell<Option<std::rc::Rc<Compiled>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with extra base-image entries (from `.dockopt.yaml`, in the schema of `images:` in
/// transforms/base-images.yaml) consulted before the built-in table. An entry for an image the table
/// also has replaces the table's entry. The placeholders are the built-in table's.
pub fn with_user_images<T>(
    entries: &[serde_yaml_ng::Value],
    f: impl FnOnce() -> T,
) -> Result<T, String> {
    if entries.is_empty() {
        return Ok(f());
    }
    let mut doc = serde_yaml_ng::Mapping::new();
    doc.insert(
        "placeholders".into(),
        serde_yaml_ng::to_value(&TABLE.placeholders).map_err(|e| e.to_string())?,
    );
    doc.insert("leave_alone".into(), serde_yaml_ng::Value::Sequence(vec![]));
    doc.insert(
        "images".into(),
        serde_yaml_ng::Value::Sequence(entries.to_vec()),
    );
    let text = serde_yaml_ng::to_string(&doc).map_err(|e| e.to_string())?;
    let compiled = compile(&text, true).map_err(|e| format!("base_images: {e}"))?;
    USER.with(|u| *u.borrow_mut() = Some(std::rc::Rc::new(compiled)));
    let out = f();
    USER.with(|u| *u.borrow_mut() = None);
    Ok(out)
}

/// Looks an image up in the user's entries, then in the built-in table.
fn with_image<R>(name: &str, f: impl FnOnce(&Image) -> R) -> Option<R> {
    let user = USER.with(|u| u.borrow().clone());
    if let Some(u) = user
        && let Some(img) = u.images.iter().find(|i| i.entry.image == name)
    {
        return Some(f(img));
    }
    TABLE.images.iter().find(|i| i.entry.image == name).map(f)
}

/// The embedded table text.
pub const TABLE_YAML: &str = include_str!("../transforms/base-images.yaml");

static TABLE: LazyLock<Compiled> =
    LazyLock::new(|| compile(TABLE_YAML, false).expect("transforms/base-images.yaml is valid"));

fn split_template(t: &str) -> Result<Vec<TplPart>, String> {
    let mut parts = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TplPart::Lit(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed placeholder in `{t}`"))?;
        parts.push(TplPart::Var(rest[open + 1..open + close].to_string()));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(TplPart::Lit(rest.to_string()));
    }
    Ok(parts)
}

/// Compiles a table (the embedded one, or user configuration in the same schema).
fn compile(yaml: &str, eager: bool) -> Result<Compiled, String> {
    let table: Table = serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
    let mut images = Vec::new();
    for entry in table.images {
        let mut rules = Vec::new();
        for r in &entry.rules {
            let mut re = String::from("^");
            let mut vars = Vec::new();
            for part in split_template(&r.full)? {
                match part {
                    TplPart::Lit(l) => re.push_str(&regex::escape(&l)),
                    TplPart::Var(v) => {
                        let body = table.placeholders.get(&v).ok_or_else(|| {
                            format!("unknown placeholder {{{v}}} in `{}`", r.full)
                        })?;
                        re.push_str(&format!("(?P<{v}>{body})"));
                        vars.push(v);
                    }
                }
            }
            re.push('$');
            let pattern = LazyRegex::new(re, eager)?;
            let tpl = |t: &Option<String>| -> Result<Option<Vec<TplPart>>, String> {
                let Some(t) = t else { return Ok(None) };
                let parts = split_template(t)?;
                for p in &parts {
                    if let TplPart::Var(v) = p
                        && !vars.contains(v)
                    {
                        return Err(format!("template `{t}` uses {{{v}}}, not captured"));
                    }
                }
                Ok(Some(parts))
            };
            rules.push(Rule {
                pattern,
                slim: tpl(&r.slim)?,
                alpine: tpl(&r.alpine)?,
                entry: RuleEntry {
                    full: r.full.clone(),
                    slim: r.slim.clone(),
                    alpine: r.alpine.clone(),
                    slim_image: r.slim_image.clone(),
                    slim_os: r.slim_os.clone(),
                    size_mb: r.size_mb.clone(),
                    lacks: r.lacks.clone(),
                    slim_has: r.slim_has.clone(),
                    unsafe_reason: r.unsafe_reason.clone(),
                },
            });
        }
        images.push(Image { entry, rules });
    }
    Ok(Compiled {
        placeholders: table.placeholders,
        leave_alone: table.leave_alone,
        images,
    })
}

/// Whether a tag names a variant that is already small or special (slim, alpine, Windows...).
pub fn is_leave_alone_tag(tag: &str) -> bool {
    tag.split(['-', '.', '_'])
        .any(|w| TABLE.leave_alone.iter().any(|l| l == w))
}

/// Whether the repository of a reference is in the table (`python`, `docker.io/library/node`).
pub fn is_known_image(image_ref: &str) -> bool {
    parse_ref(image_ref).is_some_and(|r| with_image(r.name, |_| ()).is_some())
}

/// The slim variant of a full image reference, or `None` (unknown image, no slim variant, or a tag
/// that is already slim, alpine, Windows...). A digest-pinned reference still maps; see
/// [`SlimMapping::digest`].
pub fn slim_variant(image_ref: &str) -> Option<SlimMapping> {
    variant(image_ref, Variant::Slim)
}

/// The alpine variant of a full image reference (same rules as [`slim_variant`]).
pub fn alpine_variant(image_ref: &str) -> Option<SlimMapping> {
    variant(image_ref, Variant::Alpine)
}

/// The `v` variant of a full image reference.
pub fn variant(image_ref: &str, v: Variant) -> Option<SlimMapping> {
    let r = parse_ref(image_ref)?;
    let tag = r.tag.unwrap_or("latest");
    if tag.contains('$') {
        return None;
    }
    map_tag(&r, tag, v)
}

/// Maps an already-parsed reference with an explicit (for example ARG-expanded) tag.
pub fn map_tag(r: &ImageRef<'_>, tag: &str, v: Variant) -> Option<SlimMapping> {
    if is_leave_alone_tag(tag) {
        return None;
    }
    with_image(r.name, |img| map_in(img, r, tag, v)).flatten()
}

fn map_in(img: &Image, r: &ImageRef<'_>, tag: &str, v: Variant) -> Option<SlimMapping> {
    let rule = img
        .rules
        .iter()
        .find(|rule| rule.pattern.get().is_match(tag))?;
    let caps = rule.pattern.get().captures(tag)?;
    let tpl = match v {
        Variant::Slim => rule.slim.as_ref()?,
        Variant::Alpine => rule.alpine.as_ref()?,
    };
    let mut template = Vec::new();
    let mut variant_tag = String::new();
    for p in tpl {
        match p {
            TplPart::Lit(l) => {
                variant_tag.push_str(l);
                template.push(TagPart::Lit(l.clone()));
            }
            TplPart::Var(name) => {
                let m = caps.name(name)?;
                variant_tag.push_str(m.as_str());
                template.push(TagPart::Tag(m.range()));
            }
        }
    }
    let e = &img.entry;
    let re = &rule.entry;
    let variant_image = match v {
        Variant::Slim => re.slim_image.clone().unwrap_or_else(|| e.image.clone()),
        Variant::Alpine => e.image.clone(),
    };
    let sizes = re.size_mb.clone().unwrap_or_else(|| e.size_mb.clone());
    let full_mb = sizes.full.or(e.size_mb.full).unwrap_or(0);
    let variant_mb = match v {
        Variant::Slim => sizes.slim.or(e.size_mb.slim),
        Variant::Alpine => sizes.alpine.or(e.size_mb.alpine),
    }
    .unwrap_or(0);
    let libc = if e.libc == "musl" {
        Libc::Musl
    } else {
        Libc::Glibc
    };
    let (variant_os, variant_libc) = match v {
        Variant::Slim => (re.slim_os.clone().unwrap_or_else(|| e.os.clone()), libc),
        Variant::Alpine => ("alpine".to_string(), Libc::Musl),
    };
    Some(SlimMapping {
        image: e.image.clone(),
        tag: tag.to_string(),
        digest: r.digest.map(str::to_string),
        variant: v,
        reference: format!("{}{}:{}", r.prefix, variant_image, variant_tag),
        variant_image,
        variant_tag,
        template,
        full_mb,
        variant_mb,
        os: e.os.clone(),
        variant_os,
        libc,
        variant_libc,
        lacks: re.lacks.clone().unwrap_or_else(|| e.lacks.clone()),
        variant_has: match v {
            Variant::Slim => re.slim_has.clone().unwrap_or_else(|| e.slim_has.clone()),
            Variant::Alpine => Vec::new(),
        },
        unsafe_reason: re.unsafe_reason.clone(),
    })
}

/// The libc of an image reference when it can be told from the name alone: alpine-based tags and
/// `alpine` itself are musl, the table's full images are glibc. `None` when unknown.
pub fn libc_of(image_ref: &str) -> Option<Libc> {
    let r = parse_ref(image_ref)?;
    let tag = r.tag.unwrap_or("latest");
    if tag.contains('$') {
        return None;
    }
    if r.name == "alpine" || tag.split(['-', '.', '_']).any(|w| w.starts_with("alpine")) {
        return Some(Libc::Musl);
    }
    with_image(r.name, |img| {
        if img.entry.libc == "musl" {
            Libc::Musl
        } else {
            Libc::Glibc
        }
    })
}

/// `1020` -> `~1.0 GB`, `130` -> `~130 MB`.
pub fn human_mb(mb: u32) -> String {
    if mb >= 1000 {
        format!("~{:.1} GB", f64::from(mb) / 1000.0)
    } else {
        format!("~{mb} MB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_compiles() {
        let c = compile(TABLE_YAML, true).unwrap();
        assert!(c.images.len() >= 9);
        for img in &c.images {
            assert!(!img.rules.is_empty(), "{}", img.entry.image);
            assert!(img.entry.size_mb.full.is_some(), "{}", img.entry.image);
        }
    }

    fn slim(r: &str) -> Option<String> {
        slim_variant(r).map(|m| m.reference)
    }

    #[test]
    fn python_tags() {
        assert_eq!(slim("python:3.12").as_deref(), Some("python:3.12-slim"));
        assert_eq!(slim("python:3.12.4").as_deref(), Some("python:3.12.4-slim"));
        assert_eq!(slim("python:3").as_deref(), Some("python:3-slim"));
        assert_eq!(
            slim("python:3.12-bookworm").as_deref(),
            Some("python:3.12-slim-bookworm")
        );
        assert_eq!(slim("python:latest").as_deref(), Some("python:slim"));
        assert_eq!(slim("python").as_deref(), Some("python:slim"));
        assert_eq!(
            slim("python:3.13.0rc1").as_deref(),
            Some("python:3.13.0rc1-slim")
        );
        assert_eq!(
            slim("docker.io/library/python:3.12").as_deref(),
            Some("docker.io/library/python:3.12-slim")
        );
        assert_eq!(
            slim("library/python:3.12").as_deref(),
            Some("library/python:3.12-slim")
        );
    }

    #[test]
    fn other_images() {
        assert_eq!(
            slim("node:20-bookworm").as_deref(),
            Some("node:20-bookworm-slim")
        );
        assert_eq!(slim("node:lts").as_deref(), Some("node:lts-slim"));
        assert_eq!(slim("ruby:3.3").as_deref(), Some("ruby:3.3-slim"));
        assert_eq!(slim("perl:5.40").as_deref(), Some("perl:5.40-slim"));
        assert_eq!(
            slim("debian:bookworm").as_deref(),
            Some("debian:bookworm-slim")
        );
        assert_eq!(slim("debian").as_deref(), Some("debian:stable-slim"));
        assert_eq!(slim("rust:1.77").as_deref(), Some("rust:1.77-slim"));
        assert_eq!(slim("golang:1.22"), None);
        assert_eq!(slim("php:8.3-cli"), None);
        assert_eq!(
            alpine_variant("php:8.3-fpm")
                .map(|m| m.reference)
                .as_deref(),
            Some("php:8.3-fpm-alpine")
        );
        assert_eq!(
            alpine_variant("golang:1.22-bookworm")
                .map(|m| m.reference)
                .as_deref(),
            Some("golang:1.22-alpine")
        );
        let j = slim_variant("openjdk:17-jdk").unwrap();
        assert_eq!(j.reference, "eclipse-temurin:17-jre");
        assert!(j.unsafe_reason.is_some());
        assert_eq!(
            slim("eclipse-temurin:21-jdk-noble").as_deref(),
            Some("eclipse-temurin:21-jre-noble")
        );
    }

    #[test]
    fn left_alone() {
        for r in [
            "python:3.12-slim",
            "python:3.12-slim-bookworm",
            "python:3.12-alpine",
            "node:20-alpine3.19",
            "python:3.12-windowsservercore-ltsc2022",
            "eclipse-temurin:17-jre",
            "scratch",
            "gcr.io/distroless/python3",
            "bitnami/python:3.12",
            "ghcr.io/library/python:3.12",
            "python:${PY}",
            "python:3.12-bookworm-extra",
            "",
        ] {
            assert_eq!(slim(r), None, "{r}");
        }
    }

    #[test]
    fn digest_and_template() {
        let m = slim_variant("python:3.12-bookworm@sha256:abc").unwrap();
        assert_eq!(m.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(m.reference, "python:3.12-slim-bookworm");
        assert_eq!(
            m.template,
            vec![
                TagPart::Tag(0..4),
                TagPart::Lit("-slim-".into()),
                TagPart::Tag(5..13)
            ]
        );
        assert_eq!(human_mb(m.full_mb), "~1.0 GB");
        assert_eq!(human_mb(m.variant_mb), "~130 MB");
    }

    #[test]
    fn libc() {
        assert_eq!(libc_of("python:3.12"), Some(Libc::Glibc));
        assert_eq!(libc_of("python:3.12-alpine"), Some(Libc::Musl));
        assert_eq!(libc_of("alpine:3.19"), Some(Libc::Musl));
        assert_eq!(libc_of("golang:1.22-alpine3.19"), Some(Libc::Musl));
        assert_eq!(libc_of("ghcr.io/x/y:1"), None);
    }
}
