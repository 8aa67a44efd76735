//! Sizes for the suite-2 decision (issue 18, `spec/drafts/suite-2.md`).
//!
//! Run: `cargo run --release -p hearth-crypto --example suite2_sizes`.
//!
//! Suite 1 is measured: the reference code builds a channel of 256 members and encodes the real
//! invitation, join request, Welcome, GroupInfo ciphertext, commits and requests. Suite 2 cannot
//! be encoded yet (the CDDL fixes `x-pub` and `enc` at 32 bytes), so its sizes are computed from
//! the measured ones: every KEM public key and every encapsulation that a design makes X-Wing
//! grows from a 34-byte to a 1,219- or 1,123-byte CBOR byte string, and every byte string,
//! AEAD ciphertext and request that holds it grows with it, CBOR length headers included. The
//! same formulas with X25519 sizes reproduce each measured suite-1 size exactly (asserted), so
//! the only assumption is the key and encapsulation sizes: X-Wing `Npk` 1216, `Nenc` 1120.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::invite::ValidatedJoin;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::invite::InviteUri;
use hearth_wire::request::{PendingJoin, Request, SignedRequest};
use hearth_wire::{
    ConversationId, EdPublic, HostUrl, Nonce16, Op, RawValue, Role, Secs, Signature, SignedBytes,
    Version, WireEncode,
};

const HOST: &str = "https://example.org/hearth";

/// Length of a CBOR head for a length or count `n` (RFC 8949 §3).
fn hdr(n: usize) -> usize {
    match n {
        0..=23 => 1,
        24..=255 => 2,
        256..=65535 => 3,
        _ => 5,
    }
}
/// A byte string of `n` bytes.
fn bstr(n: usize) -> usize {
    hdr(n) + n
}
/// The content length of a byte string whose encoding is `outer` bytes.
fn unbstr(outer: usize) -> usize {
    (outer.saturating_sub(5)..outer)
        .find(|&n| bstr(n) == outer)
        .expect("a byte-string length")
}
/// Unpadded base64url length of `n` bytes.
fn b64(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// Byte-mode capacity of QR versions 1 to 40 at error-correction level M (ISO/IEC 18004:2015
/// Table 7), the level `examples/client/src/qr.rs` uses.
const QR_M_BYTES: [usize; 40] = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
];
fn qr_version(len: usize) -> String {
    match QR_M_BYTES.iter().position(|&c| c >= len) {
        Some(i) => format!("{}", i + 1),
        None => "none (over 2,331)".into(),
    }
}

#[derive(Clone, Copy)]
struct Kem {
    pk: usize,
    enc: usize,
}
const X25519: Kem = Kem { pk: 32, enc: 32 };
const XWING: Kem = Kem {
    pk: 1216,
    enc: 1120,
};

/// Which KEM each use gets under one design.
#[derive(Clone, Copy)]
struct Design {
    name: &'static str,
    /// The per-invite key in the Invite, and the join request's seal to it (PSK mode).
    invite: Kem,
    /// The joiner's key that its Welcome is sealed to.
    welcome: Kem,
    /// Init keys in the roster, `AddOp`s and `CommitTBS` key 7, and the commit seals.
    roster: Kem,
}

const DESIGNS: [Design; 5] = [
    Design {
        name: "suite 1 (measured)",
        invite: X25519,
        welcome: X25519,
        roster: X25519,
    },
    Design {
        name: "(a) X-Wing everywhere",
        invite: XWING,
        welcome: XWING,
        roster: XWING,
    },
    Design {
        name: "(b) PQ at the entry points",
        invite: XWING,
        welcome: XWING,
        roster: X25519,
    },
    Design {
        name: "(c) = (a), join stays X25519/PSK",
        invite: X25519,
        welcome: XWING,
        roster: XWING,
    },
    Design {
        name: "(b) with (c)",
        invite: X25519,
        welcome: XWING,
        roster: X25519,
    },
];

fn host() -> HostUrl {
    HostUrl::new(HOST).unwrap()
}

