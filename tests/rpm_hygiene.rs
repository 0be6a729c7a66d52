//! rpm-hygiene: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["rpm-hygiene"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "rpm-hygiene must leave this alone");
    assert!(out.applied.is_empty());
}

fn fixed(input: &str) -> String {
    run(input, &ONLY).unwrap().output
}

#[test]
fn rhel_java_service() {
    let input = r#"FROM registry.access.redhat.com/ubi9/ubi:9.4
RUN dnf install \
        # runtime
        java-21-openjdk-headless \
        shadow-utils \
    && dnf update # security fixes
RUN yum install -y tzdata; yum clean all
RUN microdnf install -y findutils
COPY target/app.jar /opt/app/app.jar
CMD ["java", "-jar", "/opt/app/app.jar"]
"#;
    snap!("rpm_hygiene__rhel_java_service", report(input, &ONLY));
}

#[test]
fn opensuse_with_later_zypper() {
    let input = r#"FROM opensuse/leap:15.6
RUN zypper refresh && zypper in curl gzip
RUN zypper --non-interactive install git
RUN zypper -n in -y make && zypper clean --all
"#;
    snap!(
        "rpm_hygiene__opensuse_with_later_zypper",
        report(input, &ONLY)
    );
    let out = fixed(input);
    // A later RUN uses zypper: only the package cache goes; the last RUN cleaned everything already.
    assert!(out.contains("RUN zypper refresh && zypper in -y curl gzip && zypper clean\n"));
    assert!(out.contains("install git && zypper clean\n"));
    assert!(out.ends_with("RUN zypper -n in -y make && zypper clean --all\n"));
}

#[test]
fn one_clean_per_family() {
    assert_eq!(
        fixed("FROM rockylinux:9\nRUN yum install -y yum-utils && dnf install -y clang\n"),
        "FROM rockylinux:9\nRUN yum install -y yum-utils && dnf install -y clang && dnf clean all\n"
    );
    // A clean before the last install does not count.
    assert_eq!(
        fixed("FROM fedora:40\nRUN dnf clean all && dnf install -y git\n"),
        "FROM fedora:40\nRUN dnf clean all && dnf install -y git && dnf clean all\n"
    );
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM fedora:40\nRUN <<EOF\ndnf install git\nEOF\n";
    snap!(
        "rpm_hygiene__heredoc_body_is_reported_not_edited",
        report(input, &ONLY)
    );
    unchanged(input);
}

#[test]
fn already_answered_and_cleaned() {
    unchanged("FROM fedora:40\nRUN dnf install -y git && dnf clean all\n");
    unchanged("FROM fedora:40\nRUN dnf --assumeyes install git && dnf clean all\n");
    unchanged("FROM centos:7\nRUN yum -y install git && rm -rf /var/cache/yum\n");
    unchanged("FROM centos:7\nRUN yum -y install git && yum clean all && rm -rf /tmp/*\n");
    unchanged("FROM opensuse/leap\nRUN zypper --non-interactive in git && zypper cc -a\n");
    unchanged("FROM fedora:40\nRUN dnf --assumeno install git && dnf clean all\n");
}

#[test]
fn microdnf_gets_no_yes_flag() {
    assert_eq!(
        fixed("FROM ubi9/ubi-minimal\nRUN microdnf install shadow-utils\n"),
        "FROM ubi9/ubi-minimal\nRUN microdnf install shadow-utils && microdnf clean all\n"
    );
}

#[test]
fn refusals_are_reported() {
    let cases = [
        (
            "# syntax=docker/dockerfile:1\nFROM fedora:40\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y git\n",
            "cache mount at /var/cache/dnf",
        ),
        (
            "FROM fedora:40\nRUN dnf --installroot=/sysroot install -y bash\n",
            "--installroot",
        ),
        (
            "FROM fedora:40\nRUN dnf --setopt=cachedir=/build/cache install -y bash\n",
            "cachedir",
        ),
        (
            "FROM fedora:40\nUSER app\nRUN sudo dnf install -y git\n",
            "through `sudo`",
        ),
        (
            "FROM fedora:40\nRUN dnf install -y git && exit 0\n",
            "ends with `exit`",
        ),
    ];
    for (input, reason) in cases {
        unchanged(input);
        let out = run(input, &ONLY).unwrap();
        assert!(
            out.skipped.iter().any(|s| s.reason.contains(reason)),
            "{input}: {:?}",
            out.skipped
        );
    }
}

