//! The host API (spec §8): SignedRequest, Request, Response, and every op's body and result.

use crate::codec::{
    BoundedBytes, BoundedVec, Embedded, EmptyOrHash, Increasing, List, RawValue, SignedBytes,
    Unverified, Version, WireDecode,
};
use crate::envelope::{check_seq_head, Envelope};
use crate::error::WireError;
use crate::ext::ExtMap;
use crate::group::{Commit, GroupInfoCt, Welcome};
use crate::log::LogEntry;
use crate::types::{
    ChannelId, EdPublic, Epoch, Hash, HostUrl, HpkeSealed, Nonce16, Op, Secs, Seq, Signature, Suite,
};
use crate::ErrorCode;

wire_array!(
    /// `SignedRequest = [version, key, bstr .cbor Request, ed-sig]`: the body of every POST.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SignedRequest {
        /// Protocol version (1).
        version: Version,
        /// The signing key.
        key: EdPublic,
        /// The exact signed bytes of the Request.
        request: SignedBytes<Request>,
        /// `SignWithLabel(key, "request", request_bytes)`.
        signature: Signature,
    }
);

impl SignedRequest {
    /// Decodes the inner Request (check order step 6, spec §8.3); it stays unverified until
    /// the signature over [`SignedBytes::as_bytes`] is checked.
    pub fn unverified_request(&self) -> Result<Unverified<Request>, WireError> {
        self.request.unverified()
    }
}

wire_map!(
    /// `Request`: what a SignedRequest signs.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Request {
        /// The op.
        req 1 => op: Op,
        /// The host's canonical URL.
        req 2 => host_url: HostUrl,
        /// The channel, for the ops that name one.
        opt 3 => channel_id: ChannelId,
        /// Timestamp, seconds.
        req 4 => ts: Secs,
        /// Request nonce.
        req 5 => nonce: Nonce16,
        /// The op body, typed by `op` ([`Request::body`]).
        req 6 => body: RawValue,
        /// Extensions.
        opt 7 => ext: ExtMap,
    }
);

impl Request {
    /// Decodes the body for the op: [`WireError::UnsupportedOp`] for an op this version
    /// does not know (spec §8.3 step 7), a wire error for a malformed body (step 12).
    ///
    /// Also checks that `channel_id` is present exactly for the ops that name a channel
    /// (every known op but `info`): present for `info` is [`WireError::UnknownKey`], absent
    /// for another op [`WireError::MissingKey`].
    ///
    /// Op bodies have no extension map of their own; the end-to-end structures inside them
    /// (commits, Welcomes) are decoded in the relayed mode, so a host never answers
    /// `unsupported_extension` for an extension only members act on (HRT-EXT-17).
    pub fn body(&self) -> Result<RequestBody, WireError> {
        if self.op.is_known() {
            match (self.op == Op::INFO, self.channel_id.is_some()) {
                (true, true) => return Err(WireError::UnknownKey),
                (false, false) => return Err(WireError::MissingKey),
                _ => {}
            }
        }
        let b = &self.body;
        Ok(match self.op {
            Op::INFO => RequestBody::Info(b.decode_relayed_as()?),
            Op::CHANNEL_CREATE => RequestBody::ChannelCreate(b.decode_relayed_as()?),
            Op::CHANNEL_DELETE => RequestBody::ChannelDelete(b.decode_relayed_as()?),
            Op::INVITE_CREATE => RequestBody::InviteCreate(b.decode_relayed_as()?),
            Op::INVITE_REVOKE => RequestBody::InviteRevoke(b.decode_relayed_as()?),
            Op::INVITE_REDEEM => RequestBody::InviteRedeem(b.decode_relayed_as()?),
            Op::JOIN_FETCH => RequestBody::JoinFetch(b.decode_relayed_as()?),
            Op::COMMIT_POST => RequestBody::CommitPost(Box::new(b.decode_relayed_as()?)),
            Op::COMMIT_REPORT => RequestBody::CommitReport(b.decode_relayed_as()?),
            Op::MSG_POST => RequestBody::MsgPost(b.decode_relayed_as()?),
            Op::LOG_FETCH => RequestBody::LogFetch(b.decode_relayed_as()?),
            Op::WELCOME_FETCH => RequestBody::WelcomeFetch(b.decode_relayed_as()?),
            Op::MEMBER_LEAVE => RequestBody::MemberLeave(b.decode_relayed_as()?),
            Op::BLOB_PUT => RequestBody::BlobPut(b.decode_relayed_as()?),
            Op::BLOB_GET => RequestBody::BlobGet(b.decode_relayed_as()?),
            _ => return Err(WireError::UnsupportedOp),
        })
    }
}

