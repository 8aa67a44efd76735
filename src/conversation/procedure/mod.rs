//! The procedures of the conversation layer, as `async fn`s that wait only on the caller's
//! answers (see [`crate::conversation::io`]): nothing here does IO or reads the clock. The
//! [`crate::conversation::Member`] machine polls them.

pub(crate) mod admit;
pub(crate) mod duties;
pub(crate) mod join;
pub(crate) mod member;
pub(crate) mod route;
pub(crate) mod sas;
