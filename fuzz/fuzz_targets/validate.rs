#![no_main]
// The profile validator alone, and the diagnostic printer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::validate(data));
