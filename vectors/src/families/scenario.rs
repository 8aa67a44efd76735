//! The story every group-level family and the worked example share: Alice hosts a channel,
//! Bob scans her invitation, they talk, Carol joins, Bob leaves. Run once with fixed seeds
//! through the reference library; every secret the library draws is re-derived from the
//! seeded generator's stream and checked against what the library exposes (channel id, keys,
//! `gc_hash`, epoch authenticators, confirmation tags), so a reordering of the library's draws
//! fails generation instead of producing wrong vectors.

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::PendingMember;
use hearth_crypto::group::{Change, CommitOutcome, Group};
use hearth_crypto::hazmat::hpke::{Enc, Hpke};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::hazmat::x25519;
use hearth_crypto::keys::{IdentityKey, MemberKey};
use hearth_crypto::rng::HearthRng;
use hearth_wire::group::{Commit, CommitTbs, RosterEntry, Welcome};
use hearth_wire::request::{ChannelCreateBody, Empty, PendingJoin, Request, SignedRequest};
use hearth_wire::{
    encode_with, ChannelId, ConversationId, EdPublic, Hash, HostUrl, Leaf, Nonce16, Op, RawValue,
    Role, Secs, SignedBytes, Suite, Version, WireDecode, WireEncode, XPublic,
};
use rand_core::RngCore;

use crate::families::schedule::{self, EpochKeys};
use crate::model::{ensure, GenError, R};
use crate::util::{arr16, arr32, HOST_URL};

/// The scenario's start time (2026-01-01T00:00:00Z).
pub const T0: u64 = 1_767_225_600;

/// Replays a seeded generator's stream.
#[derive(Clone, Debug)]
pub struct Shadow {
    seed: [u8; 32],
    off: usize,
}

impl Shadow {
    fn new(seed: [u8; 32]) -> Self {
        Self { seed, off: 0 }
    }

    /// The next `n` bytes the library draws.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let mut r = HearthRng::danger_seeded(self.seed);
        let mut skip = vec![0u8; self.off];
        r.fill_bytes(&mut skip);
        let mut out = vec![0u8; n];
        r.fill_bytes(&mut out);
        self.off += n;
        out
    }

    fn take32(&mut self) -> [u8; 32] {
        let v = self.take(32);
        let mut a = [0u8; 32];
        a.copy_from_slice(v.get(..32).unwrap_or(&[0u8; 32]));
        a
    }
}

/// A participant.
pub struct Actor {
    /// Display name.
    pub name: &'static str,
    /// Identity key seed.
    pub ik_seed: [u8; 32],
    /// Generator seed.
    pub rng_seed: [u8; 32],
    /// The identity key.
    pub ik: IdentityKey,
    /// Current member key seed.
    pub mk_seed: [u8; 32],
    shadow: Shadow,
}

impl Actor {
    fn new(name: &'static str, b: u8) -> Self {
        let ik_seed = arr32(b);
        let rng_seed = arr32(b.wrapping_add(0x80));
        Self {
            name,
            ik_seed,
            rng_seed,
            ik: IdentityKey::from_seed(&ik_seed),
            mk_seed: [0; 32],
            shadow: Shadow::new(rng_seed),
        }
    }

    fn mk(&self) -> MemberKey {
        MemberKey::from_seed(&self.mk_seed)
    }

    fn mk_pub(&self) -> [u8; 32] {
        *self.mk().public_key().as_bytes()
    }
}

/// A log entry.
#[derive(Clone, Debug)]
pub struct LogRec {
    /// `seq`.
    pub seq: u64,
    /// Entry kind code.
    pub kind: u8,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// `H("entry", bytes)`.
    pub entry_hash: [u8; 32],
    /// The head after this entry.
    pub head: [u8; 32],
    /// What the entry is, for people.
    pub what: String,
}

/// `head_s = H("log", [head_{s-1}, s, kind, H("entry", bytes)])`.
pub fn next_head(prev: &[u8], seq: u64, kind: u8, bytes: &[u8]) -> ([u8; 32], [u8; 32]) {
    let eh = labelled::h(label::ENTRY, bstr(bytes));
    let head = labelled::h(label::LOG, |e| {
        e.array(4)
            .bytes(prev)
            .uint(seq)
            .uint(u64::from(kind))
            .bytes(&eh);
    });
    (eh, head)
}

/// One epoch as derived independently.
#[derive(Clone, Debug)]
pub struct EpochRec {
    /// The epoch number.
    pub n: u64,
    /// What made it.
    pub what: String,
    /// `Roster[n]`.
    pub roster: Vec<RosterEntry>,
    /// `nu[n]`: the leaves whose `needs_update` flag is set (spec §6.2).
    pub nu: Vec<u64>,
    /// `cth[n]`.
    pub cth: Vec<u8>,
    /// `hCBOR(GroupContext[n])`.
    pub gc: Vec<u8>,
    /// `gc_hash[n]`.
    pub gc_hash: [u8; 32],
    /// `init_secret[n-1]` (epoch >= 1).
    pub init_prev: Option<[u8; 32]>,
    /// The commit secret (epoch >= 1).
    pub commit_secret: Option<[u8; 32]>,
    /// Every derived secret.
    pub keys: EpochKeys,
}

