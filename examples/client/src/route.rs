//! One route of a conversation (spec §10.1): the conversation layer's types, named here for
//! the front end's modules.

pub use hearth::conversation::channel::Frozen;
pub use hearth::conversation::{OpenInvite, Route, RouteRef};
