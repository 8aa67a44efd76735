#![no_main]
// Structure-aware: arbitrary typed values, encoded, must decode back to themselves.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::structured(data));
