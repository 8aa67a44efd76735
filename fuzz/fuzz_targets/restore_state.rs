#![no_main]
// Restoring a saved Group, PendingMember or Invitation: never panics; what restores saves back
// to the same bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_fuzz::restore_state(data));