/// An invitation and the join that used it.
#[derive(Clone, Debug)]
pub struct InviteRec {
    /// Who is invited.
    pub joiner: &'static str,
    /// Inviter's generator bytes: the invite secret.
    pub secret: [u8; 32],
    /// The per-invite X25519 private key.
    pub inviter_sk: [u8; 32],
    /// `InviteCreateBody`.
    pub create_body: Vec<u8>,
    /// The URI.
    pub uri: String,
    /// `hCBOR(Invite)`.
    pub invite_cbor: Vec<u8>,
    /// The time of the join.
    pub join_time: u64,
    /// Joiner's identity key seed.
    pub joiner_ik_seed: [u8; 32],
    /// Joiner's generator seed.
    pub joiner_rng_seed: [u8; 32],
    /// Joiner's member key seed (generator bytes 0..32).
    pub joiner_mk_seed: [u8; 32],
    /// Joiner's init private key (generator bytes 32..64).
    pub joiner_init_sk: [u8; 32],
    /// HPKE ikmE (generator bytes 64..96).
    pub ikm_e: [u8; 32],
    /// The joiner's proposed name.
    pub name: &'static str,
    /// `hCBOR(InviteRedeemBody)`.
    pub redeem_body: Vec<u8>,
    /// The decrypted `SignedJoinRequest`.
    pub sjr: Vec<u8>,
    /// `PendingJoin` as the host serves it.
    pub pending_join: Vec<u8>,
    /// The short authentication string both clients show (spec §5.8.1).
    pub sas: u32,
}

/// An envelope, its receiver's state before opening it, and its keys.
pub struct EnvRec {
    /// Stable slug.
    pub slug: &'static str,
    /// Sender name.
    pub sender_name: &'static str,
    /// Receiver name.
    pub receiver_name: &'static str,
    /// The text.
    pub text: &'static str,
    /// Envelope bytes.
    pub bytes: Vec<u8>,
    /// Its log seq.
    pub seq: u64,
    /// Epoch.
    pub epoch: u64,
    /// Sender leaf.
    pub leaf: u8,
    /// Generation.
    pub generation: u32,
    /// The sender's member key seed (for re-signing negatives).
    pub sender_mk_seed: [u8; 32],
    /// The receiver before opening.
    pub receiver: Group,
    /// `msg-ref`.
    pub msg_ref: [u8; 32],
}

/// A commit, the receiver's state before processing it, and the committer's keys.
pub struct CommitRec {
    /// Stable slug.
    pub slug: &'static str,
    /// What it does.
    pub what: &'static str,
    /// Committer name.
    pub committer: &'static str,
    /// Committer's member key seed.
    pub committer_mk_seed: [u8; 32],
    /// Receiver name.
    pub receiver_name: &'static str,
    /// The commit bytes.
    pub bytes: Vec<u8>,
    /// Its log seq.
    pub seq: u64,
    /// The receiver before processing (None: no other member).
    pub receiver: Option<Group>,
    /// The new epoch.
    pub new_epoch: u64,
    /// The Welcomes.
    pub welcomes: Vec<Vec<u8>>,
}

/// A Welcome and the joiner's results on it and on its variants.
pub struct WelcomeRec {
    /// Joiner name.
    pub joiner: &'static str,
    /// The Welcome.
    pub bytes: Vec<u8>,
    /// The anchor commit.
    pub anchor: Vec<u8>,
    /// The epoch.
    pub epoch: u64,
    /// Joiner init private key.
    pub init_sk: [u8; 32],
    /// The GroupInfo ciphertext served with the Welcome (`WelcomeFetchResult` key 3).
    pub group_info_ct: Vec<u8>,
    /// Variants: see [`crate::families::welcome::Variant`].
    pub variants: Vec<crate::families::welcome::Variant>,
}

/// The whole story.
pub struct Scenario {
    /// The channel id.
    pub cid: [u8; 16],
    /// Alice, Bob, Carol.
    pub actors: Vec<Actor>,
    /// The log.
    pub log: Vec<LogRec>,
    /// Every epoch.
    pub epochs: Vec<EpochRec>,
    /// The invitations.
    pub invites: Vec<InviteRec>,
    /// The envelopes.
    pub envelopes: Vec<EnvRec>,
    /// The commits.
    pub commits: Vec<CommitRec>,
    /// The Welcomes.
    pub welcomes: Vec<WelcomeRec>,
    /// Alice's epoch-0 values: `(member key seed, init sk, epoch_secret[0])`.
    pub alice_start: ([u8; 32], [u8; 32], [u8; 32]),
    /// Narrative steps for the worked example: (title, details).
    pub steps: Vec<(String, Vec<(String, String)>)>,
    /// Every init private key of the story (to find a receiver's by its public key).
    pub init_keys: Vec<[u8; 32]>,
    /// Final groups (Alice, Carol) for passive-client scenarios: snapshots by name and seq.
    pub snapshots: Vec<(&'static str, u64, Group)>,
}

fn signed_request(
    mk: &MemberKey,
    op: Op,
    cid: [u8; 16],
    ts: u64,
    nonce: [u8; 16],
    body: RawValue,
) -> R<(Vec<u8>, Vec<u8>)> {
    let req = Request {
        op,
        host_url: HostUrl::new(HOST_URL)?,
        channel_id: Some(ChannelId(cid)),
        ts: Secs(ts),
        nonce: Nonce16(nonce),
        body,
        ext: None,
    };
    let rb = req.to_vec();
    let sig = labelled::sign_with_label(mk.signing_key(), label::REQUEST, bstr(&rb));
    let sr = SignedRequest {
        version: Version,
        key: EdPublic(*mk.public_key().as_bytes()),
        request: SignedBytes::from_bytes(rb.clone()),
        signature: hearth_wire::Signature(sig.to_bytes()),
    };
    Ok((sr.to_vec(), rb))
}

fn open_sealed(init_sk: &[u8; 32], enc: &[u8; 32], info: &[u8], ct: &[u8]) -> R<Vec<u8>> {
    let sk = x25519::SecretKey::from_bytes(*init_sk);
    let pt = Hpke::SUITE_1.open_base(&Enc::from_bytes(*enc), &sk, info, b"", ct)?;
    Ok(pt.as_slice().to_vec())
}

fn a32(v: &[u8]) -> [u8; 32] {
    let mut a = [0u8; 32];
    for (d, s) in a.iter_mut().zip(v) {
        *d = *s;
    }
    a
}

fn x_pub(sk: &[u8; 32]) -> [u8; 32] {
    *x25519::SecretKey::from_bytes(*sk).public_key().as_bytes()
}

struct Ctx {
    cid: [u8; 16],
    log: Vec<LogRec>,
    epochs: Vec<EpochRec>,
    roster: Vec<RosterEntry>,
    nu: Vec<u64>,
    cth: Vec<u8>,
    steps: Vec<(String, Vec<(String, String)>)>,
    inits: Vec<[u8; 32]>,
}

impl Ctx {
    fn append(&mut self, kind: u8, bytes: &[u8], what: &str) -> u64 {
        let seq = self.log.len() as u64 + 1;
        let prev = self.log.last().map(|l| l.head.to_vec()).unwrap_or_default();
        let (eh, head) = next_head(&prev, seq, kind, bytes);
        self.log.push(LogRec {
            seq,
            kind,
            bytes: bytes.to_vec(),
            entry_hash: eh,
            head,
            what: what.to_owned(),
        });
        seq
    }