fn invite_and_join(admin: &mut Group) -> (String, PendingMember, ValidatedJoin, Vec<u8>, usize) {
    let mut inv = admin
        .create_invitation(ConversationId([1; 16]), u64::MAX)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    let (mut pending, redeem) = PendingMember::join(&uri, IdentityKey::generate(), "m", 0).unwrap();
    pending.confirm_sas();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(0),
    };
    let sealed_len = redeem.body.sealed.to_vec().len();
    let req = signed_request(Op::INVITE_REDEEM, &redeem.body);
    let v = inv.process_join(&pj).unwrap();
    (uri, pending, v, req, sealed_len)
}

/// A `SignedRequest` around `body` (key and signature are fixed-size: zeros measure the same).
fn signed_request(op: Op, body: &impl WireEncode) -> Vec<u8> {
    let req = Request {
        op,
        host_url: host(),
        channel_id: Some(hearth_wire::ChannelId([7; 16])),
        ts: Secs(1_800_000_000),
        nonce: Nonce16([1; 16]),
        body: RawValue::from_value(body),
        ext: None,
    };
    SignedRequest {
        version: Version,
        key: EdPublic([0; 32]),
        request: SignedBytes::from_bytes(req.to_vec()),
        signature: Signature([0; 64]),
    }
    .to_vec()
}

/// The request bytes of a `SignedRequest` of `total` bytes with a `Request` of `inner` bytes, if
/// the request grows by `delta`.
fn grow_request(total: usize, inner: usize, delta: isize) -> usize {
    let new_inner = inner.checked_add_signed(delta).unwrap();
    total - bstr(inner) + bstr(new_inner)
}

struct Measured {
    uri: usize,
    invite: usize,
    jr_sealed: usize,
    jr_request: usize,
    welcome: usize,
    gi_ct: usize,
    /// (k added, remaining sealed-to members, commit bytes, post body bytes, request bytes)
    commits: Vec<(usize, usize, usize, usize, usize)>,
}

fn build_channel(admin: &mut Group, to: usize) -> Vec<(PendingMember, ValidatedJoin)> {
    let mut joins = Vec::new();
    for _ in 0..to {
        let (_, p, v, _, _) = invite_and_join(admin);
        joins.push((p, v));
    }
    joins
}

fn commit_adding(
    admin: &mut Group,
    joins: Vec<(PendingMember, ValidatedJoin)>,
) -> hearth_crypto::CommitOutput {
    let changes = joins
        .into_iter()
        .map(|(_, joiner)| Change::Add {
            joiner: Box::new(joiner.confirm_sas_matches()),
            role: Role::Member,
        })
        .collect();
    let out = admin.commit(changes, 0).unwrap();
    admin.commit_accepted().unwrap();
    out
}

fn record(m: &mut Measured, k: usize, remaining: usize, out: &hearth_crypto::CommitOutput) {
    let body = out.post_body().unwrap();
    let req = signed_request(Op::COMMIT_POST, &body);
    m.commits.push((
        k,
        remaining,
        out.commit.len(),
        body.to_vec().len(),
        req.len(),
    ));
}

fn measure() -> Measured {
    let mut admin = Group::create(host(), IdentityKey::generate(), 0).unwrap();
    let (uri, _, _, jr_request, jr_sealed) = invite_and_join(&mut admin);
    let invite = InviteUri::parse(&uri).unwrap().invite.to_vec().len();
    let mut m = Measured {
        uri: uri.len(),
        invite,
        jr_sealed,
        jr_request: jr_request.len(),
        welcome: 0,
        gi_ct: 0,
        commits: Vec::new(),
    };
    // k = 255: the largest commit.post (one creator adds 255).
    let joins = build_channel(&mut admin, 255);
    let out = commit_adding(&mut admin, joins);
    m.welcome = out.welcomes[0].1.len();
    m.gi_ct = out.group_info_ct.as_ref().unwrap().len();
    record(&mut m, 255, 0, &out);
    // k = 0 at 256 members: a plain update sealing to 255 members.
    let out = admin.commit(vec![], 0).unwrap();
    admin.commit_accepted().unwrap();
    record(&mut m, 0, 255, &out);
    // k = 1 at 256: remove one, then add one to the 255 left (254 sealed, one Welcome).
    let out = admin
        .commit(vec![Change::Remove(hearth_wire::Leaf(255))], 0)
        .unwrap();
    admin.commit_accepted().unwrap();
    let joins = build_channel(&mut admin, 1);
    let out1 = commit_adding(&mut admin, joins);
    assert_eq!(out1.welcomes.len(), 1);
    drop(out);
    record(&mut m, 1, 254, &out1);
    // A channel of 16: a plain update sealing to 15.
    let mut small = Group::create(host(), IdentityKey::generate(), 0).unwrap();
    let joins = build_channel(&mut small, 15);
    commit_adding(&mut small, joins);
    let out = small.commit(vec![], 0).unwrap();
    small.commit_accepted().unwrap();
    record(&mut m, 0, 15, &out);
    m
}

