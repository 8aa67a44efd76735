//! Tests that need a peer: invitations (expired, used, from the wrong inviter: HRT-KEY-15
//! `wrong_inviter`), Welcomes swapped by the host (`Fault::ReplaceWelcome`), bad commits, bad
//! padding, wrong epochs, messages withheld from one member, forks shown to one member only
//! (`FaultRule::for_key` on the shim's member key while the peer sees the truth).
//!
//! The peers are played in-process by the reference client library (`hearth-client`,
//! examples/client) plus hearth-crypto for forged objects; they are not implemented here.
//! A peer test asks the fixture for `FixtureSpec { peers: N, .. }`: the fixture lists the peers'
//! identity keys ([`super::Fixture::peers`]) as owners of every proxied host, so a peer can
//! create channels there too.
//!
//! To add them: depend on `hearth-client` in conformance/Cargo.toml, build a peer client from a
//! `Fixture::peers` key pointed at `ProxiedHost::url()`, and register the tests below.

use super::ClientTestDef;

/// The tests of this module (none yet: see the module documentation).
pub fn tests() -> Vec<ClientTestDef> {
    Vec::new()
}