    fn v_head(&self) -> (u64, Option<Hash>) {
        match self.log.last() {
            Some(l) => (l.seq, Some(Hash(l.head))),
            None => (0, None),
        }
    }

    /// Installs epoch `n` from a commit: checks gc_hash, the authenticator and the tag.
    #[allow(clippy::too_many_arguments)]
    fn epoch_from_commit(
        &mut self,
        n: u64,
        what: &str,
        commit: &[u8],
        commit_secret: [u8; 32],
        check: &Group,
    ) -> R<EpochKeys> {
        let c = Commit::decode(commit)?;
        let tbs_bytes = c.tbs.as_bytes().to_vec();
        let cth = labelled::h(label::CTH, |e| {
            e.array(2).bytes(&self.cth).bytes(&tbs_bytes);
        })
        .to_vec();
        let (gc, gch) = schedule::group_context(self.cid, n, &self.roster, &self.nu, &cth)?;
        ensure(
            Some(gch) == check.group_context_hash(),
            &format!("gc_hash of epoch {n}"),
        )?;
        let init_prev = self.epochs.last().map(|e| e.keys.init).unwrap_or_default();
        let k = schedule::derive_epoch(&init_prev, &commit_secret, &gch, &cth);
        ensure(
            check.epoch_authenticator().map(|a| *a.as_bytes()) == Some(k.authenticator),
            &format!("epoch authenticator of epoch {n}"),
        )?;
        ensure(
            c.confirmation_tag.0 == k.confirmation_tag,
            &format!("confirmation tag of epoch {n}"),
        )?;
        self.cth = cth.clone();
        self.epochs.push(EpochRec {
            n,
            what: what.to_owned(),
            roster: self.roster.clone(),
            nu: self.nu.clone(),
            cth,
            gc,
            gc_hash: gch,
            init_prev: Some(init_prev),
            commit_secret: Some(commit_secret),
            keys: k.clone(),
        });
        Ok(k)
    }

