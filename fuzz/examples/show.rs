//! Prints the Dockerfile and options a `fix_structured` input decodes to:
//! `cargo run --manifest-path fuzz/Cargo.toml --example show -- fuzz/artifacts/fix_structured/crash-...`
//! With `--check`, also runs the oracle on it (a failure panics with the reason).

use arbitrary::{Arbitrary, Unstructured};
use dockopt_fuzz::structured::Input;

fn main() {
    let mut check = false;
    for arg in std::env::args().skip(1) {
        if arg == "--check" {
            check = true;
            continue;
        }
        let data = std::fs::read(&arg).expect("read the input file");
        let input = Input::arbitrary_take_rest(Unstructured::new(&data)).expect("decodes");
        println!("== {arg}: {:?}", input.opts);
        println!("{}", String::from_utf8_lossy(&input.bytes));
        println!("== escaped: {:?}", String::from_utf8_lossy(&input.bytes));
        if check {
            dockopt_fuzz::check(&input.bytes, input.opts);
        }
    }
}
