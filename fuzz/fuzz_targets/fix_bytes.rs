//! Arbitrary bytes as a Dockerfile through the whole fix pipeline (every pass, unsafe ones included,
//! no build context). See `dockopt_fuzz::check` for what counts as a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockopt_fuzz::check(data, dockopt_fuzz::Options::default());
});
