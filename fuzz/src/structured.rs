//! Structured input for `fix_structured`: a Dockerfile built from a vocabulary of instructions and
//! package-manager commands, with continuations (comment and blank lines inside them), heredocs, CRLF,
//! the `# escape=` directive, a BOM, quotes and pragmas, so the fuzzer spends its time in the passes'
//! rewriting code rather than in the parser's error paths.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::Options;

/// A generated Dockerfile and the options to run it with.
#[derive(Debug)]
pub struct Input {
    pub bytes: Vec<u8>,
    pub opts: Options,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let opts = Options {
            base_alpine: u.arbitrary()?,
            cache_mounts: u.arbitrary()?,
            context: u.arbitrary()?,
        };
        let crlf = u.ratio(1, 5)?;
        let escape = *u.choose(&[None, None, None, Some('\\'), Some('`')])?;
        let mut g = Gen {
            out: String::new(),
            eol: if crlf { "\r\n" } else { "\n" },
            esc: escape.unwrap_or('\\'),
        };
        let bom = u.ratio(1, 8)?;
        if bom {
            g.out.push('\u{feff}');
        }
        if u.ratio(1, 4)? {
            g.line("# syntax=docker/dockerfile:1");
        }
        if let Some(e) = escape {
            g.line(&format!("# escape={e}"));
        }
        if u.ratio(7, 8)? {
            g.from(u)?;
        }
        let mut n = 0;
        while n < 40 && !u.is_empty() && u.ratio(15, 16)? {
            g.item(u)?;
            n += 1;
        }
        if u.ratio(1, 6)? {
            // No final line terminator.
            let cut = g.out.trim_end_matches(['\r', '\n']).len();
            g.out.truncate(cut);
        }
        Ok(Input {
            bytes: g.out.into_bytes(),
            opts,
        })
    }
}

struct Gen {
    out: String,
    eol: &'static str,
    esc: char,
}

const IMAGES: &[&str] = &[
    "python:3.12",
    "python:3.11-slim",
    "python:3.12-alpine",
    "python",
    "node:20",
    "node:20-alpine",
    "node:lts-bookworm",
    "ubuntu:22.04",
    "debian:bookworm",
    "alpine:3.19",
    "golang:1.22",
    "ruby:3.3",
    "fedora:40",
    "centos:7",
    "rockylinux:9",
    "redhat/ubi9-minimal",
    "eclipse-temurin:17",
    "maven:3-eclipse-temurin-17",
    "php:8.2-apache",
    "rust:1.78",
    "scratch",
    "python:3.12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "docker.io/library/python:3.12",
    "registry.example.com:5000/team/app:1.0",
    "${BASE}",
    "$BASE",
    "python:${PY}-slim",
    "builder",
    "base",
];

const STAGES: &[&str] = &[
    " AS builder",
    " as build",
    " AS base",
    " AS final",
    " AS runtime",
    " AS Builder",
];

const PACKAGES: &[&str] = &[
    "curl",
    "build-essential",
    "gcc",
    "git",
    "ca-certificates",
    "python3-dev",
    "libpq-dev",
    "\"curl\"",
    "'wget'",
    "$DEPS",
    "${PKGS}",
    "make",
    "g++",
    "musl-dev",
    "openssl=3.0.2-0ubuntu1",
    "vim-tiny",
];

const PIP_PROGS: &[&str] = &[
    "pip",
    "pip3",
    "python -m pip",
    "python3 -m pip",
    "/usr/local/bin/pip",
    "sudo pip",
    "env PIP_X=1 pip",
    "PIP_NO_CACHE_DIR=1 pip",
    "pip3.12",
    "python3.12 -m pip",
    "uv pip",
    "pipx",
];

const PIP_SUBS: &[&str] = &[
    "install",
    "install --upgrade",
    "install -U",
    "install --no-cache-dir",
    "install --user",
    "download",
    "wheel",
    "uninstall -y",
    "--no-cache-dir install",
    "-q install",
    "install -q",
    "freeze",
];

const PIP_ARGS: &[&str] = &[
    "flask",
    "-r requirements.txt",
    "--requirement=requirements.txt",
    ".",
    "-e .",
    "\"django<5\"",
    "'numpy>=1'",
    "--index-url https://pypi.example.com/simple",
    "$PKGS",
    "${PKGS}",
    "requests==2.31.0",
    "--no-cache-dir",
    "--target=/opt/lib",
    "pip",
    "setuptools wheel",
    "--no-deps",
    "--",
];

