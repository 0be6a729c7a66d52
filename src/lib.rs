//! dockopt: rewrite Dockerfiles so images come out smaller and rebuild faster, losslessly.
//!
//! Read ARCHITECTURE.md first. The pipeline: [`text`] decodes bytes, [`model`] parses them into a
//! document with byte extents (structure from `parse-dockerfile`, shell words from [`shell`]), the
//! [`passes`] propose [`fix`]es built with the [`edit`] helpers, and the [`engine`] applies the ones that
//! do not conflict, re-parses and repeats until nothing changes. [`cli`] walks paths ([`walk`]), prints
//! diffs ([`output`]) and writes files atomically ([`fsio`]).

pub mod cli;
pub mod config;
pub mod dockerignore_match;
pub mod edit;
pub mod engine;
pub mod fix;
pub mod fsio;
pub mod images;
pub mod model;
pub mod output;
pub mod passes;
pub mod pragma;
pub mod recognize;
pub mod repair;
pub mod report;
pub mod shell;
pub mod text;
pub mod verify;
pub mod walk;
