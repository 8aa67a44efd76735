//! Every strict decode entry point of the crate, by name: for the fuzz targets, the
//! no-panic tests, the corpus replay test and the conformance harness.
//!
//! Each entry point decodes untrusted bytes and, on success, re-encodes the value; for an
//! accepted input the re-encoding equals the input (`encode(decode(b)) == b`).

use crate::codec::{WireDecode, WireEncode};
use crate::envelope::{self, Content, Envelope, EnvelopeHeader, SealedContent};
use crate::error::WireError;
use crate::ext::ExtMap;
use crate::group::{
    Commit, CommitPrivate, CommitTbs, GroupContext, GroupInfo, GroupOp, RosterEntry,
    SignedGroupInfo, Welcome,
};
use crate::invite::Invite;
use crate::join::{JoinRequest, SignedJoinRequest};
use crate::log::LogEntry;
use crate::request::{self, Request, Response, SignedRequest};

/// One decode entry point.
#[derive(Clone, Copy, Debug)]
pub struct EntryPoint {
    /// The CDDL rule name.
    pub name: &'static str,
    /// Decodes strictly and re-encodes.
    pub decode: fn(&[u8]) -> Result<Vec<u8>, WireError>,
}

fn rt<T: WireDecode + WireEncode>(b: &[u8]) -> Result<Vec<u8>, WireError> {
    T::decode(b).map(|v| v.to_vec())
}

macro_rules! entries {
    ($($name:literal => $ty:ty,)*) => {
        /// Every structure's strict entry point.
        pub const ENTRY_POINTS: &[EntryPoint] = &[
            $(EntryPoint { name: $name, decode: rt::<$ty> },)*
        ];

        /// Generates one arbitrary value of the structure `index % count`, encodes it, decodes
        /// the encoding and checks both directions. Returns the encoding. Panics on a
        /// round-trip mismatch (that is what the caller is looking for).
        #[cfg(feature = "arbitrary")]
        pub fn arbitrary_roundtrip(
            index: usize,
            u: &mut arbitrary::Unstructured<'_>,
        ) -> arbitrary::Result<(&'static str, Vec<u8>)> {
            let count = [$($name),*].len();
            let mut i = 0usize;
            $(
                if index % count == i {
                    let v: $ty = u.arbitrary()?;
                    let bytes = v.to_vec();
                    let back = <$ty>::decode(&bytes);
                    assert_eq!(back.as_ref(), Ok(&v), "{}: {}", $name, crate::diag::to_diagnostic(&bytes));
                    return Ok(($name, bytes));
                }
                i += 1;
            )*
            let _ = i;
            Err(arbitrary::Error::IncorrectFormat)
        }
    };
}

entries! {
    "Invite" => Invite,
    "JoinRequest" => JoinRequest,
    "SignedJoinRequest" => SignedJoinRequest,
    "RosterEntry" => RosterEntry,
    "GroupContext" => GroupContext,
    "Op" => GroupOp,
    "CommitTBS" => CommitTbs,
    "Commit" => Commit,
    "CommitPrivate" => CommitPrivate,
    "GroupInfo" => GroupInfo,
    "SignedGroupInfo" => SignedGroupInfo,
    "Welcome" => Welcome,
    "Envelope" => Envelope,
    "EnvelopeHeader" => EnvelopeHeader,
    "SealedContent" => SealedContent,
    "Content" => Content,
    "TextBody" => envelope::TextBody,
    "ReactionBody" => envelope::ReactionBody,
    "ReceiptBody" => envelope::ReceiptBody,
    "EditBody" => envelope::EditBody,
    "DeleteBody" => envelope::DeleteBody,
    "ProfileBody" => envelope::ProfileBody,
    "AttachmentBody" => envelope::AttachmentBody,
    "RouteBody" => envelope::RouteBody,
    "SignedRequest" => SignedRequest,
    "Request" => Request,
    "Response" => Response,
    "InfoResult" => request::InfoResult,
    "Limits" => request::Limits,
    "ChannelCreateBody" => request::ChannelCreateBody,
    "AppendResult" => request::AppendResult,
    "Empty" => request::Empty,
    "InviteCreateBody" => request::InviteCreateBody,
    "InviteRevokeBody" => request::InviteRevokeBody,
    "InviteRedeemBody" => request::InviteRedeemBody,
    "PendingJoin" => request::PendingJoin,
    "JoinFetchResult" => request::JoinFetchResult,
    "CommitPostBody" => request::CommitPostBody,
    "CommitPostResult" => request::CommitPostResult,
    "CommitReportBody" => request::CommitReportBody,
    "MsgPostBody" => request::MsgPostBody,
    "LogFetchBody" => request::LogFetchBody,
    "LogFetchResult" => request::LogFetchResult,
    "LogEntry" => LogEntry,
    "WelcomeFetchResult" => request::WelcomeFetchResult,
    "BlobPutBody" => request::BlobPutBody,
    "BlobPutResult" => request::BlobPutResult,
    "BlobGetBody" => request::BlobGetBody,
    "BlobGetResult" => request::BlobGetResult,
    "ext" => ExtMap,
}

/// Looks an entry point up by name.
pub fn entry_point(name: &str) -> Option<EntryPoint> {
    ENTRY_POINTS.iter().copied().find(|e| e.name == name)
}

/// Runs `bytes` through every entry point and every nested decoder reachable from the
/// signed and typed-later structures, asserting `encode(decode(b)) == b` for each accepted
/// input. Panics only on a round-trip mismatch (a bug).
pub fn check_all(bytes: &[u8]) {
    for e in ENTRY_POINTS {
        if let Ok(re) = (e.decode)(bytes) {
            assert_eq!(re, bytes, "{} re-encoding differs", e.name);
        }
    }
    check_nested(bytes);
    let _ = crate::validate(bytes, &crate::Profile::DEFAULT);
    let _ = crate::diag::to_diagnostic(bytes);
    let _ = crate::diag::to_diagnostic_nested(bytes);
    let _ = Envelope::aad_from_received(bytes);
    if let Ok((sc, l)) = SealedContent::decode_padded(bytes) {
        assert_eq!(Some(sc.to_vec().as_slice()), bytes.get(..l));
    }
    if let Ok(s) = core::str::from_utf8(bytes) {
        if let Ok(uri) = crate::invite::InviteUri::parse(s) {
            assert_eq!(uri.to_string(), s);
        }
    }
}

/// Decodes the inner items of signed and `any`-typed structures (the paths a host and a
/// client take after the outer decode).
pub fn check_nested(bytes: &[u8]) {
    if let Ok(sr) = SignedRequest::decode(bytes) {
        if let Ok(req) = sr.unverified_request() {
            let _ = req.as_unverified().body();
        }
    }
    if let Ok(req) = Request::decode(bytes) {
        let _ = req.body();
    }
    if let Ok(c) = Commit::decode(bytes) {
        let _ = c.unverified_tbs();
    }
    if let Ok(g) = SignedGroupInfo::decode(bytes) {
        let _ = g.unverified_group_info();
    }
    if let Ok(j) = SignedJoinRequest::decode(bytes) {
        let _ = j.unverified_join_request();
    }
    if let Ok(sc) = SealedContent::decode(bytes) {
        if let Ok(c) = sc.unverified_content() {
            let _ = c.as_unverified().body();
        }
    }
    if let Ok(c) = Content::decode(bytes) {
        let _ = c.body();
    }
    if let Ok(r) = Response::decode(bytes) {
        let _ = r.result_as::<request::InfoResult>();
        let _ = r.result_as::<request::LogFetchResult>();
    }
}
