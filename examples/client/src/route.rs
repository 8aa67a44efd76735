//! One route of a conversation (spec §10.1): the conversation layer's [`Route`], re-exported
//! (a channel on one host, the member's group state in it, its verified log, §9.5, and what
//! the member has learned from that log).

pub use hearth::conversation::channel::Frozen;
pub use hearth::conversation::state::Announced;
pub use hearth::conversation::{OpenInvite, Route, RouteRef};