/// GroupInfo ciphertext of 256 members for roster KEM `r`: `AEAD(SignedGroupInfo)`,
/// `SignedGroupInfo = [bstr .cbor GroupInfo, sig]`, GroupInfo with 256 init keys.
fn gi_ct(m: &Measured, r: Kem) -> usize {
    let sgi = m.gi_ct - 16;
    let gi = unbstr(sgi - 1 - 66);
    let gi2 = gi + 256 * (bstr(r.pk) - bstr(32));
    1 + bstr(gi2) + 66 + 16
}

/// The Welcome: `hpke-sealed` of the 32-byte joiner secret to the joiner's Welcome key.
fn welcome(m: &Measured, w: Kem) -> usize {
    m.welcome - bstr(32) + bstr(w.enc)
}

/// The sealed join request: `[enc, AEAD(SignedJoinRequest)]`, `SignedJoinRequest =
/// [bstr .cbor JoinRequest, sig]`; the JoinRequest carries the joiner's roster init key and,
/// when the Welcome key differs in kind from it, also the Welcome key (one more map entry).
fn jr_sealed(m: &Measured, d: Design) -> usize {
    let ct = unbstr(m.jr_sealed - 1 - bstr(32));
    let sjr = ct - 16;
    let jr = unbstr(sjr - 1 - 66);
    let extra = if d.welcome.pk != d.roster.pk {
        1 + bstr(d.welcome.pk)
    } else {
        0
    };
    let jr2 = jr - bstr(32) + bstr(d.roster.pk) + extra;
    let ct2 = 1 + bstr(jr2) + 66 + 16;
    1 + bstr(d.invite.enc) + bstr(ct2)
}

fn jr_request(m: &Measured, d: Design) -> usize {
    let delta = jr_sealed(m, d) as isize - m.jr_sealed as isize;
    let inner = unbstr(m.jr_request - 1 - 1 - bstr(32) - 66);
    grow_request(m.jr_request, inner, delta)
}

/// A commit: `[bstr .cbor CommitTBS, sig, tag]`; the TBS holds `k` AddOps with init keys, the
/// committer's new init key (key 7), and `remaining` sealed commit secrets.
fn commit(c: usize, k: usize, remaining: usize, r: Kem) -> usize {
    let tbs = unbstr(c - 1 - 66 - 34);
    let dpk = bstr(r.pk) - bstr(32);
    let denc = bstr(r.enc) - bstr(32);
    let tbs2 = tbs + (k + 1) * dpk + remaining * denc;
    1 + bstr(tbs2) + 66 + 34
}

/// `CommitPostBody {1: bstr .cbor Commit, 2: [* [MK, bstr .cbor Welcome]], ? 3: gi_ct}`.
fn post_body(m: &Measured, i: usize, d: Design) -> usize {
    let (k, remaining, c, body, _) = m.commits[i];
    let mut b = body - bstr(c) + bstr(commit(c, k, remaining, d.roster));
    if k > 0 {
        b = b - k * bstr(m.welcome) + k * bstr(welcome(m, d.welcome));
        b = b - bstr(m.gi_ct) + bstr(gi_ct(m, d.roster));
    }
    b
}

fn post_request(m: &Measured, i: usize, d: Design) -> usize {
    let (_, _, _, body, req) = m.commits[i];
    let delta = post_body(m, i, d) as isize - body as isize;
    let inner = unbstr(req - 1 - 1 - bstr(32) - 66);
    grow_request(req, inner, delta)
}

