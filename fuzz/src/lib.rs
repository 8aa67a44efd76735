//! Fuzz hooks: each target is a three-line call into one of these.

use hearth_wire::entry::{arbitrary_roundtrip, check_nested, entry_point, ENTRY_POINTS};

/// Decodes `data` with the named entry point; on success the re-encoding must equal `data`,
/// and the nested decoders run on it.
pub fn decode_entry(name: &str, data: &[u8]) {
    let Some(e) = entry_point(name) else {
        return;
    };
    if let Ok(re) = (e.decode)(data) {
        assert_eq!(re, data, "{name}: re-encoding differs");
        check_nested(data);
    }
}

/// The invitation text form.
pub fn invite_uri(data: &[u8]) {
    if let Ok(s) = core::str::from_utf8(data) {
        if let Ok(uri) = hearth_wire::invite::InviteUri::parse(s) {
            assert_eq!(uri.to_string(), s);
        }
    }
}

/// The validator, compared with the typed path: whatever a typed decoder accepts, the
/// validator accepts.
pub fn validate(data: &[u8]) {
    let ok = hearth_wire::validate(data, &hearth_wire::Profile::DEFAULT).is_ok();
    let _ = hearth_wire::diag::to_diagnostic_nested(data);
    if !ok {
        for e in ENTRY_POINTS {
            assert!(
                (e.decode)(data).is_err(),
                "{} accepted invalid hCBOR",
                e.name
            );
        }
    }
}

/// Structure-aware round trip over every structure.
pub fn structured(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(index) = u.arbitrary::<u8>() else {
        return;
    };
    if let Ok((name, bytes)) = arbitrary_roundtrip(usize::from(index), &mut u) {
        decode_entry(name, &bytes);
    }
}

/// Saved member states and waiting joins (a client's local storage, read back on every start): restoring never
/// panics, and whatever restores saves to exactly the same bytes.
pub fn restore_state(data: &[u8]) {
    use hearth_crypto::group::{Group, PendingMember};
    use hearth_crypto::invite::{Invitation, ValidatedJoin};
    if let Ok(g) = Group::restore(data) {
        assert_eq!(g.save().map(|s| s.as_bytes().to_vec()).ok().as_deref(), Some(data));
    }
    if let Ok(p) = PendingMember::restore(data) {
        assert_eq!(p.save().map(|s| s.as_bytes().to_vec()).ok().as_deref(), Some(data));
    }
    if let Ok(i) = Invitation::restore(data) {
        assert_eq!(i.save().map(|s| s.as_bytes().to_vec()).ok().as_deref(), Some(data));
    }
    // Issue 15: an opened join waiting for the user's comparison (spec §5.8.1).
    if let Ok(j) = ValidatedJoin::restore(data) {
        assert_eq!(j.save().map(|s| s.as_bytes().to_vec()).ok().as_deref(), Some(data));
    }
}

/// The reference host's FastCGI record layer and connection state machine, included as
/// source: both files depend on nothing but `std` and each other, so the fuzz build does not
/// pull in the host's SQLite and HTTP stacks.
#[path = "../../examples/host/src/fcgi_record.rs"]
#[allow(dead_code, missing_docs)]
pub mod fcgi_record;
#[path = "../../examples/host/src/fcgi_session.rs"]
#[allow(dead_code, missing_docs)]
pub mod fcgi_session;

/// Bytes from a web server to the FastCGI host: records and name-value pairs round-trip, the
/// session never panics and stays within its bounds (`fcgi_session::fuzz_check`).
pub fn fcgi_records(data: &[u8]) {
    fcgi_session::fuzz_check(data);
}