const APT: &[&str] = &[
    "apt-get update",
    "apt-get install -y",
    "apt-get -y install",
    "apt install -y",
    "apt-get install -y --no-install-recommends",
    "apt-get install --no-install-recommends -y",
    "DEBIAN_FRONTEND=noninteractive apt-get install -yq",
    "apt-get -qq update",
    "apt-get upgrade -y",
    "apt-get dist-upgrade -y",
    "apt-get clean",
    "rm -rf /var/lib/apt/lists/*",
    "rm -rf /var/lib/apt/lists",
    "apt-get purge -y --auto-remove",
    "apt-get autoremove -y",
    "sudo apt-get install -y",
    "apt-get install",
];

const APK: &[&str] = &[
    "apk add",
    "apk add --no-cache",
    "apk update",
    "apk --update add",
    "apk add --update",
    "apk add --virtual .build-deps",
    "apk add --no-cache --virtual=.deps",
    "apk del .build-deps",
    "apk upgrade",
    "rm -rf /var/cache/apk/*",
];

const RPM: &[&str] = &[
    "dnf install -y",
    "yum install -y",
    "microdnf install -y",
    "microdnf install",
    "yum -y install",
    "dnf -y --setopt=install_weak_deps=False install",
    "dnf clean all",
    "yum clean all",
    "microdnf clean all",
    "rm -rf /var/cache/yum",
    "rm -rf /var/cache/dnf",
    "dnf makecache",
    "yum update -y",
    "tdnf install -y",
    "zypper install -y",
];

const NPM: &[&str] = &[
    "npm install",
    "npm ci",
    "npm ci --omit=dev",
    "npm i -g npm",
    "npm install --production",
    "npm cache clean --force",
    "yarn install",
    "yarn install --frozen-lockfile",
    "yarn",
    "yarn cache clean",
    "yarn set version berry",
    "pnpm install --frozen-lockfile",
    "npm run build",
    "corepack enable",
    "rm -rf ~/.npm",
    "npm config set cache /tmp/npm",
];

const GEM: &[&str] = &[
    "gem install bundler",
    "gem install --no-document rails",
    "gem install -N rake",
    "bundle install",
    "bundle config set without development",
    "gem update --system",
    "echo 'gem: --no-document' > ~/.gemrc",
];

const USERS: &[&str] = &[
    "useradd -m app",
    "useradd -r -u 1000 -g app app",
    "useradd --no-log-init -r app",
    "useradd -l app",
    "adduser -D app",
    "adduser --disabled-password app",
    "groupadd -r app",
    "groupadd -r app && useradd -r -g app app",
    "usermod -aG sudo app",
];

const MISC: &[&str] = &[
    "cd /app",
    "echo hello",
    "echo \"pip install nope\"",
    "echo 'apt-get install -y x'",
    "curl -fsSL https://example.com/install.sh | sh",
    "wget -qO- https://example.com/x.tar.gz | tar xz -C /opt",
    "make",
    "make install",
    "go build -o /out/app ./...",
    "go mod download",
    "cargo build --release",
    "mvn -B package",
    "./gradlew build",
    "mkdir -p /app",
    "cp -r a b",
    "chmod +x /entrypoint.sh",
    "true",
    "set -eux",
    "export A=1",
    "if [ -f requirements.txt ]; then pip install -r requirements.txt; fi",
    "for p in a b; do pip install $p; done",
    "(cd src && make)",
    "{ echo a; echo b; }",
    "sh -c 'pip install x'",
    "bash -lc \"apt-get update && apt-get install -y curl\"",
    "exit 0",
    "sudo -u app pip install x",
    "python setup.py install",
    "pip install x 2>&1 > /dev/null",
    "A=1 B=2",
    "echo $((1+2))",
    "echo `date`",
    "echo $(pip --version)",
    "rm -rf /tmp/* /root/.cache",
    "ln -s /usr/bin/python3 /usr/bin/python",
    "echo a\\ b",
    "echo \"unterminated",
    "echo 'it''s'",
    "echo \\\"",
    "# not a comment, an argument",
];

const SEPS: &[&str] = &[
    " && ", " ; ", "; ", " || ", " | ", " &&", "&& ", " & ", " && \t", ";",
];

const COPY_OPTS: &[&str] = &[
    "",
    "",
    "--from=builder ",
    "--from=0 ",
    "--chown=app:app ",
    "--link ",
    "--chmod=755 ",
    "--from=python:3.12 ",
    "--exclude=*.pyc ",
];

