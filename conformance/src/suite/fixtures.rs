//! Building blocks the tests share: channels with a tracked host-visible roster, invites,
//! redeems, commits, envelopes and Welcomes.
//!
//! The harness never needs the end-to-end cryptography: a host checks only clear-text fields
//! and signatures (spec §8.5), so ciphertexts are random bytes of valid lengths.

use hearth_crypto::hazmat::label;
use hearth_wire::request::{AppendResult, CommitPostResult, LogFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use super::{expect_code, expect_ok, Ctx};
use crate::client::{Exchange, Key, SeededRng};
use crate::model::Stop;

/// Op numbers (spec §12.1).
#[allow(missing_docs)]
pub mod op {
    pub const INFO: u64 = 0;
    pub const CHANNEL_CREATE: u64 = 1;
    pub const CHANNEL_DELETE: u64 = 2;
    pub const INVITE_CREATE: u64 = 3;
    pub const INVITE_REVOKE: u64 = 4;
    pub const INVITE_REDEEM: u64 = 5;
    pub const JOIN_FETCH: u64 = 6;
    pub const COMMIT_POST: u64 = 7;
    pub const COMMIT_REPORT: u64 = 8;
    pub const MSG_POST: u64 = 9;
    pub const LOG_FETCH: u64 = 10;
    pub const WELCOME_FETCH: u64 = 11;
    pub const MEMBER_LEAVE: u64 = 12;
    pub const BLOB_PUT: u64 = 13;
    pub const BLOB_GET: u64 = 14;
}

/// Roles (spec §12.3).
pub const MEMBER: u64 = hearth_wire::Role::MEMBER_CODE as u64;
/// Admin role.
pub const ADMIN: u64 = hearth_wire::Role::ADMIN_CODE as u64;
/// Suite 1.
pub const SUITE: u64 = 1;

/// An empty map `{}`.
pub const EMPTY: &[u8] = &[0xa0];

/// A member as the harness tracks it.
#[derive(Clone, Debug)]
pub struct Member {
    /// The member key.
    pub key: Key,
    /// 0 member, 1 admin.
    pub role: u64,
}

/// A channel the harness created, with the host-visible roster it expects.
#[derive(Clone, Debug)]
pub struct Channel {
    /// The channel id.
    pub id: [u8; 16],
    /// Current epoch.
    pub epoch: u64,
    /// Roster in leaf order; leaf 0 is the creator.
    pub roster: Vec<Member>,
    /// The exact SignedRequest of the create.
    pub create_bytes: Vec<u8>,
}

impl Channel {
    /// The member at `leaf`. Panics never: returns the creator for an out-of-range leaf.
    pub fn key(&self, leaf: usize) -> &Key {
        match self.roster.get(leaf).or_else(|| self.roster.first()) {
            Some(m) => &m.key,
            None => unreachable_key(),
        }
    }

    /// The creator's key.
    pub fn creator(&self) -> &Key {
        self.key(0)
    }
}

fn unreachable_key() -> &'static Key {
    static K: std::sync::OnceLock<Key> = std::sync::OnceLock::new();
    K.get_or_init(|| Key::from_seed(&[0; 32]))
}

/// An invite the harness created.
#[derive(Clone, Debug)]
pub struct Invite {
    /// invite_id.
    pub id: [u8; 16],
    /// The invite_auth key.
    pub auth: Key,
}

/// `hpke-sealed = [enc, ct]` with random contents.
pub fn sealed(rng: &mut SeededRng) -> Vec<u8> {
    let enc = rng.bytes::<32>();
    let ct = rng.vec(48);
    encode_with(|e| {
        e.array(2).bytes(&enc).bytes(&ct);
    })
}

