#![no_main]
// Strict decoding of `Commit`: never panics; accepted input re-encodes to itself.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::decode_entry("Commit", data));
