//! The client's error type is the conversation layer's ([`hearth::conversation::Error`]): every
//! failure the user or the shim sees, each with the spec error code that names it (spec §12)
//! where one exists. One error type for the layer and its front end.

pub use hearth::conversation::error::code_name;

/// Why a client operation did not happen.
pub type ClientError = hearth::conversation::Error;