#[test]
fn a_later_cache_only_reader_keeps_the_cache() {
    let input = "FROM fedora:40\nRUN dnf install -y git\nRUN dnf -C install -y make\n";
    let out = run(input, &ONLY).unwrap();
    assert_eq!(
        out.output,
        "FROM fedora:40\nRUN dnf install -y git\nRUN dnf -C install -y make && dnf clean all\n"
    );
    assert!(
        out.skipped[0]
            .reason
            .contains("line 3 reads only the cache")
    );
}

#[test]
fn a_later_makecache_lets_the_clean_happen() {
    assert_eq!(
        fixed(
            "FROM fedora:40\nRUN dnf install -y git\nRUN dnf makecache && dnf -C install -y make\n"
        ),
        "FROM fedora:40\nRUN dnf install -y git && dnf clean all\nRUN dnf makecache && dnf -C install -y make && dnf clean all\n"
    );
}

#[test]
fn left_alone_forms() {
    unchanged("FROM fedora:40\nRUN [\"dnf\", \"install\", \"git\"]\n");
    unchanged("FROM fedora:40\nRUN sh -c \"dnf install git\"\n");
    unchanged("FROM fedora:40\nRUN dnf makecache\n");
    unchanged("FROM fedora:40\nRUN dnf list installed && dnf info bash\n");
    unchanged("FROM fedora:40\nRUN rpm -ivh x.rpm\n");
}

#[test]
fn dangling_continuation_on_the_last_line() {
    // The cleanup goes after the last word, before the escape: `\ &&` would be an escaped space.
    for (input, expected) in [
        (
            "FROM centos:7\nRUN yum install -y httpd \\\n",
            "FROM centos:7\nRUN yum install -y httpd && yum clean all \\\n",
        ),
        (
            "FROM centos:7\nRUN yum install -y httpd \\",
            "FROM centos:7\nRUN yum install -y httpd && yum clean all \\",
        ),
        (
            "FROM centos:7\nRUN yum install -y httpd \\\n\n# end\n",
            "FROM centos:7\nRUN yum install -y httpd && yum clean all \\\n\n# end\n",
        ),
        (
            "# escape=`\nFROM centos:7\nRUN yum install -y httpd `\n",
            "# escape=`\nFROM centos:7\nRUN yum install -y httpd && yum clean all `\n",
        ),
    ] {
        let out = run(input, &ONLY).unwrap();
        assert_eq!(out.output, expected, "input: {input:?}");
        assert_eq!(run(&out.output, &ONLY).unwrap().output, out.output);
    }
}

#[test]
fn a_later_script_that_reads_only_the_cache_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("offline.sh"),
        "#!/bin/sh\ndnf -C install -y jq\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("online.sh"),
        "#!/bin/sh\ndnf install -y jq\n",
    )
    .unwrap();
    let opts = Opts {
        context: Some(dir.path()),
        ..ONLY
    };
    let head = "FROM fedora:40\nRUN dnf install -y httpd\nWORKDIR /src\nCOPY . .\n";
    let out = run(&format!("{head}RUN ./offline.sh\n"), &opts).unwrap();
    assert!(!out.output.contains("clean all"), "{}", out.output);
    assert!(
        out.skipped.iter().any(|k| k.reason
            == "dnf's cache kept: the RUN on line 5 runs `./offline.sh`, which reads only the cache"),
        "{:?}",
        out.skipped
    );
    // A call without -C downloads the metadata again; an unread script is not assumed to use -C.
    for rest in ["RUN ./online.sh\n", "RUN ./missing.sh\n"] {
        let out = run(&format!("{head}{rest}"), &opts).unwrap();
        assert!(
            out.output.contains("dnf install -y httpd && dnf clean all"),
            "{rest}"
        );
    }
}