/// A decoded op body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RequestBody {
    Info(InfoBody),
    ChannelCreate(ChannelCreateBody),
    ChannelDelete(ChannelDeleteBody),
    InviteCreate(InviteCreateBody),
    InviteRevoke(InviteRevokeBody),
    InviteRedeem(InviteRedeemBody),
    JoinFetch(JoinFetchBody),
    CommitPost(Box<CommitPostBody>),
    CommitReport(CommitReportBody),
    MsgPost(MsgPostBody),
    LogFetch(LogFetchBody),
    WelcomeFetch(WelcomeFetchBody),
    MemberLeave(MemberLeaveBody),
    BlobPut(BlobPutBody),
    BlobGet(BlobGetBody),
}

wire_map!(
    /// `Response`: the body of every host answer.
    pub struct Response {
        /// Protocol version (1).
        req 1 => version: Version,
        /// Status: 0 = ok.
        req 2 => status: ErrorCode,
        /// The host's clock.
        req 3 => server_time: Secs,
        /// The result body, present iff status is ok ([`Response::result_as`]).
        opt 4 => result: RawValue,
        /// A finer code from the wire taxonomy.
        opt 5 => detail: ErrorCode,
        /// Extensions.
        opt 6 => ext: ExtMap,
    }
    check = Response::check;
);

impl Response {
    fn check(&self) -> Result<(), WireError> {
        if self.result.is_some() == (self.status == ErrorCode::OK) {
            Ok(())
        } else {
            Err(WireError::InvalidValue)
        }
    }

    /// Decodes the result as the op's result type.
    pub fn result_as<T: WireDecode>(&self) -> Result<Option<T>, WireError> {
        self.result.as_ref().map(|r| r.decode_as(&[])).transpose()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Response {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let status = ErrorCode(u.arbitrary::<u16>()? % 150);
        Ok(Response {
            version: Version,
            status,
            server_time: u.arbitrary()?,
            result: if status == ErrorCode::OK {
                Some(u.arbitrary()?)
            } else {
                None
            },
            detail: u.arbitrary::<Option<u16>>()?.map(ErrorCode),
            ext: u.arbitrary()?,
        })
    }
}

/// `InfoBody = {}` (op 0).
pub type InfoBody = Empty;

wire_map!(
    /// `InfoResult`: what a host supports. Its three lists are strictly increasing
    /// (HRT-WIRE-25).
    pub struct InfoResult {
        /// Protocol versions supported, strictly increasing.
        req 1 => versions: Increasing<u64, 1, 8>,
        /// Suites supported, strictly increasing.
        req 2 => suites: Increasing<Suite, 1, 8>,
        /// The canonical host URL.
        req 3 => host_url: HostUrl,
        /// The host's limits.
        req 4 => limits: Limits,
        /// Ops supported, strictly increasing.
        req 5 => ops: Increasing<Op, 1, 64>,
        /// Extensions.
        opt 6 => ext: ExtMap,
    }
);

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for InfoResult {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        fn increasing<'a, T, const MAX: usize>(
            u: &mut arbitrary::Unstructured<'a>,
            first: T,
        ) -> arbitrary::Result<Increasing<T, 1, MAX>>
        where
            T: arbitrary::Arbitrary<'a> + Ord,
        {
            let mut v: Vec<T> = u.arbitrary()?;
            v.sort();
            v.dedup();
            v.truncate(MAX);
            if v.is_empty() {
                v.push(first);
            }
            Increasing::new(v).map_err(|_| arbitrary::Error::IncorrectFormat)
        }
        Ok(InfoResult {
            versions: increasing(u, 1)?,
            suites: increasing(u, Suite::X25519_SHA256_AES256GCM_ED25519)?,
            host_url: u.arbitrary()?,
            limits: u.arbitrary()?,
            ops: increasing(u, Op::INFO)?,
            ext: u.arbitrary()?,
        })
    }
}

