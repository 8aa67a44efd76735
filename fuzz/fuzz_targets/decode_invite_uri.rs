#![no_main]
// The invitation text form: never panics; an accepted URI formats back to itself.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::invite_uri(data));
