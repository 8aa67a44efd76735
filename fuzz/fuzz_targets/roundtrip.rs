#![no_main]
// Every entry point and nested decoder: decode ok => re-encode == input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_wire::entry::check_all(data));