wire_map!(
    /// `Limits`: a host's limits (spec §8).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Limits {
        /// `max_request` bytes.
        req 1 => max_request: u64,
        /// `max_log_page` entries.
        req 2 => max_log_page: u64,
        /// `max_members`.
        req 3 => max_members: u64,
        /// `max_blob` bytes.
        req 4 => max_blob: u64,
        /// `max_blobs` per channel.
        req 5 => max_blobs: u64,
        /// `max_pending` joins per channel.
        req 6 => max_pending: u64,
        /// `max_channels` per owner.
        req 7 => max_channels: u64,
        /// `max_invites` per channel.
        req 8 => max_invites: u64,
        /// Extensions.
        opt 9 => ext: ExtMap,
    }
);

wire_map!(
    /// `ChannelCreateBody` (op 1).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ChannelCreateBody {
        /// The channel's suite.
        req 1 => suite: Suite,
        /// `SignWithLabel(owner IK, "create", [host_url, channel_id, key])`.
        req 2 => owner_signature: Signature,
    }
);

wire_map!(
    /// `{1: seq, 2: head}`: the result of ops that append one log entry
    /// (`ChannelCreateResult`, `CommitReportResult`, `MsgPostResult`, `MemberLeaveResult`).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AppendResult {
        /// The new entry's seq.
        req 1 => seq: Seq,
        /// The log head after it.
        req 2 => head: Hash,
    }
);

/// `ChannelCreateResult = { 1: seq, 2: hash }`.
pub type ChannelCreateResult = AppendResult;
/// `CommitReportResult = { 1: seq, 2: hash }`.
pub type CommitReportResult = AppendResult;
/// `MsgPostResult = { 1: seq, 2: hash }`.
pub type MsgPostResult = AppendResult;
/// `MemberLeaveResult = { 1: seq, 2: hash }`.
pub type MemberLeaveResult = AppendResult;

wire_map!(
    /// `{}`: the body or result of ops that carry nothing.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Empty {}
);

/// `ChannelDeleteBody = {}`.
pub type ChannelDeleteBody = Empty;
/// `ChannelDeleteResult = {}`.
pub type ChannelDeleteResult = Empty;
/// `InviteCreateResult = {}`.
pub type InviteCreateResult = Empty;
/// `InviteRevokeResult = {}`.
pub type InviteRevokeResult = Empty;
/// `InviteRedeemResult = {}`.
pub type InviteRedeemResult = Empty;
/// `JoinFetchBody = {}`.
pub type JoinFetchBody = Empty;
/// `WelcomeFetchBody = {}`.
pub type WelcomeFetchBody = Empty;
/// `MemberLeaveBody = {}`.
pub type MemberLeaveBody = Empty;

wire_map!(
    /// `InviteCreateBody` (op 3).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct InviteCreateBody {
        /// The invite id.
        req 1 => invite_id: Nonce16,
        /// The invite_auth public key.
        req 2 => invite_auth: EdPublic,
        /// Expiry.
        req 3 => expires: Secs,
    }
);

wire_map!(
    /// `InviteRevokeBody` (op 4).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct InviteRevokeBody {
        /// The invite id.
        req 1 => invite_id: Nonce16,
    }
);

wire_map!(
    /// `InviteRedeemBody` (op 5), signed by the invite_auth key.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct InviteRedeemBody {
        /// The invite id.
        req 1 => invite_id: Nonce16,
        /// The joiner's member key MK.
        req 2 => member_key: EdPublic,
        /// `SignWithLabel(MK, "redeem", [host_url, channel_id, invite_id, key])`.
        req 3 => pop: Signature,
        /// The SignedJoinRequest sealed to the inviter (HPKE PSK mode).
        req 4 => sealed: HpkeSealed,
    }
);

wire_array!(
    /// `PendingJoin = [invite-id, member-key, sealed, redeemed-at]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct PendingJoin {
        /// The invite id.
        invite_id: Nonce16,
        /// The joiner's MK.
        member_key: EdPublic,
        /// The sealed SignedJoinRequest.
        sealed: HpkeSealed,
        /// When it was redeemed.
        redeemed_at: Secs,
    }
);

wire_map!(
    /// `JoinFetchResult` (op 6).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct JoinFetchResult {
        /// Pending joins not yet added.
        req 1 => pending: List<PendingJoin>,
    }
);

