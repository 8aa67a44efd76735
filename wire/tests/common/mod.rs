//! Deterministic sample values of every structure, shared by the snapshot tests, the
//! structure tests and the fuzz-corpus writer.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use hearth_wire::envelope::*;
use hearth_wire::ext::ExtMap;
use hearth_wire::group::*;
use hearth_wire::invite::Invite;
use hearth_wire::join::*;
use hearth_wire::log::LogEntry;
use hearth_wire::request::*;
use hearth_wire::*;

pub fn ch() -> ChannelId {
    ChannelId([0x11; 16])
}
pub fn ek(n: u8) -> EdPublic {
    EdPublic([n; 32])
}
pub fn sig(n: u8) -> Signature {
    Signature([n; 64])
}
pub fn xk(n: u8) -> XPublic {
    XPublic([n; 32])
}
pub fn h(n: u8) -> Hash {
    Hash([n; 32])
}
pub fn sealed(n: u8, len: usize) -> HpkeSealed {
    HpkeSealed {
        enc: xk(n),
        ct: BoundedBytes::new(vec![n; len]).unwrap(),
    }
}
pub fn kem_sealed(n: u8, len: usize) -> KemSealed {
    KemSealed {
        enc: xk(n).into(),
        ct: BoundedBytes::new(vec![n; len]).unwrap(),
    }
}
pub fn grease_ext() -> ExtMap {
    let mut e = ExtMap::new();
    e.insert(0x0A0A, RawValue::from_bytes(vec![0x40]).unwrap())
        .unwrap();
    e
}

pub fn invite() -> Invite {
    invite_on("https://hearth.example/")
}

pub fn invite_on(host: &str) -> Invite {
    Invite {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        host_url: BoundedText::new(host).unwrap(),
        channel_id: ch(),
        conversation: ConversationId([0x11; 16]),
        inviter_fpr: FprPrefix([0x44; 16]),
        inviter_key: xk(0x33),
        secret: InviteSecret([0x22; 32]),
        expires: Secs(1_800_000_000),
    }
}

pub fn join_request() -> JoinRequest {
    JoinRequest {
        identity: ek(1),
        member_key: ek(2),
        init_key: xk(3).into(),
        member_cert: sig(4),
        name: BoundedText::new("Alice").unwrap(),
        ext: None,
    }
}

pub fn signed_join_request() -> SignedJoinRequest {
    SignedJoinRequest {
        join_request: SignedBytes::from_value(&join_request()),
        signature: sig(5),
    }
}

pub fn roster_entry(n: u8, role: Role) -> RosterEntry {
    RosterEntry {
        member_key: ek(n),
        init_key: xk(n + 1).into(),
        role,
        identity: ek(n + 2),
        cert: sig(n + 3),
    }
}

pub fn group_context() -> GroupContext {
    GroupContext {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        channel_id: ch(),
        epoch: Epoch(3),
        roster_hash: h(0x55),
        cth: BoundedBytes::new(vec![0x66; 32]).unwrap(),
        ext: ExtMap::new(),
    }
}

pub fn commit_tbs(sealed_count: usize) -> CommitTbs {
    CommitTbs {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        channel_id: ch(),
        epoch: Epoch(3),
        committer: Leaf(0),
        ops: BoundedVec::new(vec![
            GroupOp::Add {
                member_key: ek(7),
                init_key: xk(8).into(),
                role: Role::Member,
            },
            GroupOp::Remove { leaf: Leaf(2) },
            GroupOp::Rotate { member_key: ek(9) },
            GroupOp::Role {
                leaf: Leaf(1),
                role: Role::Admin,
            },
            GroupOp::Ext(ExtMap::new()),
        ])
        .unwrap(),
        init_key: xk(10).into(),
        sealed: BoundedVec::new((0..sealed_count).map(|i| kem_sealed(i as u8, 48)).collect())
            .unwrap(),
        private_ct: BoundedBytes::new(vec![0x77; 16 + 64 + 96]).unwrap(),
        ext: Some(grease_ext()),
        recover: None,
    }
}

pub fn commit(sealed_count: usize) -> Commit {
    Commit {
        tbs: SignedBytes::from_value(&commit_tbs(sealed_count)),
        signature: sig(0x12),
        confirmation_tag: h(0x13),
    }
}

pub fn commit_private() -> CommitPrivate {
    CommitPrivate {
        added: BoundedVec::new(vec![AddedIdentity {
            identity: ek(0x21),
            cert: sig(0x22),
        }])
        .unwrap(),
        new_cert: Some(sig(0x23)),
        ext: None,
    }
}

