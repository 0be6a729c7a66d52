//! Criterion benchmarks: parsing the model and the whole fix pipeline (every default pass, to a fixed
//! point), on a small real-looking Dockerfile (`examples/flask-app`) and on generated files of 100 KB
//! and 1 MB (`FROM python:3.12` and `RUN pip install ...` lines, as `benches/gen.py lines` makes).
//!
//! Run with `cargo bench --bench pipeline`; `benches/scaling.sh` measures the CLI per pass up to 10 MB.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dockopt::engine;
use dockopt::model::Document;
use dockopt::passes::{self, PassContext};

/// `FROM python:3.12`, then numbered `RUN pip install` lines up to `size` bytes.
fn generated(size: usize) -> String {
    let mut text = String::from("FROM python:3.12\n");
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!(
            "RUN pip install package{i} && echo \"step {i}\" # comment {i}\n"
        ));
        i += 1;
    }
    text
}

struct Input {
    name: &'static str,
    text: String,
    /// The build context (the small example has one; the generated files have none).
    context: Option<PathBuf>,
}

fn inputs() -> Vec<Input> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flask-app");
    let small = std::fs::read_to_string(example.join("Dockerfile")).expect("examples/flask-app");
    vec![
        Input {
            name: "flask-app",
            text: small,
            context: Some(example),
        },
        Input {
            name: "100KB",
            text: generated(100_000),
            context: None,
        },
        Input {
            name: "1MB",
            text: generated(1_000_000),
            context: None,
        },
    ]
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for input in inputs() {
        group.throughput(Throughput::Bytes(input.text.len() as u64));
        if input.text.len() > 500_000 {
            group.sample_size(10);
        }
        group.bench_with_input(
            BenchmarkId::from_parameter(input.name),
            &input.text,
            |b, text| b.iter(|| Document::parse(black_box(text)).expect("parses")),
        );
    }
    group.finish();
}

fn fix(c: &mut Criterion) {
    let mut group = c.benchmark_group("fix");
    group.measurement_time(Duration::from_secs(10));
    for input in inputs() {
        group.throughput(Throughput::Bytes(input.text.len() as u64));
        if input.text.len() > 50_000 {
            group.sample_size(10);
        }
        let dockerfile = input.context.as_ref().map(|c| c.join("Dockerfile"));
        let cx = PassContext {
            dockerfile: dockerfile.as_deref(),
            context_dir: input.context.as_deref(),
            unsafe_fixes: false,
            base_alpine: false,
            cache_mounts: false,
            config: None,
            // As `dockopt fix PATH` runs it (side files shown).
            side_files_emitted: true,
            pending_ignore: None,
        };
        group.bench_with_input(
            BenchmarkId::from_parameter(input.name),
            &input.text,
            |b, text| {
                b.iter(|| {
                    let out =
                        engine::run(black_box(text.as_bytes()), passes::ALL, &cx).expect("fixes");
                    assert!(out.changed);
                    out
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, parse, fix);
criterion_main!(benches);
