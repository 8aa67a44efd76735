//! Every requirement ID the wire crate cites must exist in the spec's requirement index, so that
//! code and spec cannot drift apart (spec §0.3).

use hearth_wire::WireError;

#[test]
fn every_cited_requirement_exists_in_the_spec() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/requirements.json");
    let index = std::fs::read_to_string(path).unwrap_or_default();
    assert!(!index.is_empty(), "cannot read {path}");
    for e in WireError::ALL {
        let id = e.requirement();
        assert!(
            index.contains(&format!("\"id\": \"{id}\"")),
            "{e:?} cites {id}, which spec/requirements.json does not list"
        );
    }
}
