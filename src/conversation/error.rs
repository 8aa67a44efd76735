//! The conversation layer's one error type: every failure the user sees, each with the spec
//! error code that names it (spec §12) where one exists.

use std::fmt;

use hearth_crypto::ProtocolError;
use hearth_wire::ErrorCode;

/// Why a client operation did not happen.
#[derive(Debug)]
pub enum Error {
    /// The host answered with a non-`ok` status (spec §8.6).
    Host {
        /// The status (and the detail, when the host gave one).
        status: ErrorCode,
        /// The detail code, if any.
        detail: Option<ErrorCode>,
    },
    /// A local protocol check failed (the library's code, spec §12).
    Protocol(ProtocolError),
    /// Every route was unreachable (spec §10.4); the text says what happened on each.
    Unreachable(String),
    /// The route is frozen after a detection (HRT-LOG-38).
    Frozen(ErrorCode),
    /// The request cannot be made as asked (unknown conversation, bad argument, ...). No spec
    /// code applies.
    Usage(String),
    /// This member already has a pending join on the invitation's channel (§5.8.1): a second
    /// one is not redeemed, so that the answer of a comparison and the Welcome that follows
    /// belong to exactly one join. No spec code applies; the invitation is not used up.
    JoinPending(hearth_wire::ChannelId),
}

impl Error {
    /// The spec error code, when there is one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Host { status, .. } => Some(*status),
            Self::Protocol(e) => Some(e.code()),
            Self::Frozen(c) => Some(*c),
            Self::Unreachable(_) | Self::Usage(_) | Self::JoinPending(_) => None,
        }
    }

    /// A [`Error::Usage`] with this text.
    pub fn usage(s: impl Into<String>) -> Self {
        Self::Usage(s.into())
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}

impl From<hearth_wire::WireError> for Error {
    fn from(e: hearth_wire::WireError) -> Self {
        Self::Protocol(ProtocolError::Wire(e))
    }
}

/// The registry name of a code, or its number when it has none.
pub fn code_name(c: ErrorCode) -> String {
    c.name()
        .map_or_else(|| format!("code {}", c.0), str::to_owned)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host { status, detail } => {
                write!(f, "the host refused: {}", code_name(*status))?;
                if let Some(d) = detail {
                    write!(f, " ({})", code_name(*d))?;
                }
                Ok(())
            }
            Self::Protocol(e) => write!(f, "{e}"),
            Self::Unreachable(s) => write!(f, "no route reachable: {s}"),
            Self::Frozen(c) => write!(
                f,
                "this route is frozen after {} was detected; it is not used until you trust it again",
                code_name(*c)
            ),
            Self::Usage(s) => write!(f, "{s}"),
            Self::JoinPending(_) => write!(
                f,
                "you are already joining this channel with another invitation; finish or abandon that join first"
            ),
        }
    }
}

impl std::error::Error for Error {}