    fn epoch(&self) -> R<&EpochRec> {
        self.epochs
            .last()
            .ok_or_else(|| GenError("no epoch".into()))
    }
}

fn entry(
    mk: [u8; 32],
    init: [u8; 32],
    role: Role,
    ik: &IdentityKey,
    cid: &[u8; 16],
) -> RosterEntry {
    let cert = ik.certify_member(HOST_URL, cid, &MemberKey::from_seed(&mk).public_key());
    // `mk` here is the seed; the entry holds the public key.
    RosterEntry {
        member_key: EdPublic(*MemberKey::from_seed(&mk).public_key().as_bytes()),
        init_key: XPublic(x_pub(&init)).into(),
        role,
        identity: EdPublic(*ik.public_key().as_bytes()),
        cert: hearth_wire::Signature(cert.to_bytes()),
    }
}

fn set_init(r: &mut [RosterEntry], leaf: usize, init_sk: &[u8; 32]) {
    if let Some(e) = r.get_mut(leaf) {
        e.init_key = XPublic(x_pub(init_sk)).into();
    }
}

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

fn h(b: &[u8]) -> String {
    crate::model::hex(b)
}

impl Scenario {
    /// Runs the story.
    #[allow(clippy::too_many_lines)]
    pub fn run() -> R<Scenario> {
        let host = HostUrl::new(HOST_URL)?;
        let mut alice = Actor::new("Alice", 0x11);
        let mut bob = Actor::new("Bob", 0x22);
        let mut carol = Actor::new("Carol", 0x33);
        let mut t = T0;
        // ---- Alice creates the channel (epoch 0).
        let mut ga = Group::danger_create_with_rng(
            host.clone(),
            alice.ik.clone(),
            t,
            HearthRng::danger_seeded(alice.rng_seed),
        )?;
        let cid_v = alice.shadow.take(16);
        let mut cid = [0u8; 16];
        cid.copy_from_slice(cid_v.get(..16).unwrap_or(&[0u8; 16]));
        ensure(ga.channel_id().0 == cid, "channel id from the stream")?;
        alice.mk_seed = alice.shadow.take32();
        let alice_init0 = alice.shadow.take32();
        let es0 = alice.shadow.take32();
        ensure(
            ga.member_key().map(|k| *k.as_bytes()) == Some(alice.mk_pub()),
            "alice member key",
        )?;
        let alice_mk0 = alice.mk_seed;
        let mut cx = Ctx {
            cid,
            log: Vec::new(),
            epochs: Vec::new(),
            roster: Vec::new(),
            nu: Vec::new(),
            cth: Vec::new(),
            steps: Vec::new(),
            inits: vec![alice_init0],
        };
        cx.roster.push(entry(
            alice.mk_seed,
            alice_init0,
            Role::Admin,
            &alice.ik,
            &cid,
        ));
        let (gc0, gch0) = schedule::group_context(cid, 0, &cx.roster, &[], &[])?;
        ensure(Some(gch0) == ga.group_context_hash(), "gc_hash[0]")?;
        let k0 = schedule::from_epoch_secret(es0, &[]);
        ensure(
            ga.epoch_authenticator().map(|a| *a.as_bytes()) == Some(k0.authenticator),
            "authenticator[0]",
        )?;
        cx.epochs.push(EpochRec {
            n: 0,
            what: "Alice creates the channel".into(),
            roster: cx.roster.clone(),
            nu: Vec::new(),
            cth: Vec::new(),
            gc: gc0,
            gc_hash: gch0,
            init_prev: None,
            commit_secret: None,
            keys: k0,
        });
        // channel.create, signed by Alice's member key with her owner signature.
        let owner_sig = labelled::sign_with_label(alice.ik.signing_key(), label::CREATE, |e| {
            e.array(3).text(HOST_URL).bytes(&cid).bytes(&alice.mk_pub());
        });
        let body = ChannelCreateBody {
            suite: Suite::X25519_SHA256_AES256GCM_ED25519,
            owner_signature: hearth_wire::Signature(owner_sig.to_bytes()),
        };
        let (create_sr, create_req) = signed_request(
            &alice.mk(),
            Op::CHANNEL_CREATE,
            cid,
            t,
            arr16(0x01),
            RawValue::from_value(&body),
        )?;
        let s1 = cx.append(0, &create_sr, "create: Alice's channel.create request");
        cx.steps.push((
            "Alice creates the channel".into(),
            vec![
                kv("Alice identity key seed", h(&alice.ik_seed)),
                kv(
                    "Alice identity public key",
                    h(alice.ik.public_key().as_bytes()),
                ),
                kv(
                    "Alice fingerprint",
                    h(alice.ik.public_key().fingerprint().as_bytes()),
                ),
                kv(
                    "Alice fingerprint (display)",
                    alice.ik.public_key().fingerprint().display_digits(),
                ),
                kv("Alice generator seed", h(&alice.rng_seed)),
                kv("channel_id (generator bytes 0..16)", h(&cid)),
                kv("Alice member key seed (bytes 16..48)", h(&alice.mk_seed)),
                kv("Alice member public key", h(&alice.mk_pub())),
                kv("Alice init private key (bytes 48..80)", h(&alice_init0)),
                kv("Alice init public key", h(&x_pub(&alice_init0))),
                kv("epoch_secret[0] (bytes 80..112)", h(&es0)),
                kv(
                    "owner signature over [host_url, channel_id, MK_pub], label create",
                    h(&owner_sig.to_bytes()),
                ),
                kv("Request bytes", h(&create_req)),
                kv("SignedRequest bytes (log entry 1)", h(&create_sr)),
                kv("log seq", s1.to_string()),
            ],
        ));
        if let (Some(st), Some(e0)) = (cx.steps.last_mut(), cx.epochs.first()) {
            st.1.extend(epoch_kvs(e0));
        }
        // ---- Alice invites Bob.
        t += 60;
        let mut invites = Vec::new();
        let mut welcomes = Vec::new();
        let mut commits = Vec::new();
        let mut envelopes = Vec::new();
        let mut snapshots = Vec::new();
        let (mut gb, c1, w1, inv_b) = invite_and_add(
            &mut ga,
            &mut alice,
            &mut bob,
            "Bob",
            &mut t,
            &mut cx,
            &host,
            &mut welcomes,
            0,
        )?;
        invites.push(inv_b);
        commits.push(CommitRec {
            slug: "alice-adds-bob",
            what: "Alice adds Bob (epoch 0 to 1)",
            committer: "Alice",
            committer_mk_seed: alice.mk_seed,
            receiver_name: "-",
            bytes: c1.clone(),
            seq: cx.log.len() as u64,
            receiver: None,
            new_epoch: 1,
            welcomes: vec![w1],
        });
        // ---- Bob's first commit (update, epoch 1 to 2).
        t += 60;
        let out2 = gb.commit(vec![], t)?;
        gb.commit_accepted()?;
        let cs2 = bob.shadow.take32();
        let bob_init2 = bob.shadow.take32();
        let _ = bob.shadow.take(32); // HPKE ikmE for Alice's sealed commit secret
        set_init(&mut cx.roster, 1, &bob_init2);
        cx.nu.retain(|l| *l != 1);
        cx.inits.push(bob_init2);
        let seq2 = cx.append(1, &out2.commit, "commit: Bob's update");
        let alice_before = ga.danger_clone();
        let oc = ga.process_commit(&out2.commit)?;
        ensure(
            matches!(oc, CommitOutcome::Installed { epoch: 2, .. }),
            "alice installs epoch 2",
        )?;
        cx.epoch_from_commit(2, "Bob's update commit", &out2.commit, cs2, &ga)?;
        commits.push(CommitRec {
            slug: "bob-update",
            what: "Bob's first commit, an update (epoch 1 to 2)",
            committer: "Bob",
            committer_mk_seed: bob.mk_seed,
            receiver_name: "Alice",
            bytes: out2.commit.clone(),
            seq: seq2,
            receiver: Some(alice_before),
            new_epoch: 2,
            welcomes: vec![],
        });
        push_commit_step(
            &mut cx,
            "Bob commits an update (epoch 2)",
            &out2.commit,
            seq2,
        )?;
        // ---- They talk.
        t += 60;
        let mut last_ref: std::collections::BTreeMap<&'static str, Hash> =
            std::collections::BTreeMap::new();
        send(
            &mut ga,
            &mut alice,
            0,
            "alice-hi-bob",
            "Hi Bob! This is our channel.",
            &mut [("Bob", &mut gb)],
            &mut cx,
            &mut last_ref,
            &mut envelopes,
            t,
        )?;
        t += 60;
        send(
            &mut gb,
            &mut bob,
            1,
            "bob-hi-alice",
            "Hi Alice, got it.",
            &mut [("Alice", &mut ga)],
            &mut cx,
            &mut last_ref,
            &mut envelopes,
            t,
        )?;
        // ---- Carol joins.
        t += 60;
        let bob_before = gb.danger_clone();
        let (mut gc, c3, w3, inv_c) = invite_and_add(
            &mut ga,
            &mut alice,
            &mut carol,
            "Carol",
            &mut t,
            &mut cx,
            &host,
            &mut welcomes,
            1,
        )?;
        invites.push(inv_c);
        let oc = gb.process_commit(&c3)?;
        ensure(
            matches!(oc, CommitOutcome::Installed { epoch: 3, .. }),
            "bob installs epoch 3",
        )?;
        commits.push(CommitRec {
            slug: "alice-adds-carol",
            what: "Alice adds Carol (epoch 2 to 3)",
            committer: "Alice",
            committer_mk_seed: alice.mk_seed,
            receiver_name: "Bob",
            bytes: c3.clone(),
            seq: cx.log.len() as u64,
            receiver: Some(bob_before),
            new_epoch: 3,
            welcomes: vec![w3],
        });
        // ---- Carol's update (epoch 3 to 4).
        t += 60;
        let out4 = gc.commit(vec![], t)?;
        gc.commit_accepted()?;
        let cs4 = carol.shadow.take32();
        let carol_init4 = carol.shadow.take32();
        let _ = carol.shadow.take(64);
        set_init(&mut cx.roster, 2, &carol_init4);
        cx.nu.retain(|l| *l != 2);
        cx.inits.push(carol_init4);
        let seq4 = cx.append(1, &out4.commit, "commit: Carol's update");
        let alice_before = ga.danger_clone();
        ga.process_commit(&out4.commit)?;
        gb.process_commit(&out4.commit)?;
        cx.epoch_from_commit(4, "Carol's update commit", &out4.commit, cs4, &ga)?;
        snapshots.push(("Carol", seq4, gc.danger_clone()));
        commits.push(CommitRec {
            slug: "carol-update",
            what: "Carol's first commit, an update (epoch 3 to 4)",
            committer: "Carol",
            committer_mk_seed: carol.mk_seed,
            receiver_name: "Alice",
            bytes: out4.commit.clone(),
            seq: seq4,
            receiver: Some(alice_before),
            new_epoch: 4,
            welcomes: vec![],
        });
        push_commit_step(
            &mut cx,
            "Carol commits an update (epoch 4)",
            &out4.commit,
            seq4,
        )?;
        t += 60;
        send(
            &mut gc,
            &mut carol,
            2,
            "carol-hello",
            "Hello everyone!",
            &mut [("Alice", &mut ga), ("Bob", &mut gb)],
            &mut cx,
            &mut last_ref,
            &mut envelopes,
            t,
        )?;
        t += 60;
        send(
            &mut gb,
            &mut bob,
            1,
            "bob-welcome-carol",
            "Welcome, Carol.",
            &mut [("Carol", &mut gc), ("Alice", &mut ga)],
            &mut cx,
            &mut last_ref,
            &mut envelopes,
            t,
        )?;
        // ---- Bob leaves.
        t += 60;
        let (leave_sr, _) = signed_request(
            &bob.mk(),
            Op::MEMBER_LEAVE,
            cid,
            t,
            arr16(0x02),
            RawValue::from_value(&Empty {}),
        )?;
        let seq_l = cx.append(3, &leave_sr, "leave: Bob's member.leave request");
        ensure(
            ga.record_leave(&leave_sr)? == Leaf(1),
            "leave recorded by Alice",
        )?;
        ensure(
            gc.record_leave(&leave_sr)? == Leaf(1),
            "leave recorded by Carol",
        )?;
        cx.steps.push((
            "Bob leaves".into(),
            vec![
                kv("member.leave SignedRequest (log entry)", h(&leave_sr)),
                kv("log seq", seq_l.to_string()),
            ],
        ));
        t += 60;
        let out5 = ga.commit(vec![Change::Remove(Leaf(1))], t)?;
        ga.commit_accepted()?;
        let cs5 = alice.shadow.take32();
        let alice_init5 = alice.shadow.take32();
        let _ = alice.shadow.take(32);
        cx.roster.remove(1);
        cx.nu = cx
            .nu
            .iter()
            .filter(|l| **l != 1)
            .map(|l| if *l > 1 { l - 1 } else { *l })
            .collect();
        set_init(&mut cx.roster, 0, &alice_init5);
        cx.inits.push(alice_init5);
        let seq5 = cx.append(1, &out5.commit, "commit: Alice removes Bob");
        let carol_before = gc.danger_clone();
        gc.process_commit(&out5.commit)?;
        ensure(
            gb.process_commit(&out5.commit)? == CommitOutcome::Removed,
            "Bob is removed",
        )?;
        cx.epoch_from_commit(5, "Alice removes Bob", &out5.commit, cs5, &ga)?;
        commits.push(CommitRec {
            slug: "alice-removes-bob",
            what: "Alice removes Bob after his leave request (epoch 4 to 5)",
            committer: "Alice",
            committer_mk_seed: alice.mk_seed,
            receiver_name: "Carol",
            bytes: out5.commit.clone(),
            seq: seq5,
            receiver: Some(carol_before),
            new_epoch: 5,
            welcomes: vec![],
        });
        push_commit_step(&mut cx, "Alice removes Bob (epoch 5)", &out5.commit, seq5)?;
        // Bob's side (§6.9.2): the removal sticks once he has processed the removing commit.
        let held = gb.held_secrets();
        ensure(
            held == hearth_crypto::group::HeldSecrets::default(),
            "Bob holds nothing after his removal",
        )?;
        if let Some(st) = cx.steps.last_mut() {
            st.1.push(kv(
                "Bob processes the commit",
                "its RemoveOp names his leaf 1 after steps 1 to 4 passed: he is removed (§6.9.2)",
            ));
            st.1.push(kv(
                "Bob's secrets and private keys of the channel after processing it",
                "none (epoch secrets, chains, init and member keys deleted)",
            ));
            st.1.push(kv(
                "the host, for 30 days after the commit",
                format!("serves Bob's member key the log through seq {seq5} and answers every other request of it with status removed (21)"),
            ));
        }
        t += 60;
        send(
            &mut ga,
            &mut alice,
            0,
            "alice-bye-bob",
            "Bob has left; it is just us now.",
            &mut [("Carol", &mut gc)],
            &mut cx,
            &mut last_ref,
            &mut envelopes,
            t,
        )?;
        Ok(Scenario {
            cid,
            actors: vec![alice, bob, carol],
            log: cx.log,
            epochs: cx.epochs,
            invites,
            envelopes,
            commits,
            welcomes,
            alice_start: (alice_mk0, alice_init0, es0),
            steps: cx.steps,
            snapshots,
            init_keys: cx.inits.clone(),
        })
    }
}

fn push_commit_step(cx: &mut Ctx, title: &str, commit: &[u8], seq: u64) -> R<()> {
    let e = cx.epoch()?.clone();
    let mut v = vec![
        kv("Commit bytes (log entry)", h(commit)),
        kv("log seq", seq.to_string()),
        kv(
            "head after the entry",
            h(&cx.log.last().map(|l| l.head).unwrap_or_default()),
        ),
    ];
    v.extend(epoch_kvs(&e));
    cx.steps.push((title.to_owned(), v));
    Ok(())
}

/// The worked-example lines of an epoch.
pub fn epoch_kvs(e: &EpochRec) -> Vec<(String, String)> {
    let n = e.n;
    let mut v = Vec::new();
    if let Some(i) = e.init_prev {
        v.push(kv(&format!("init_secret[{}]", n.saturating_sub(1)), h(&i)));
    }
    if let Some(c) = e.commit_secret {
        v.push(kv("commit_secret", h(&c)));
    }
    let roster = encode_with(|x| {
        x.array(e.roster.len());
        for r in &e.roster {
            r.encode(x);
        }
    });
    v.push(kv(&format!("Roster[{n}]"), h(&roster)));
    let nu =
        e.nu.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
    v.push(kv(&format!("nu[{n}]"), format!("[{nu}]")));
    v.push(kv(
        &format!("roster_hash[{n}]"),
        h(&schedule::roster_hash(&e.roster, &e.nu)),
    ));
    v.push(kv(&format!("cth[{n}]"), h(&e.cth)));
    v.push(kv(&format!("GroupContext[{n}]"), h(&e.gc)));
    v.push(kv(&format!("gc_hash[{n}]"), h(&e.gc_hash)));
    let k = &e.keys;
    if let Some(j) = k.joiner {
        v.push(kv(&format!("joiner_secret[{n}]"), h(&j)));
    }
    if let Some(w) = k.welcome_secret {
        v.push(kv(&format!("welcome_secret[{n}]"), h(&w)));
    }
    v.push(kv(&format!("epoch_secret[{n}]"), h(&k.epoch_secret)));
    v.push(kv(&format!("app_secret[{n}]"), h(&k.app)));
    v.push(kv(&format!("confirm_key[{n}]"), h(&k.confirm_key)));
    v.push(kv(&format!("exporter_secret[{n}]"), h(&k.exporter)));
    v.push(kv(
        &format!("epoch_authenticator[{n}]"),
        h(&k.authenticator),
    ));
    v.push(kv(&format!("init_secret[{n}]"), h(&k.init)));
    v.push(kv(
        &format!("confirmation_tag[{n}]"),
        h(&k.confirmation_tag),
    ));
    v
}

#[allow(clippy::too_many_arguments)]
fn invite_and_add(
    ga: &mut Group,
    alice: &mut Actor,
    joiner: &mut Actor,
    name: &'static str,
    t: &mut u64,
    cx: &mut Ctx,
    _host: &HostUrl,
    welcomes: &mut Vec<WelcomeRec>,
    others: usize,
) -> R<(Group, Vec<u8>, Vec<u8>, InviteRec)> {
    let cid = cx.cid;
    let expires = *t + hearth_crypto::invite::DEFAULT_LIFETIME_SECS;
    let draft = ga.create_invitation(ConversationId(arr16(0xcc)), expires)?;
    let create_body = draft.create_body().to_vec();
    let mut inv = draft.registered();
    let secret = alice.shadow.take32();
    let inviter_sk = alice.shadow.take32();
    let uri = inv.uri().ok_or_else(|| GenError("invitation uri".into()))?;
    ensure(
        uri.invite.secret.0 == secret,
        "invite secret from the stream",
    )?;
    ensure(
        uri.invite.inviter_key.0 == x_pub(&inviter_sk),
        "inviter key from the stream",
    )?;
    let uri_s = uri.to_string();
    *t += 60;
    let join_time = *t;
    let (mut pending, redeem) = PendingMember::danger_join_with_rng(
        &uri_s,
        joiner.ik.clone(),
        name,
        join_time,
        HearthRng::danger_seeded(joiner.rng_seed),
    )?;
    joiner.mk_seed = joiner.shadow.take32();
    let j_init = joiner.shadow.take32();
    let ikm_e = joiner.shadow.take32();
    ensure(
        redeem.body.member_key.0 == joiner.mk_pub(),
        "joiner member key from the stream",
    )?;
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(join_time),
    };
    // Decrypt the SignedJoinRequest independently for the record.
    let d = crate::families::invite::derive(&secret, &cid);
    let info = crate::families::invite::join_seal_info(&cid, &d.invite_id);
    let aad = crate::families::invite::join_seal_aad(&cid, &d.invite_id, &redeem.body.member_key.0);
    let sjr = Hpke::SUITE_1
        .open_psk(
            &Enc::from_bytes(redeem.body.sealed.enc.0),
            &x25519::SecretKey::from_bytes(inviter_sk),
            &info,
            &aad,
            redeem.body.sealed.ct.as_slice(),
            &d.psk,
            &d.invite_id,
        )?
        .as_slice()
        .to_vec();
    let validated = inv.process_join(&pj)?;
    // §5.8.1: both screens show the same code; both users confirm.
    let sas = validated.sas();
    ensure(pending.sas() == sas, "both sides derive the same code")?;
    pending.confirm_sas();
    *t += 60;
    let out = ga.commit(
        vec![Change::Add {
            joiner: Box::new(validated.confirm_sas_matches()),
            role: Role::Member,
        }],
        *t,
    )?;
    let gi_ct = out
        .group_info_ct
        .clone()
        .ok_or_else(|| GenError("group info ciphertext".into()))?;
    ga.commit_accepted()?;
    let cs = alice.shadow.take32();
    let a_init = alice.shadow.take32();
    let _ = alice.shadow.take(32 * (others + 1));
    set_init(&mut cx.roster, 0, &a_init);
    cx.nu.push(cx.roster.len() as u64);
    cx.inits.push(a_init);
    cx.inits.push(j_init);
    cx.roster.push(entry(
        joiner.mk_seed,
        j_init,
        Role::Member,
        &joiner.ik,
        &cid,
    ));
    let seq = cx.append(1, &out.commit, &format!("commit: Alice adds {name}"));
    let n = cx.epoch()?.n + 1;
    let k = cx.epoch_from_commit(n, &format!("Alice adds {name}"), &out.commit, cs, ga)?;
    let w = out
        .welcomes
        .first()
        .map(|x| x.1.clone())
        .ok_or_else(|| GenError("welcome".into()))?;
    // The joiner opens the Welcome's joiner secret with its init key.
    let wd = Welcome::decode(&w)?;
    let winfo = encode_with(|e| {
        e.array(2)
            .text(&label::WELCOME_SEAL.wire())
            .array(2)
            .bytes(&cid)
            .uint(n);
    });
    let js = open_sealed(
        &j_init,
        &wd.joiner_secret.enc.as_x25519()?.0,
        &winfo,
        wd.joiner_secret.ct.as_slice(),
    )?;
    ensure(
        Some(a32(&js)) == k.joiner,
        &format!(
            "joiner secret from the Welcome: {} vs {:?}",
            h(&js),
            k.joiner.map(|j| h(&j))
        ),
    )?;
    // Welcome variants, then the real acceptance.
    let (pending, variants) = crate::families::welcome::variants(
        pending,
        &w,
        &gi_ct,
        &out.commit,
        &k,
        cid,
        n,
        &alice.mk_seed,
        *t,
    )?;
    let gj = pending.accept_welcome(&w, &gi_ct, Some(&out.commit), *t)?;
    ensure(
        gj.epoch_authenticator().map(|a| *a.as_bytes()) == Some(k.authenticator),
        "joiner authenticator",
    )?;
    welcomes.push(WelcomeRec {
        joiner: name,
        bytes: w.clone(),
        anchor: out.commit.clone(),
        epoch: n,
        init_sk: j_init,
        group_info_ct: gi_ct.clone(),
        variants,
    });
    let e = cx.epoch()?.clone();
    let mut v = vec![
        kv("invite secret (Alice's generator)", h(&secret)),
        kv("per-invite X25519 private key", h(&inviter_sk)),
        kv("invite_id", h(&d.invite_id)),
        kv("invite_auth seed", h(&d.auth_seed)),
        kv("invite_auth public key", h(&d.auth_pub)),
        kv("psk", h(&d.psk)),
        kv("InviteCreateBody", h(&create_body)),
        kv("invitation URI (the QR code's text)", uri_s.clone()),
        kv(
            &format!("{name} identity public key"),
            h(joiner.ik.public_key().as_bytes()),
        ),
        kv(
            &format!("{name} fingerprint (display)"),
            joiner.ik.public_key().fingerprint().display_digits(),
        ),
        kv(&format!("{name} generator seed"), h(&joiner.rng_seed)),
        kv(
            &format!("{name} member key seed (bytes 0..32)"),
            h(&joiner.mk_seed),
        ),
        kv(
            &format!("{name} init private key (bytes 32..64)"),
            h(&j_init),
        ),
        kv("HPKE ikmE of the join (bytes 64..96)", h(&ikm_e)),
        kv("join-seal info", h(&info)),
        kv("join-seal aad", h(&aad)),
        kv("SignedJoinRequest (sealed plaintext)", h(&sjr)),
        kv("InviteRedeemBody", h(&redeem.body.to_vec())),
        kv("PendingJoin", h(&pj.to_vec())),
        kv(
            "short authentication string (both screens, compared before the add)",
            sas.to_string(),
        ),
        kv("Commit bytes (log entry)", h(&out.commit)),
        kv("log seq", seq.to_string()),
        kv("Welcome", h(&w)),
        kv("GroupInfo ciphertext (CommitPostBody key 3)", h(&gi_ct)),
        kv("welcome-seal info", h(&winfo)),
    ];
    v.extend(epoch_kvs(&e));
    if let (Some(wk), Some(wn)) = (k.welcome_key, k.welcome_nonce) {
        v.push(kv("welcome key", h(&wk)));
        v.push(kv("welcome nonce", h(&wn)));
    }
    cx.steps.push((
        format!("{name} scans the invitation and joins (epoch {n})"),
        v,
    ));
    let rec = InviteRec {
        joiner: name,
        secret,
        inviter_sk,
        create_body,
        uri: uri_s,
        invite_cbor: uri.invite.to_vec(),
        join_time,
        joiner_ik_seed: joiner.ik_seed,
        joiner_rng_seed: joiner.rng_seed,
        joiner_mk_seed: joiner.mk_seed,
        joiner_init_sk: j_init,
        ikm_e,
        name,
        redeem_body: redeem.body.to_vec(),
        sjr,
        pending_join: pj.to_vec(),
        sas: sas.value(),
    };
    Ok((gj, out.commit, w, rec))
}