/// `Welcome = {1: 1, 2: suite, 3: channel, 4: epoch, 5: sealed}` (the GroupInfo ciphertext
/// travels once per commit, `CommitPostBody` key 3).
pub fn welcome(rng: &mut SeededRng, channel: &[u8; 16], epoch: u64) -> Vec<u8> {
    let s = sealed(rng);
    encode_with(|e| {
        e.map(5)
            .uint(1)
            .uint(1)
            .uint(2)
            .uint(SUITE)
            .uint(3)
            .bytes(channel)
            .uint(4)
            .uint(epoch)
            .uint(5)
            .raw(&s);
    })
}

/// An envelope's clear-text fields.
#[derive(Clone, Debug)]
pub struct EnvelopeSpec {
    /// Element 0.
    pub version: u64,
    /// Element 1.
    pub suite: u64,
    /// Element 2.
    pub channel: [u8; 16],
    /// Element 3.
    pub epoch: u64,
    /// Element 4.
    pub sender: u64,
}

/// `Envelope = [version, suite, channel, epoch, sender, generation, reuse_guard, ct]`.
pub fn envelope(rng: &mut SeededRng, s: &EnvelopeSpec) -> Vec<u8> {
    let generation = rng.below(1000);
    let guard = rng.bytes::<4>();
    let extra = rng.below(64) as usize;
    let ct = rng.vec(48 + extra);
    encode_with(|e| {
        e.array(8)
            .uint(s.version)
            .uint(s.suite)
            .bytes(&s.channel)
            .uint(s.epoch)
            .uint(s.sender)
            .uint(generation)
            .bytes(&guard)
            .bytes(&ct);
    })
}

/// `MsgPostBody = {1: bstr .cbor Envelope}`.
pub fn msg_body(envelope: &[u8]) -> Vec<u8> {
    encode_with(|e| {
        e.map(1).uint(1).bytes(envelope);
    })
}

/// `LogFetchBody = {1: since, 2: limit}`.
pub fn log_body(since: u64, limit: u64) -> Vec<u8> {
    encode_with(|e| {
        e.map(2).uint(1).uint(since).uint(2).uint(limit);
    })
}

/// Group ops for commits (spec §6), encoded.
pub mod gop {
    use hearth_wire::encode_with;

    /// `AddOp = [0, member-key, init-key, role]`.
    pub fn add(mk: &[u8; 32], init: &[u8; 32], role: u64) -> Vec<u8> {
        encode_with(|e| {
            e.array(4).uint(0).bytes(mk).bytes(init).uint(role);
        })
    }
    /// `RemoveOp = [1, leaf]`.
    pub fn remove(leaf: u64) -> Vec<u8> {
        encode_with(|e| {
            e.array(2).uint(1).uint(leaf);
        })
    }
    /// `RotateOp = [2, member-key]`.
    pub fn rotate(mk: &[u8; 32]) -> Vec<u8> {
        encode_with(|e| {
            e.array(2).uint(2).bytes(mk);
        })
    }
    /// `RoleOp = [3, leaf, role]`.
    pub fn role(leaf: u64, role: u64) -> Vec<u8> {
        encode_with(|e| {
            e.array(3).uint(3).uint(leaf).uint(role);
        })
    }
}

/// A commit's clear-text fields, everything settable for negative tests.
#[derive(Clone, Debug)]
pub struct CommitSpec {
    /// Key 1.
    pub version: u64,
    /// Key 2.
    pub suite: u64,
    /// Key 3.
    pub channel: [u8; 16],
    /// Key 4: base epoch.
    pub epoch: u64,
    /// Key 5: committer leaf.
    pub committer: u64,
    /// Key 6: encoded ops.
    pub ops: Vec<Vec<u8>>,
    /// Key 8: how many sealed secrets.
    pub sealed: usize,
    /// Key 10: an encoded ext map.
    pub ext: Option<Vec<u8>>,
    /// Key 11: the `seq` of the commit a recovery commit recovers from (spec §6.9.3).
    pub recover: Option<u64>,
    /// `CommitPostBody` key 2: (member key, Welcome bytes).
    pub welcomes: Vec<([u8; 32], Vec<u8>)>,
    /// `CommitPostBody` key 3: the GroupInfo ciphertext shared by the Welcomes (random bytes
    /// of a valid length), absent when `None` (HRT-OP-63).
    pub group_info_ct: Option<Vec<u8>>,
}