pub fn group_info() -> GroupInfo {
    GroupInfo {
        group_context: group_context(),
        roster: BoundedVec::new(vec![
            roster_entry(0x30, Role::Admin),
            roster_entry(0x40, Role::Member),
        ])
        .unwrap(),
        confirmation_tag: h(0x13),
        signer: Leaf(0),
        ext: None,
        conversation: ConversationId([0x11; 16]),
        needs_update: BoundedVec::new(vec![Leaf(1)]).unwrap(),
    }
}

pub fn signed_group_info() -> SignedGroupInfo {
    SignedGroupInfo {
        group_info: SignedBytes::from_value(&group_info()),
        signature: sig(0x31),
    }
}

pub fn welcome() -> Welcome {
    Welcome {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        channel_id: ch(),
        epoch: Epoch(4),
        joiner_secret: kem_sealed(0x41, 48),
        ext: None,
    }
}

pub fn envelope(ct_len: usize) -> Envelope {
    Envelope {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        channel_id: ch(),
        epoch: Epoch(4),
        sender: Leaf(1),
        generation: Generation(17),
        reuse_guard: ReuseGuard([1, 2, 3, 4]),
        ct: BoundedBytes::new(vec![0xc7; ct_len]).unwrap(),
    }
}

pub fn text_body() -> TextBody {
    TextBody {
        text: BoundedText::new("hello, hearth").unwrap(),
    }
}

pub fn content() -> Content {
    Content {
        content_type: ContentType::TEXT,
        body: RawValue::from_value(&text_body()),
        sent_at_ms: 1_700_000_000_123,
        seen_seq: Seq(42),
        seen_head: BoundedBytes::new(vec![0x51; 32]).unwrap(),
        prev: Some(h(0x52)),
        ext: Some(grease_ext()),
    }
}

pub fn sealed_content() -> SealedContent {
    SealedContent {
        content: SignedBytes::from_value(&content()),
        signature: sig(0x53),
    }
}

pub fn attachment() -> AttachmentBody {
    AttachmentBody {
        chunks: BoundedVec::new(vec![h(0x61), h(0x62)]).unwrap(),
        key: AttachmentKey([0x63; 32]),
        size: UintLe::new(70_000).unwrap(),
        media_type: BoundedText::new("image/png").unwrap(),
        file_name: Some(BoundedText::new("cat.png").unwrap()),
        hash: h(0x64),
    }
}

pub fn route() -> RouteBody {
    RouteBody {
        conversation: ConversationId([0x11; 16]),
        host_url: BoundedText::new("https://other.example/hearth").unwrap(),
        channel_id: ChannelId([0x71; 16]),
        invites: BoundedVec::new(vec![RouteInvite {
            leaf: Leaf(1),
            invite: Embedded::new(invite()),
        }])
        .unwrap(),
    }
}

pub fn request(op: Op, body: RawValue) -> Request {
    Request {
        op,
        host_url: BoundedText::new("https://hearth.example/").unwrap(),
        channel_id: if op == Op::INFO { None } else { Some(ch()) },
        ts: Secs(1_800_000_000),
        nonce: Nonce16([0x81; 16]),
        body,
        ext: Some(grease_ext()),
    }
}

pub fn signed_request(op: Op, body: RawValue) -> SignedRequest {
    SignedRequest {
        version: Version,
        key: ek(0x82),
        request: SignedBytes::from_value(&request(op, body)),
        signature: sig(0x83),
    }
}

pub fn limits() -> Limits {
    Limits {
        max_request: 131072,
        max_log_page: 500,
        max_members: 256,
        max_blob: 65552,
        max_blobs: 4096,
        max_pending: 16,
        max_channels: 64,
        max_invites: 64,
        ext: None,
    }
}

pub fn info_result() -> InfoResult {
    InfoResult {
        versions: Increasing::new(vec![1]).unwrap(),
        suites: Increasing::new(vec![Suite::X25519_SHA256_AES256GCM_ED25519]).unwrap(),
        host_url: BoundedText::new("https://hearth.example/").unwrap(),
        limits: limits(),
        ops: Increasing::new((0..=14).map(Op).collect()).unwrap(),
        ext: None,
    }
}

pub fn log_entry() -> LogEntry {
    LogEntry {
        seq: Seq(7),
        kind: EntryKind::Msg,
        bytes: envelope(48).to_vec(),
        head: h(0x91),
        received: Secs(1_800_000_001),
    }
}