/// `LogEntry [seq, kind, bstr commit, head, received]` for a commit (seq and time as 4-byte
/// uints), and a page of `n` of them.
fn log_page(commit_bytes: usize, n: usize) -> usize {
    let entry = 1 + 5 + 1 + bstr(commit_bytes) + 34 + 5;
    1 + hdr(1) + hdr(n) + n * entry + 1 + 5 + 1 + 34 + 1 + 5
}

/// `n` with thousands separators.
fn kb(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn main() {
    let m = measure();
    // The model reproduces every measured suite-1 size exactly.
    let s1 = DESIGNS[0];
    let uri1 = "hearth:".len() + b64(m.invite + 4);
    assert_eq!(uri1, m.uri, "uri model");
    assert_eq!(jr_sealed(&m, s1), m.jr_sealed, "join request model");
    assert_eq!(welcome(&m, X25519), m.welcome, "welcome model");
    assert_eq!(gi_ct(&m, X25519), m.gi_ct, "gi_ct model");
    for (i, &(k, rem, c, body, req)) in m.commits.iter().enumerate() {
        assert_eq!(commit(c, k, rem, X25519), c, "commit model {i}");
        assert_eq!(post_body(&m, i, s1), body, "post body model {i}");
        assert_eq!(post_request(&m, i, s1), req, "post request model {i}");
    }

    println!(
        "bytes unless noted; host URL {HOST:?} ({} bytes), display name of 1 byte\n",
        HOST.len()
    );
    print!("| size | ");
    for d in DESIGNS {
        print!("{} | ", d.name);
    }
    println!("\n|---|{}", "---|".repeat(DESIGNS.len()));
    let row = |what: &str, f: &dyn Fn(Design) -> String| {
        print!("| {what} | ");
        for d in DESIGNS {
            print!("{} | ", f(d));
        }
        println!();
    };
    let uri = |d: Design| "hearth:".len() + b64(m.invite - bstr(32) + bstr(d.invite.pk) + 4);
    row("Invite (hCBOR)", &|d| {
        kb(m.invite - bstr(32) + bstr(d.invite.pk))
    });
    row("invitation link (characters)", &|d| kb(uri(d)));
    row("QR version, byte mode, level M", &|d| qr_version(uri(d)));
    row("sealed join request (`hpke-sealed`)", &|d| {
        kb(jr_sealed(&m, d))
    });
    row("invite.redeem request", &|d| kb(jr_request(&m, d)));
    row("Welcome", &|d| kb(welcome(&m, d.welcome)));
    row("GroupInfo ciphertext, 256 members", &|d| {
        kb(gi_ct(&m, d.roster))
    });
    for (i, &(k, rem, c, _, _)) in m.commits.iter().enumerate() {
        let what = match k {
            0 => format!("commit sealing to {rem} (plain update at {})", rem + 1),
            _ => format!("commit adding {k}, sealing to {rem}"),
        };
        row(&what, &|d| kb(commit(c, k, rem, d.roster)));
        row(&format!("  its commit.post request (k = {k})"), &|d| {
            kb(post_request(&m, i, d))
        });
    }
    let largest = |d: Design| {
        m.commits
            .iter()
            .map(|&(k, rem, c, _, _)| commit(c, k, rem, d.roster))
            .max()
            .unwrap()
    };
    row("log page of 100 largest commits", &|d| {
        kb(log_page(largest(d), 100))
    });
    row("log page of 500 largest commits", &|d| {
        kb(log_page(largest(d), 500))
    });
    // commit.post at 256 members is linear in k between the measured k = 1 and k = 255.
    row(
        "most members one commit.post can add within 131,072",
        &|d| {
            let r1 = post_request(&m, 2, d) as f64;
            let r255 = post_request(&m, 0, d) as f64;
            let slope = (r255 - r1) / 254.0;
            if r1 > 131_072.0 {
                "none".into()
            } else {
                format!(
                    "{}",
                    ((131_072.0 - r1) / slope).floor().min(254.0) as usize + 1
                )
            }
        },
    );
    row("welcome.fetch result (Welcome + gi_ct)", &|d| {
        kb(1 + 1 + bstr(welcome(&m, d.welcome)) + 1 + 5 + 1 + bstr(gi_ct(&m, d.roster)))
    });
}
