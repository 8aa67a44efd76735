//! One module per vector family.

pub mod accumulated;
pub mod attachment;
pub mod commit;
pub mod ed25519;
pub mod envelope;
pub mod host;
pub mod host_url;
pub mod invite;
pub mod log;
pub mod prims;
pub mod recovery;
mod recovery_parts;
mod recovery_worked;
pub mod scenario;
pub mod schedule;
pub mod suite2;
pub mod welcome;
pub mod wire;