impl CommitSpec {
    /// `tbs_bytes`.
    pub fn tbs(&self, rng: &mut SeededRng) -> Vec<u8> {
        let init = rng.bytes::<32>();
        let sealed: Vec<Vec<u8>> = (0..self.sealed).map(|_| sealed(rng)).collect();
        let ct = rng.vec(32);
        encode_with(|e| {
            e.map(9 + usize::from(self.ext.is_some()) + usize::from(self.recover.is_some()));
            e.uint(1).uint(self.version);
            e.uint(2).uint(self.suite);
            e.uint(3).bytes(&self.channel);
            e.uint(4).uint(self.epoch);
            e.uint(5).uint(self.committer);
            e.uint(6).array(self.ops.len());
            for o in &self.ops {
                e.raw(o);
            }
            e.uint(7).bytes(&init);
            e.uint(8).array(sealed.len());
            for s in &sealed {
                e.raw(s);
            }
            e.uint(9).bytes(&ct);
            if let Some(x) = &self.ext {
                e.uint(10).raw(x);
            }
            if let Some(s) = self.recover {
                e.uint(11).uint(s);
            }
        })
    }

    /// `(commit_bytes, CommitPostBody bytes)`, the commit signed by `signer` with `label`.
    pub fn build_with(
        &self,
        rng: &mut SeededRng,
        signer: &Key,
        l: hearth_crypto::hazmat::Label,
    ) -> (Vec<u8>, Vec<u8>) {
        let tbs = self.tbs(rng);
        let sig = signer.sign(l, |e| {
            e.bytes(&tbs);
        });
        let tag = rng.bytes::<32>();
        let commit = encode_with(|e| {
            e.array(3).bytes(&tbs).bytes(&sig).bytes(&tag);
        });
        let gi = self.group_info_ct.as_ref();
        let body = encode_with(|e| {
            e.map(2 + usize::from(gi.is_some())).uint(1).bytes(&commit);
            e.uint(2).array(self.welcomes.len());
            for (mk, w) in &self.welcomes {
                e.array(2).bytes(mk).bytes(w);
            }
            if let Some(g) = gi {
                e.uint(3).bytes(g);
            }
        });
        (commit, body)
    }

    /// As [`CommitSpec::build_with`] with the "commit" label.
    pub fn build(&self, rng: &mut SeededRng, signer: &Key) -> (Vec<u8>, Vec<u8>) {
        self.build_with(rng, signer, label::COMMIT)
    }
}

