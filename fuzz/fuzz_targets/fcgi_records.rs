#![no_main]
// Bytes from a web server to the host's FastCGI front end: no panic, bounded memory, records
// and name-value pairs round-trip.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::fcgi_records(data));