const COPY_SRCS: &[&str] = &[
    ".",
    "./",
    "requirements.txt",
    "requirements*.txt",
    "package.json",
    "package.json package-lock.json",
    "package*.json",
    "yarn.lock",
    "Gemfile Gemfile.lock",
    "go.mod go.sum",
    "pyproject.toml poetry.lock",
    "src/",
    "src",
    "*.py",
    "app.py",
    "app.tar.gz",
    "vendor.tgz",
    "https://example.com/file.tar.gz",
    "https://example.com/script.sh",
    "git@github.com:x/y.git",
    "\"a b.txt\"",
    "$SRC",
    "/out/app",
    "/app",
    "entrypoint.sh",
];

const DESTS: &[&str] = &["/app", "/app/", ".", "./", "/usr/local/bin/", "$HOME/", "/"];

const ENVS: &[&str] = &[
    "ENV A=1",
    "ENV PIP_NO_CACHE_DIR=1",
    "ENV PIP_NO_CACHE_DIR=off",
    "ENV PIP_NO_CACHE_DIR=0",
    "ENV A 1",
    "ENV A=\"two words\" B=2",
    "ENV PATH=/opt/venv/bin:$PATH",
    "ENV DEBIAN_FRONTEND=noninteractive",
    "ENV NPM_CONFIG_CACHE=/tmp/npm",
    "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1",
    "ENV HOME=/home/app",
    "ENV PKGS=\"flask gunicorn\"",
    "ENV A=1 \\",
    "ARG BASE=python:3.12",
    "ARG BASE",
    "ARG VERSION",
    "ARG PY=3.12",
    "ARG PKGS=\"a b\"",
    "ARG TARGETPLATFORM",
    "ARG PIP_NO_CACHE_DIR",
];