impl Ctx<'_> {
    /// `owner_sig = SignWithLabel(owner, "create", [host_url, channel_id, key])`.
    pub fn owner_sig(&self, owner: &Key, channel: &[u8; 16], key: &[u8; 32]) -> [u8; 64] {
        let url = self.c.host_url.clone();
        owner.sign(label::CREATE, |e| {
            e.array(3).text(&url).bytes(channel).bytes(key);
        })
    }

    /// `ChannelCreateBody`.
    pub fn create_body(&self, suite: u64, sig: &[u8; 64]) -> Vec<u8> {
        encode_with(|e| {
            e.map(2).uint(1).uint(suite).uint(2).bytes(sig);
        })
    }

    /// Sends a `channel.create` for a fresh channel id and creator key; returns the exchange
    /// and the would-be channel.
    pub fn try_create_channel(&self) -> (Exchange, Channel, Vec<u8>) {
        let creator = self.c.key();
        let id = self.c.random::<16>();
        let sig = self.owner_sig(&self.owner, &id, &creator.public());
        let spec = self
            .c
            .spec(op::CHANNEL_CREATE, Some(id), self.create_body(SUITE, &sig));
        let signed = crate::client::sign_request(&creator, &spec.encode());
        let ex = self.c.post_signed(signed.clone());
        let ch = Channel {
            id,
            epoch: 0,
            roster: vec![Member {
                key: creator,
                role: ADMIN,
            }],
            create_bytes: signed.clone(),
        };
        (ex, ch, signed)
    }

    /// Creates a channel (the harness's owner authorises it).
    pub fn create_channel(&self) -> Result<Channel, Stop> {
        let (ex, ch, _) = self.try_create_channel();
        let _: AppendResult = expect_ok(&ex)?;
        Ok(ch)
    }

    /// Deletes a channel, best effort (keeps the owner's channel count low).
    pub fn delete_channel(&self, ch: &Channel) {
        self.delete_channel_as(ch, 0);
    }

    /// Deletes a channel as the admin at `leaf`, best effort.
    pub fn delete_channel_as(&self, ch: &Channel, leaf: usize) {
        let _ = self.c.call(
            ch.key(leaf),
            op::CHANNEL_DELETE,
            Some(ch.id),
            EMPTY.to_vec(),
        );
    }

    /// `InviteCreateBody` for `expires`.
    pub fn invite_body(&self, id: &[u8; 16], auth: &[u8; 32], expires: u64) -> Vec<u8> {
        encode_with(|e| {
            e.map(3)
                .uint(1)
                .bytes(id)
                .uint(2)
                .bytes(auth)
                .uint(3)
                .uint(expires);
        })
    }

    /// Sends `invite.create` by the member at `leaf`, valid for an hour.
    pub fn try_invite(&self, ch: &Channel, leaf: usize) -> (Exchange, Invite) {
        let inv = Invite {
            id: self.c.random::<16>(),
            auth: self.c.key(),
        };
        let body = self.invite_body(&inv.id, &inv.auth.public(), self.c.host_now() + 3600);
        let ex = self
            .c
            .call(ch.key(leaf), op::INVITE_CREATE, Some(ch.id), body);
        (ex, inv)
    }

    /// Creates an invite by the member at `leaf`.
    pub fn invite(&self, ch: &Channel, leaf: usize) -> Result<Invite, Stop> {
        let (ex, inv) = self.try_invite(ch, leaf);
        expect_code(&ex, ErrorCode::OK, None)?;
        Ok(inv)
    }

    /// `InviteRedeemBody` with a correct pop by `mk` and `sealed` as given.
    pub fn redeem_body(&self, ch_id: &[u8; 16], inv: &Invite, mk: &Key, sealed: &[u8]) -> Vec<u8> {
        let url = self.c.host_url.clone();
        let auth = inv.auth.public();
        let pop = mk.sign(
            hearth_crypto::invite::REDEEM_POP_LABEL,
            hearth_crypto::invite::redeem_pop_content(&url, ch_id, &inv.id, &auth),
        );
        encode_with(|e| {
            e.map(4)
                .uint(1)
                .bytes(&inv.id)
                .uint(2)
                .bytes(&mk.public())
                .uint(3)
                .bytes(&pop)
                .uint(4)
                .raw(sealed);
        })
    }

    /// Sends `invite.redeem` of `inv` for member key `mk`.
    pub fn redeem(&self, ch: &Channel, inv: &Invite, mk: &Key) -> Exchange {
        let s = self.c.with_rng(sealed);
        let body = self.redeem_body(&ch.id, inv, mk, &s);
        self.c.call(&inv.auth, op::INVITE_REDEEM, Some(ch.id), body)
    }

    /// A commit spec on the channel's current state by `committer` with `ops`; the sealed count
    /// is computed for the roster after the ops (remaining members minus committer minus
    /// added), and a Welcome is attached for every added key.
    pub fn commit_spec(&self, ch: &Channel, committer: usize, ops: Vec<Vec<u8>>) -> CommitSpec {
        let mut welcomes = Vec::new();
        let mut removed = 0usize;
        let mut added = 0usize;
        for o in &ops {
            match (o.first(), o.get(1)) {
                (Some(0x84), Some(0x00)) => {
                    added += 1;
                    if let Some(mk) = o.get(4..36).and_then(|s| <[u8; 32]>::try_from(s).ok()) {
                        let w = self.c.with_rng(|r| welcome(r, &ch.id, ch.epoch + 1));
                        welcomes.push((mk, w));
                    }
                }
                (Some(0x82), Some(0x01)) => removed += 1,
                _ => {}
            }
        }
        let _ = added;
        let group_info_ct = (!welcomes.is_empty()).then(|| self.c.with_rng(|r| r.vec(64)));
        CommitSpec {
            version: 1,
            suite: SUITE,
            channel: ch.id,
            epoch: ch.epoch,
            committer: committer as u64,
            ops,
            sealed: ch.roster.len().saturating_sub(1 + removed),
            ext: None,
            recover: None,
            welcomes,
            group_info_ct,
        }
    }

    /// Posts a commit; returns the exchange and the commit bytes.
    pub fn post_commit(
        &self,
        ch: &Channel,
        committer: usize,
        spec: &CommitSpec,
    ) -> (Exchange, Vec<u8>) {
        let (commit, body) = self.c.with_rng(|r| spec.build(r, ch.key(committer)));
        let ex = self
            .c
            .call(ch.key(committer), op::COMMIT_POST, Some(ch.id), body);
        (ex, commit)
    }

    /// Adds members with the given roles in one commit by leaf 0: invites, redeems, commits.
    /// Updates the tracked roster and epoch. Returns the new members' leaves.
    pub fn add_members(&self, ch: &mut Channel, roles: &[u64]) -> Result<Vec<usize>, Stop> {
        let mut ops = Vec::new();
        let mut keys = Vec::new();
        for role in roles {
            let inv = self.invite(ch, 0)?;
            let mk = self.c.key();
            let ex = self.redeem(ch, &inv, &mk);
            expect_code(&ex, ErrorCode::OK, None)?;
            let init = self.c.random::<32>();
            ops.push(gop::add(&mk.public(), &init, *role));
            keys.push((mk, *role));
        }
        let spec = self.commit_spec(ch, 0, ops);
        let (ex, _) = self.post_commit(ch, 0, &spec);
        let _: CommitPostResult = expect_ok(&ex)?;
        ch.epoch += 1;
        let mut leaves = Vec::new();
        for (key, role) in keys {
            leaves.push(ch.roster.len());
            ch.roster.push(Member { key, role });
        }
        Ok(leaves)
    }

    /// A channel with the creator (leaf 0), an admin (leaf 1) and a plain member (leaf 2).
    pub fn channel_with_members(&self) -> Result<Channel, Stop> {
        let mut ch = self.create_channel()?;
        self.add_members(&mut ch, &[ADMIN, MEMBER])?;
        Ok(ch)
    }

    /// An envelope for the channel's current epoch from `leaf`.
    pub fn envelope_from(&self, ch: &Channel, leaf: usize) -> Vec<u8> {
        self.c.with_rng(|r| {
            envelope(
                r,
                &EnvelopeSpec {
                    version: 1,
                    suite: SUITE,
                    channel: ch.id,
                    epoch: ch.epoch,
                    sender: leaf as u64,
                },
            )
        })
    }

    /// Posts a message from `leaf`; returns the exchange and the envelope bytes.
    pub fn post_msg(&self, ch: &Channel, leaf: usize) -> (Exchange, Vec<u8>) {
        let env = self.envelope_from(ch, leaf);
        let ex = self
            .c
            .call(ch.key(leaf), op::MSG_POST, Some(ch.id), msg_body(&env));
        (ex, env)
    }

    /// Fetches the log as the member at `leaf`.
    pub fn fetch_log(
        &self,
        ch: &Channel,
        leaf: usize,
        since: u64,
        limit: u64,
    ) -> Result<(LogFetchResult, Exchange), Stop> {
        let ex = self.c.call(
            ch.key(leaf),
            op::LOG_FETCH,
            Some(ch.id),
            log_body(since, limit),
        );
        let r: LogFetchResult = expect_ok(&ex)?;
        Ok((r, ex))
    }

    /// Reads the whole log as the member at `leaf`, paging with `log.fetch` until the tip: full
    /// pages are only a SHOULD (HRT-LOG-11), so a test that needs the complete log reads it
    /// here and never assumes that one page is all. Checks that every page continues the last
    /// (HRT-OP-50) and holds at least one entry while `since` is below the tip (HRT-LOG-10).
    pub fn read_log(&self, ch: &Channel, leaf: usize) -> Result<FullLog, Stop> {
        let mut entries: Vec<hearth_wire::log::LogEntry> = Vec::new();
        let page = self.limits().max_log_page.clamp(1, 1000);
        loop {
            let since = entries.len() as u64;
            let (r, ex) = self.fetch_log(ch, leaf, since, page)?;
            let n = r.entries.len();
            if let Some((i, e)) = r
                .entries
                .as_slice()
                .iter()
                .enumerate()
                .find(|(i, e)| e.seq.0 != since + 1 + *i as u64)
            {
                return Err(Stop::fail(
                    format!(
                        "log.fetch since {since}: entry {i} has seq {}, expected {} (HRT-OP-50)",
                        e.seq.0,
                        since + 1 + i as u64
                    ),
                    &[&ex],
                ));
            }
            entries.extend(r.entries.into_inner());
            if entries.len() as u64 >= r.tip.0 {
                return Ok(FullLog {
                    entries,
                    tip: r.tip.0,
                    head: r.head.as_slice().to_vec(),
                    epoch: r.epoch.0,
                    last: ex,
                });
            }
            if n == 0 {
                return Err(Stop::fail(
                    "log.fetch returned no entry although since < tip (HRT-LOG-10)",
                    &[&ex],
                ));
            }
        }
    }

    /// The entries of the whole log (see [`Ctx::read_log`]).
    pub fn fetch_all(
        &self,
        ch: &Channel,
        leaf: usize,
    ) -> Result<Vec<hearth_wire::log::LogEntry>, Stop> {
        Ok(self.read_log(ch, leaf)?.entries)
    }

    /// Sends a body-less-op request by `key` on `channel` (the `{}` body).
    pub fn call_empty(&self, key: &Key, o: u64, channel: [u8; 16]) -> Exchange {
        self.c.call(key, o, Some(channel), EMPTY.to_vec())
    }
}

