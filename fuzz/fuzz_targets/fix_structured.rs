//! Dockerfile-like input built from a vocabulary of instructions and package-manager commands
//! (`dockopt_fuzz::structured`), run through the whole fix pipeline with generated options.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: dockopt_fuzz::structured::Input| {
    dockopt_fuzz::check(&input.bytes, input.opts);
});