const SIMPLE: &[&str] = &[
    "WORKDIR /app",
    "WORKDIR app",
    "WORKDIR $HOME",
    "WORKDIR /src",
    "USER app",
    "USER root",
    "USER 1000:1000",
    "USER $USER",
    "MAINTAINER John Doe <john@example.com>",
    "MAINTAINER \"x\"",
    "MAINTAINER",
    "LABEL maintainer=\"x@y\"",
    "LABEL a=b c=\"d e\"",
    "EXPOSE 80 443/udp",
    "EXPOSE 8000",
    "VOLUME /data",
    "VOLUME [\"/data\"]",
    "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
    "SHELL [\"powershell\", \"-Command\"]",
    "SHELL [\"/bin/sh\", \"-c\"]",
    "STOPSIGNAL SIGTERM",
    "ONBUILD RUN pip install flask",
    "ONBUILD COPY . /app",
    "ONBUILD ADD app.tar.gz /app",
    "HEALTHCHECK NONE",
    "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
    "HEALTHCHECK --interval=30s --timeout=3s CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    "HEALTHCHECK CMD [\"true\"]",
    "CMD [\"python\", \"app.py\"]",
    "CMD [\"npm\",\"start\"]",
    "CMD []",
    "CMD [python, app.py]",
    "CMD python app.py",
    "CMD npm start",
    "CMD exec gunicorn app:app",
    "CMD echo $HOME",
    "CMD [\"sh\", \"-c\", \"echo $HOME\"]",
    "CMD ./run.sh --flag \"quoted arg\"",
    "CMD python app.py && echo done",
    "ENTRYPOINT [\"/entrypoint.sh\"]",
    "ENTRYPOINT []",
    "ENTRYPOINT /entrypoint.sh",
    "ENTRYPOINT python -m app",
    "ENTRYPOINT exec /bin/app",
];

const COMMENTS: &[&str] = &[
    "# a comment",
    "#",
    "# dockopt: skip=pip-no-cache",
    "# dockopt: skip=apt-hygiene,exec-form",
    "# dockopt: skip",
    "# dockopt: skip-file",
    "# dockopt: skip=nonexistent",
    "# hadolint ignore=DL3042",
    "# hadolint ignore=DL3008,DL3009",
    "# hadolint ignore=DL9999",
    "# syntax=docker/dockerfile:1",
    "# escape=`",
    "   # indented comment",
    "#comment",
    "# é ünïcode ✓",
];

const HEREDOC_OPENERS: &[&str] = &[
    "RUN <<EOF",
    "RUN <<-EOT",
    "RUN <<'EOF'",
    "RUN <<\"EOF\"",
    "RUN cat <<EOF > /etc/app.conf",
    "RUN python3 <<EOF",
    "RUN <<EOF bash",
    "RUN --mount=type=cache,target=/root/.cache <<EOF",
    "RUN set -e; <<EOF",
    "COPY <<EOF /etc/app.conf",
    "COPY <<-EOF /app/run.sh",
    "RUN <<A <<B",
];

impl Gen {
    fn eol(&mut self) {
        self.out.push_str(self.eol);
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.eol();
    }

    /// A line continuation, sometimes with comment or blank lines (or trailing spaces) before the
    /// next line of the instruction.
    fn brk(&mut self, u: &mut Unstructured) -> Result<()> {
        self.out.push(' ');
        self.out.push(self.esc);
        if u.ratio(1, 8)? {
            self.out.push_str("  ");
        }
        self.eol();
        match u.int_in_range(0..=5u8)? {
            0 => self.line("    # a comment inside"),
            1 => self.line("# apt-get install -y nope"),
            2 => self.eol(),
            3 => {
                self.line("  #");
                self.eol();
            }
            _ => {}
        }
        self.out.push_str(*u.choose(&["    ", "  ", "\t", ""])?);
        Ok(())
    }

    fn maybe_brk(&mut self, u: &mut Unstructured) -> Result<()> {
        if u.ratio(1, 5)? {
            self.brk(u)?;
        }
        Ok(())
    }

    fn keyword(&mut self, u: &mut Unstructured, kw: &str) -> Result<()> {
        if u.ratio(1, 10)? {
            self.out.push_str("  ");
        }
        match u.int_in_range(0..=9u8)? {
            0 => self.out.push_str(&kw.to_lowercase()),
            1 => {
                let mut c = kw.chars();
                if let Some(f) = c.next() {
                    self.out.push(f);
                    self.out.push_str(&c.as_str().to_lowercase());
                }
            }
            _ => self.out.push_str(kw),
        }
        Ok(())
    }

    fn from(&mut self, u: &mut Unstructured) -> Result<()> {
        self.keyword(u, "FROM")?;
        self.out.push(' ');
        if u.ratio(1, 8)? {
            self.out.push_str("--platform=$BUILDPLATFORM ");
        }
        self.out.push_str(u.choose(IMAGES)?);
        if u.ratio(1, 3)? {
            self.out.push_str(u.choose(STAGES)?);
        }
        self.eol();
        Ok(())
    }

    fn words(&mut self, u: &mut Unstructured, vocab: &[&str], max: u8) -> Result<()> {
        let n = u.int_in_range(0..=max)?;
        for _ in 0..n {
            self.out.push(' ');
            self.out.push_str(u.choose(vocab)?);
        }
        Ok(())
    }

    fn command(&mut self, u: &mut Unstructured) -> Result<()> {
        match u.int_in_range(0..=9u8)? {
            0 | 1 => {
                self.out.push_str(u.choose(PIP_PROGS)?);
                self.out.push(' ');
                self.out.push_str(u.choose(PIP_SUBS)?);
                self.words(u, PIP_ARGS, 3)?;
            }
            2 | 3 => {
                self.out.push_str(u.choose(APT)?);
                self.words(u, PACKAGES, 3)?;
            }
            4 => {
                self.out.push_str(u.choose(APK)?);
                self.words(u, PACKAGES, 3)?;
            }
            5 => {
                self.out.push_str(u.choose(RPM)?);
                self.words(u, PACKAGES, 2)?;
            }
            6 => self.out.push_str(u.choose(NPM)?),
            7 => {
                let v = *u.choose(&[GEM, USERS])?;
                self.out.push_str(u.choose(v)?);
            }
            8 => self.out.push_str(u.choose(MISC)?),
            _ => {
                // A raw fragment: lets the fuzzer try text the vocabulary lacks.
                let raw: &str = u.arbitrary()?;
                self.out.push_str(&raw.chars().take(24).collect::<String>());
            }
        }
        Ok(())
    }

    fn run(&mut self, u: &mut Unstructured) -> Result<()> {
        self.keyword(u, "RUN")?;
        self.out.push(' ');
        if u.ratio(1, 6)? {
            self.out.push_str(u.choose(&[
                "--mount=type=cache,target=/root/.cache/pip ",
                "--mount=type=cache,target=/var/cache/apt,sharing=locked ",
                "--network=none ",
                "--mount=type=secret,id=npmrc ",
                "--mount=type=bind,source=requirements.txt,target=/tmp/r.txt ",
            ])?);
        }
        if u.ratio(1, 8)? {
            // Exec form.
            self.out.push_str(u.choose(&[
                "[\"pip\", \"install\", \"flask\"]",
                "[\"sh\", \"-c\", \"apt-get update && apt-get install -y curl\"]",
                "[\"apk\", \"add\", \"curl\"]",
                "[\"npm\", \"ci\"]",
                "[ \"pip\" , \"install\" ]",
                "[\"pip\", \"install\", ",
            ])?);
            self.eol();
            return Ok(());
        }
        let n = u.int_in_range(1..=6u8)?;
        for i in 0..n {
            if i > 0 {
                let sep = *u.choose(SEPS)?;
                if u.ratio(1, 2)? {
                    self.out.push_str(sep.trim_end());
                    self.brk(u)?;
                    self.out.push_str(sep.trim_start());
                } else {
                    self.out.push_str(sep);
                }
            }
            self.command(u)?;
        }
        self.eol();
        Ok(())
    }

    fn heredoc(&mut self, u: &mut Unstructured) -> Result<()> {
        let opener = *u.choose(HEREDOC_OPENERS)?;
        self.out.push_str(opener);
        self.eol();
        let terms: &[&str] = match opener {
            o if o.contains("EOT") => &["EOT"],
            "RUN <<A <<B" => &["A", "B"],
            _ => &["EOF"],
        };
        let dash = opener.contains("<<-");
        for t in terms {
            let lines = u.int_in_range(0..=4u8)?;
            for _ in 0..lines {
                if u.ratio(1, 4)? {
                    self.out.push_str(u.choose(&[
                        "# body comment",
                        "",
                        "  indented",
                        "\tpip install y",
                    ])?);
                } else {
                    if dash && u.ratio(1, 2)? {
                        self.out.push('\t');
                    }
                    self.command(u)?;
                }
                self.eol();
            }
            if dash && u.ratio(1, 3)? {
                self.out.push('\t');
            }
            self.line(t);
        }
        Ok(())
    }

    fn copy(&mut self, u: &mut Unstructured) -> Result<()> {
        let kw = *u.choose(&["COPY", "COPY", "ADD"])?;
        self.keyword(u, kw)?;
        self.out.push(' ');
        self.out.push_str(u.choose(COPY_OPTS)?);
        if u.ratio(1, 10)? {
            self.out.push_str(u.choose(&[
                "[\"requirements.txt\", \"/app/\"]",
                "[\"a b.txt\", \"/dst/\"]",
                "[\"app.tar.gz\", \"/app\"]",
            ])?);
            self.eol();
            return Ok(());
        }
        let n = u.int_in_range(1..=3u8)?;
        for _ in 0..n {
            self.out.push_str(u.choose(COPY_SRCS)?);
            self.maybe_brk(u)?;
            self.out.push(' ');
        }
        self.out.push_str(u.choose(DESTS)?);
        self.eol();
        Ok(())
    }

    fn item(&mut self, u: &mut Unstructured) -> Result<()> {
        match u.int_in_range(0..=19u8)? {
            0..=5 => self.run(u)?,
            6 | 7 => self.copy(u)?,
            8 => self.from(u)?,
            9 | 10 => {
                let s = *u.choose(ENVS)?;
                let (kw, rest) = s.split_once(' ').unwrap_or((s, ""));
                self.keyword(u, kw)?;
                self.out.push(' ');
                self.out.push_str(rest);
                self.maybe_brk(u)?;
                self.eol();
            }
            11..=13 => {
                let s = *u.choose(SIMPLE)?;
                let (kw, rest) = s.split_once(' ').unwrap_or((s, ""));
                self.keyword(u, kw)?;
                if !rest.is_empty() {
                    self.out.push(' ');
                    if u.ratio(1, 8)? {
                        // Split the arguments over a continuation.
                        if rest.is_char_boundary(rest.len() / 2) {
                            let (a, b) = rest.split_at(rest.len() / 2);
                            self.out.push_str(a);
                            self.brk(u)?;
                            self.out.push_str(b);
                        } else {
                            self.out.push_str(rest);
                        }
                    } else {
                        self.out.push_str(rest);
                    }
                }
                self.eol();
            }
            14 => self.heredoc(u)?,
            15 | 16 => self.line(u.choose(COMMENTS)?),
            17 => self
                .out
                .push_str(u.choose(&["\n", "\r\n", "   \n", "\t\r\n"])?),
            18 => {
                // A raw line, for the parser's edges.
                let raw: &str = u.arbitrary()?;
                self.out.push_str(&raw.chars().take(40).collect::<String>());
                self.eol();
            }
            _ => {
                self.run(u)?;
            }
        }
        Ok(())
    }
}