pub fn commit_post_body(sealed_count: usize) -> CommitPostBody {
    CommitPostBody {
        commit: Embedded::new(commit(sealed_count)),
        welcomes: BoundedVec::new(vec![WelcomeFor {
            member_key: ek(7),
            welcome: Embedded::new(welcome()),
        }])
        .unwrap(),
        group_info_ct: Some(BoundedBytes::new(vec![0x42; 64]).unwrap()),
    }
}

/// Every op's body as a request body, by op.
pub fn op_bodies() -> Vec<(Op, RawValue)> {
    fn r<T: WireEncode>(v: &T) -> RawValue {
        RawValue::from_value(v)
    }
    vec![
        (Op::INFO, RawValue::empty_map()),
        (
            Op::CHANNEL_CREATE,
            r(&ChannelCreateBody {
                suite: Suite::X25519_SHA256_AES256GCM_ED25519,
                owner_signature: sig(0xa1),
            }),
        ),
        (Op::CHANNEL_DELETE, RawValue::empty_map()),
        (
            Op::INVITE_CREATE,
            r(&InviteCreateBody {
                invite_id: Nonce16([0xa2; 16]),
                invite_auth: ek(0xa3),
                expires: Secs(1_800_600_000),
            }),
        ),
        (
            Op::INVITE_REVOKE,
            r(&InviteRevokeBody {
                invite_id: Nonce16([0xa2; 16]),
            }),
        ),
        (
            Op::INVITE_REDEEM,
            r(&InviteRedeemBody {
                invite_id: Nonce16([0xa2; 16]),
                member_key: ek(2),
                pop: sig(0xa4),
                sealed: sealed(0xa5, 16 + signed_join_request().to_vec().len()),
            }),
        ),
        (Op::JOIN_FETCH, RawValue::empty_map()),
        (Op::COMMIT_POST, r(&commit_post_body(1))),
        (
            Op::COMMIT_REPORT,
            r(&CommitReportBody {
                seq: Seq(9),
                reason: ErrorCode::BAD_CONFIRMATION_TAG,
            }),
        ),
        (
            Op::MSG_POST,
            r(&MsgPostBody {
                envelope: Embedded::new(envelope(64)),
            }),
        ),
        (
            Op::LOG_FETCH,
            r(&LogFetchBody {
                since: Seq(0),
                limit: 100,
            }),
        ),
        (Op::WELCOME_FETCH, RawValue::empty_map()),
        (Op::MEMBER_LEAVE, RawValue::empty_map()),
        (
            Op::BLOB_PUT,
            r(&BlobPutBody {
                data: BoundedBytes::new(vec![0xb1; 40]).unwrap(),
            }),
        ),
        (Op::BLOB_GET, r(&BlobGetBody { id: h(0xb2) })),
    ]
}

pub fn ok_response(result: RawValue) -> Response {
    Response {
        version: Version,
        status: ErrorCode::OK,
        server_time: Secs(1_800_000_002),
        result: Some(result),
        detail: None,
        ext: None,
    }
}

