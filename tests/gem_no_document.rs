//! gem-no-document: snapshots of realistic inputs, and the cases it must leave alone.

mod common;

use common::{Opts, report, run};

const ONLY: Opts = Opts {
    only: &["gem-no-document"],
    unsafe_fixes: false,
    base_alpine: false,
    cache_mounts: false,
    context: None,
};

fn unchanged(input: &str) {
    let out = run(input, &ONLY).unwrap();
    assert_eq!(out.output, input, "gem-no-document must leave this alone");
    assert!(out.applied.is_empty());
}

#[test]
fn rails_app_on_alpine() {
    let input = r#"FROM alpine:3.20
RUN apk add --no-cache ruby ruby-dev build-base \
    && gem install \
        # pinned for the lockfile
        bundler:2.5.6 \
    && gem update --system
WORKDIR /app
COPY Gemfile Gemfile.lock ./
RUN bundle install
CMD ["bundle", "exec", "rails", "server"]
"#;
    snap!("gem_no_document__rails_app_on_alpine", report(input, &ONLY));
}

#[test]
fn prefixes_and_aliases() {
    let out = run(
        "FROM ruby:3.3\nRUN GEM_HOME=/gems gem i rake -v 13.2 && sudo gem install --user-install fpm\n",
        &ONLY,
    )
    .unwrap();
    assert_eq!(
        out.output,
        "FROM ruby:3.3\nRUN GEM_HOME=/gems gem i rake -v 13.2 --no-document && sudo gem install --user-install fpm --no-document\n"
    );
}

#[test]
fn build_arguments_after_double_dash_stay_last() {
    let out = run(
        "FROM ruby:3.3\nRUN gem install pg -- --with-pg-config=/usr/bin/pg_config > /dev/null\n",
        &ONLY,
    )
    .unwrap();
    assert_eq!(
        out.output,
        "FROM ruby:3.3\nRUN gem install pg --no-document -- --with-pg-config=/usr/bin/pg_config > /dev/null\n"
    );
}

#[test]
fn old_rubygems_is_reported() {
    let input =
        "FROM ubuntu:14.04\nRUN apt-get update && apt-get install -y ruby && gem install sass\n";
    snap!(
        "gem_no_document__old_rubygems_is_reported",
        report(input, &ONLY)
    );
    unchanged(input);
    unchanged("FROM centos:6\nRUN gem install fpm\n");
    unchanged("FROM ruby:1.9.3\nRUN gem install fpm\n");
    unchanged("FROM debian:12\nRUN rvm install 1.9.3 && gem install fpm\n");
    unchanged("FROM docker.io/library/ruby:1.9 AS base\nFROM base\nRUN gem install fpm\n");
}

#[test]
fn heredoc_body_is_reported_not_edited() {
    let input = "# syntax=docker/dockerfile:1\nFROM ruby:3.3\nRUN <<EOF\ngem install rake\nEOF\n";
    let out = run(input, &ONLY).unwrap();
    assert!(out.skipped[0].reason.contains("heredoc"));
    unchanged(input);
}

#[test]
fn documentation_already_decided() {
    unchanged("FROM ruby:3.3\nRUN gem install --no-document rake\n");
    unchanged("FROM ruby:3.3\nRUN gem install rake -N\n");
    unchanged("FROM ruby:3.3\nRUN gem install -N rake && gem install -EN x\n");
    unchanged("FROM ruby:2.5\nRUN gem install --no-ri --no-rdoc rake\n");
    unchanged("FROM ruby:3.3\nRUN gem install --document=ri rake\n");
    unchanged("FROM debian:12\nRUN echo 'gem: --no-document' > /etc/gemrc\nRUN gem install rake\n");
}

#[test]
fn left_alone_forms() {
    unchanged("FROM ruby:3.3\nRUN [\"gem\", \"install\", \"rake\"]\n");
    unchanged("FROM ruby:3.3\nRUN sh -c \"gem install rake\"\n");
    unchanged("FROM ruby:3.3\nRUN gem list && gem uninstall rake && gem build x.gemspec\n");
    unchanged("FROM ruby:3.3\nRUN bundle install --jobs 4\n");
}