wire_array!(
    /// `[ed-pub, bstr .cbor Welcome]`: the Welcome for one added member.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct WelcomeFor {
        /// The added member's MK.
        member_key: EdPublic,
        /// The Welcome, exact bytes kept.
        welcome: Embedded<Welcome>,
    }
);

wire_map!(
    /// `CommitPostBody` (op 7).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct CommitPostBody {
        /// The commit, exact bytes kept.
        req 1 => commit: Embedded<Commit>,
        /// One Welcome per added member.
        req 2 => welcomes: BoundedVec<WelcomeFor, 0, 255>,
        /// The GroupInfo ciphertext shared by the Welcomes, present iff key 2 is not empty
        /// (HRT-GRP-78, HRT-OP-63).
        opt 3 => group_info_ct: GroupInfoCt,
    }
);

wire_map!(
    /// `CommitPostResult` (op 7).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct CommitPostResult {
        /// The commit's seq.
        req 1 => seq: Seq,
        /// The log head after it.
        req 2 => head: Hash,
        /// The new epoch.
        req 3 => epoch: Epoch,
    }
);

wire_map!(
    /// `CommitReportBody` (op 8).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct CommitReportBody {
        /// The rejected commit's seq.
        req 1 => seq: Seq,
        /// Why it was rejected.
        req 2 => reason: ErrorCode,
    }
);

wire_map!(
    /// `MsgPostBody` (op 9).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct MsgPostBody {
        /// The envelope, exact bytes kept.
        req 1 => envelope: Embedded<Envelope>,
    }
);

wire_map!(
    /// `LogFetchBody` (op 10).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct LogFetchBody {
        /// Exclusive lower bound (0 = from the start).
        req 1 => since: Seq,
        /// At most this many entries (>= 1; the host checks its own maximum).
        req 2 => limit: u64,
    }
);

wire_map!(
    /// `LogFetchResult` (op 10).
    pub struct LogFetchResult {
        /// Entries with seq > since, ascending.
        req 1 => entries: List<LogEntry>,
        /// The highest seq in the channel (0 = none).
        req 2 => tip: Seq,
        /// The head at tip (empty iff tip is 0).
        req 3 => head: EmptyOrHash,
        /// The current epoch.
        req 4 => epoch: Epoch,
    }
    check = LogFetchResult::check;
);

impl LogFetchResult {
    fn check(&self) -> Result<(), WireError> {
        check_seq_head(self.tip.0, self.head.as_slice())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for LogFetchResult {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let tip = Seq(u.arbitrary()?);
        let head = if tip.0 == 0 {
            Vec::new()
        } else {
            <[u8; 32]>::arbitrary(u)?.to_vec()
        };
        Ok(LogFetchResult {
            entries: u.arbitrary()?,
            tip,
            head: BoundedBytes::new(head).map_err(|_| arbitrary::Error::IncorrectFormat)?,
            epoch: u.arbitrary()?,
        })
    }
}

wire_map!(
    /// `WelcomeFetchResult` (op 11).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct WelcomeFetchResult {
        /// The Welcome, exact bytes kept.
        req 1 => welcome: Embedded<Welcome>,
        /// The seq of the commit that added the caller.
        req 2 => seq: Seq,
        /// The GroupInfo ciphertext of that commit (HRT-OP-64).
        req 3 => group_info_ct: GroupInfoCt,
    }
);

wire_map!(
    /// `BlobPutBody` (op 13).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct BlobPutBody {
        /// The blob.
        /// Structurally bounded only by the request size; the host's `max_blob` decides
        /// (`too_large`, HRT-OP-55).
        req 1 => data: BoundedBytes<1, 16777216>,
    }
);

wire_map!(
    /// `BlobPutResult` (op 13).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct BlobPutResult {
        /// `H("blob", data)`.
        req 1 => id: Hash,
    }
);

wire_map!(
    /// `BlobGetBody` (op 14).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct BlobGetBody {
        /// The blob id.
        req 1 => id: Hash,
    }
);

wire_map!(
    /// `BlobGetResult` (op 14).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct BlobGetResult {
        /// The blob.
        req 1 => data: Vec<u8>,
    }
);