/// `(rule name, entry point name, canonical encoding)` for one sample of every structure.
pub fn samples() -> Vec<(String, &'static str, Vec<u8>)> {
    let mut v: Vec<(String, &'static str, Vec<u8>)> = vec![
        ("Invite".into(), "Invite", invite().to_vec()),
        ("JoinRequest".into(), "JoinRequest", join_request().to_vec()),
        (
            "SignedJoinRequest".into(),
            "SignedJoinRequest",
            signed_join_request().to_vec(),
        ),
        (
            "RosterEntry".into(),
            "RosterEntry",
            roster_entry(0x30, Role::Admin).to_vec(),
        ),
        (
            "GroupContext".into(),
            "GroupContext",
            group_context().to_vec(),
        ),
        ("CommitTBS".into(), "CommitTBS", commit_tbs(2).to_vec()),
        ("Commit".into(), "Commit", commit(2).to_vec()),
        (
            "CommitPrivate".into(),
            "CommitPrivate",
            commit_private().to_vec(),
        ),
        ("GroupInfo".into(), "GroupInfo", group_info().to_vec()),
        (
            "SignedGroupInfo".into(),
            "SignedGroupInfo",
            signed_group_info().to_vec(),
        ),
        ("Welcome".into(), "Welcome", welcome().to_vec()),
        ("Envelope".into(), "Envelope", envelope(48).to_vec()),
        (
            "EnvelopeHeader".into(),
            "EnvelopeHeader",
            envelope(48).header().to_vec(),
        ),
        (
            "SealedContent".into(),
            "SealedContent",
            sealed_content().to_vec(),
        ),
        ("Content".into(), "Content", content().to_vec()),
        ("TextBody".into(), "TextBody", text_body().to_vec()),
        (
            "ReactionBody".into(),
            "ReactionBody",
            ReactionBody {
                target: h(0x52),
                reaction: BoundedText::new("👍").unwrap(),
                remove: Some(True),
            }
            .to_vec(),
        ),
        (
            "ReceiptBody".into(),
            "ReceiptBody",
            ReceiptBody { seq: Seq(42) }.to_vec(),
        ),
        (
            "EditBody".into(),
            "EditBody",
            EditBody {
                target: h(0x52),
                text: BoundedText::new("hello again").unwrap(),
            }
            .to_vec(),
        ),
        (
            "DeleteBody".into(),
            "DeleteBody",
            DeleteBody { target: h(0x52) }.to_vec(),
        ),
        (
            "ProfileBody".into(),
            "ProfileBody",
            ProfileBody {
                name: BoundedText::new("Alice").unwrap(),
                avatar: Some(attachment()),
            }
            .to_vec(),
        ),
        (
            "AttachmentBody".into(),
            "AttachmentBody",
            attachment().to_vec(),
        ),
        ("RouteBody".into(), "RouteBody", route().to_vec()),
        ("Limits".into(), "Limits", limits().to_vec()),
        ("InfoResult".into(), "InfoResult", info_result().to_vec()),
        ("LogEntry".into(), "LogEntry", log_entry().to_vec()),
        (
            "PendingJoin".into(),
            "PendingJoin",
            PendingJoin {
                invite_id: Nonce16([0xa2; 16]),
                member_key: ek(2),
                sealed: sealed(0xa5, 16),
                redeemed_at: Secs(1_800_000_100),
            }
            .to_vec(),
        ),
        (
            "LogFetchResult".into(),
            "LogFetchResult",
            LogFetchResult {
                entries: List::new(vec![log_entry()]).unwrap(),
                tip: Seq(7),
                head: BoundedBytes::new(vec![0x91; 32]).unwrap(),
                epoch: Epoch(4),
            }
            .to_vec(),
        ),
        (
            "Response-error".into(),
            "Response",
            Response {
                version: Version,
                status: ErrorCode::MALFORMED,
                server_time: Secs(1_800_000_002),
                result: None,
                detail: Some(ErrorCode::DUPLICATE_KEY),
                ext: None,
            }
            .to_vec(),
        ),
        (
            "Response-info".into(),
            "Response",
            ok_response(RawValue::from_value(&info_result())).to_vec(),
        ),
        (
            "AppendResult".into(),
            "AppendResult",
            AppendResult {
                seq: Seq(8),
                head: h(0x92),
            }
            .to_vec(),
        ),
        (
            "CommitPostResult".into(),
            "CommitPostResult",
            CommitPostResult {
                seq: Seq(8),
                head: h(0x92),
                epoch: Epoch(5),
            }
            .to_vec(),
        ),
        (
            "WelcomeFetchResult".into(),
            "WelcomeFetchResult",
            WelcomeFetchResult {
                welcome: Embedded::new(welcome()),
                seq: Seq(8),
                group_info_ct: BoundedBytes::new(vec![0x42; 64]).unwrap(),
            }
            .to_vec(),
        ),
        (
            "BlobPutResult".into(),
            "BlobPutResult",
            BlobPutResult { id: h(0xb2) }.to_vec(),
        ),
        (
            "BlobGetResult".into(),
            "BlobGetResult",
            BlobGetResult {
                data: vec![0xb1; 40],
            }
            .to_vec(),
        ),
        (
            "JoinFetchResult".into(),
            "JoinFetchResult",
            JoinFetchResult {
                pending: List::new(vec![]).unwrap(),
            }
            .to_vec(),
        ),
    ];
    v.push((
        "CommitPostBody".into(),
        "CommitPostBody",
        commit_post_body(2).to_vec(),
    ));
    v.push(("ext-grease".into(), "ext", grease_ext().to_vec()));
    for (op, body) in op_bodies() {
        let name = op.name().unwrap_or("unknown").replace('.', "-");
        v.push((
            format!("SignedRequest-{name}"),
            "SignedRequest",
            signed_request(op, body).to_vec(),
        ));
    }
    v
}
