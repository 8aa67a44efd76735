//! Spec §8.1 to §8.4, §8.6, §11: transport, info, the check order, signatures and weak keys,
//! host binding, freshness, the nonce store (replay and byte-identical retries), uniform
//! `not_found`, response shape, extensions, and `max_request`; one file per area.

use crate::suite::HostTestDef;

mod auth;
mod limits;
mod order;
mod replay;
mod transport;

pub use auth::{cofactor_forgery, hex_32, NON_CANONICAL, SMALL_ORDER};
pub use limits::uniform_not_found;
pub(crate) use replay::blob_put_spec;
pub use transport::canonical_url_problem;
pub(crate) use transport::valid_info_bytes;

/// The tests of this module, in the order of the areas above.
pub fn tests() -> Vec<HostTestDef> {
    let mut v = transport::tests();
    v.extend(auth::tests());
    v.extend(replay::tests());
    v.extend(limits::tests());
    v.extend(order::tests());
    v
}