/// The whole log read page by page ([`Ctx::read_log`]).
pub struct FullLog {
    /// Every entry from seq 1 to the tip.
    pub entries: Vec<hearth_wire::log::LogEntry>,
    /// The tip of the last page.
    pub tip: u64,
    /// The head at that tip.
    pub head: Vec<u8>,
    /// The epoch of the last page.
    pub epoch: u64,
    /// The last `log.fetch` exchange (for failure reports).
    pub last: Exchange,
}

impl FullLog {
    /// The number of commit entries (kind 1).
    pub fn commits(&self) -> u64 {
        self.entries.iter().filter(|e| e.kind as u64 == 1).count() as u64
    }
}

/// Recomputes the chain over `entries` starting at `head_0 = h''`; returns the first problem.
pub fn verify_chain(entries: &[hearth_wire::log::LogEntry]) -> Result<[u8; 32], String> {
    let mut prev: Vec<u8> = Vec::new();
    let mut last = [0u8; 32];
    for (i, e) in entries.iter().enumerate() {
        let want_seq = i as u64 + 1;
        if e.seq.0 != want_seq {
            return Err(format!(
                "entry {i} has seq {}, expected {want_seq}",
                e.seq.0
            ));
        }
        let head = crate::client::next_head(&prev, e.seq.0, e.kind as u64, &e.bytes);
        if &head != e.head.as_bytes() {
            return Err(format!(
                "head of seq {} is {}, recomputed {}",
                e.seq.0,
                hex::encode(e.head.as_bytes()),
                hex::encode(head)
            ));
        }
        prev = head.to_vec();
        last = head;
    }
    Ok(last)
}