#[allow(clippy::too_many_arguments)]
fn send(
    g: &mut Group,
    who: &mut Actor,
    leaf: u8,
    slug: &'static str,
    text: &'static str,
    receivers: &mut [(&'static str, &mut Group)],
    cx: &mut Ctx,
    last_ref: &mut std::collections::BTreeMap<&'static str, Hash>,
    envelopes: &mut Vec<EnvRec>,
    t: u64,
) -> R<()> {
    let (v, head) = cx.v_head();
    let content = ContentBuilder::text(text)?
        .sent_at_ms(t * 1000)
        .seen(v, head)?
        .prev(last_ref.get(who.name).copied())
        .build();
    let sealed = g.seal(&content, t)?;
    let _guard = who.shadow.take(4);
    let seq = cx.append(
        2,
        &sealed.bytes,
        &format!("msg: {} says {text:?}", who.name),
    );
    last_ref.insert(who.name, sealed.msg_ref);
    let e = cx.epoch()?.clone();
    let mut first: Option<(&'static str, Group)> = None;
    for (name, r) in receivers.iter_mut() {
        if first.is_none() {
            first = Some((name, r.danger_clone()));
        }
        let o = r.open(&sealed.bytes)?;
        ensure(
            matches!(o.body, hearth_wire::envelope::ContentBody::Text(ref x) if x.text.as_str() == text),
            "opened text",
        )?;
    }
    let (rname, rgroup) = first.ok_or_else(|| GenError("no receiver".into()))?;
    // Independent derivation of the keys, checked by opening.
    let (_, gens) =
        schedule::sender_chain(&e.keys.app, u64::from(leaf), u64::from(sealed.generation));
    let gk = gens.last().ok_or_else(|| GenError("chain".into()))?;
    let env = hearth_wire::envelope::Envelope::decode(&sealed.bytes)?;
    let mut nonce = gk.nonce;
    for (a, b) in nonce.iter_mut().zip(env.reuse_guard.0) {
        *a ^= b;
    }
    let aad = env.header().to_vec();
    let pt = crate::util::aes_gcm_open(&gk.key, &nonce, &aad, env.ct.as_slice())?;
    cx.steps.push((
        format!("{} sends {text:?} (epoch {})", who.name, e.n),
        vec![
            kv("Content", h(&content.to_vec())),
            kv("sender leaf", leaf.to_string()),
            kv("generation", sealed.generation.to_string()),
            kv("key_g", h(&gk.key)),
            kv("nonce_g", h(&gk.nonce)),
            kv("reuse_guard", h(&env.reuse_guard.0)),
            kv("AEAD nonce", h(&nonce)),
            kv("AEAD aad (EnvelopeHeader)", h(&aad)),
            kv("padded plaintext", h(&pt)),
            kv("Envelope (log entry)", h(&sealed.bytes)),
            kv("msg-ref", h(&sealed.msg_ref.0)),
            kv("log seq", seq.to_string()),
            kv(
                "head after the entry",
                h(&cx.log.last().map(|l| l.head).unwrap_or_default()),
            ),
        ],
    ));
    envelopes.push(EnvRec {
        slug,
        sender_name: who.name,
        receiver_name: rname,
        text,
        bytes: sealed.bytes,
        seq,
        epoch: e.n,
        leaf,
        generation: sealed.generation,
        sender_mk_seed: who.mk_seed,
        receiver: rgroup,
        msg_ref: sealed.msg_ref.0,
    });
    Ok(())
}

/// Re-signs a CommitTBS with `mk_seed` and rebuilds the Commit with `tag`.
pub fn resign_commit(tbs: &CommitTbs, mk_seed: &[u8; 32], tag: [u8; 32]) -> Vec<u8> {
    let tbs_bytes = tbs.to_vec();
    resign_commit_bytes(&tbs_bytes, mk_seed, tag)
}

/// Signs raw TBS bytes and builds the Commit.
pub fn resign_commit_bytes(tbs_bytes: &[u8], mk_seed: &[u8; 32], tag: [u8; 32]) -> Vec<u8> {
    let mk = MemberKey::from_seed(mk_seed);
    let sig = labelled::sign_with_label(mk.signing_key(), label::COMMIT, bstr(tbs_bytes));
    encode_with(|e| {
        e.array(3)
            .bytes(tbs_bytes)
            .bytes(&sig.to_bytes())
            .bytes(&tag);
    })
}
