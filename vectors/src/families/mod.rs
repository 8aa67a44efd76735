//! One module per vector family.

pub mod attachment;
pub mod commit;
pub mod ed25519;
pub mod envelope;
pub mod host;
pub mod host_url;
pub mod invite;
pub mod log;
pub mod prims;
pub mod scenario;
pub mod schedule;
pub mod suite2;
pub mod welcome;
pub mod wire;
