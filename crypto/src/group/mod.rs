//! The group state machine (spec §6): one [`Group`] per member per channel.
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`schedule`] | §6.4, §6.4.1 | the key schedule typestate and the exporter |
//! | [`roster`] | §6.2, §6.6, §6.7 | roster hash, `ApplyOps`, well-formedness and authorisation |
//! | [`commit`] | §6.8 to §6.10 | creating, confirming, discarding and processing commits |
//! | `process` | §6.9 | the checks of a commit, steps 1 to 3 and 4 to 9 |
//! | `recover` | §6.9.3 | building and processing recovery commits |
//! | [`welcome`] | §6.11, §6.12 | creating and processing Welcomes |
//!
//! Sealing and opening envelopes (spec §7) are here too (`seal`, `open`), as are the entry points
//! into invitations (`invite`); the sender ratchets (§6.14) are a private module of the crate, and
//! the envelope types are [`crate::envelope`].
//!
//! ## Healing duties (spec §6.17)
//!
//! - A joiner starts with its own `needs_update` flag set; [`Group::seal`] refuses with
//!   [`Misuse::UpdateRequired`] until a commit of its own has been accepted (HRT-RAT-17),
//!   and receivers reject its messages with `update_required` (HRT-MSG-22).
//! - [`Group::needs_update`] advises a commit once 100 messages have been sent, or 7 days have
//!   passed, since the member's last accepted commit. [`Group::seal`] enforces both: it refuses
//!   a 101st message (HRT-RAT-18) and any message more than 7 days after the last commit by the
//!   caller's clock (HRT-RAT-19).

pub mod commit;
mod invite;
mod open;
mod persist;
mod process;
mod recover;
mod request;
pub mod roster;
pub mod schedule;
mod seal;
pub mod welcome;

use hearth_wire::group::{GroupContext, RosterEntry};
use hearth_wire::request::{Request, SignedRequest};
use hearth_wire::{
    BoundedBytes, ChannelId, Epoch, ErrorCode, ExtMap, HostUrl, Leaf, Role, Suite, Version,
    WireEncode,
};
use hearth_wire::{Op, WireDecode};
use zeroize::Zeroizing;

use crate::error::{Misuse, ProtocolError};
use crate::hazmat::label::{self, ExporterLabel};
use crate::hazmat::labelled::h;
use crate::keys::{Fingerprint, IdentityKey, IdentityPublicKey, MemberKey, MemberPublicKey};
use crate::ratchet::EpochRatchets;
use crate::rng::HearthRng;

use self::commit::PendingCommit;
use self::roster::{roster_hash, Member};
use self::schedule::{EpochAuthenticator, EpochSecret, EpochSecrets};
pub(crate) use crate::kem::GroupInitKey;

pub use self::commit::{Change, CommitOutcome, CommitOutput};
pub use self::welcome::PendingMember;
pub use crate::kem::{SUITE_1, SUITE_2};

/// After this many application messages since its last commit a member must commit
/// (HRT-RAT-18).
pub const UPDATE_AFTER_MESSAGES: u32 = 100;
/// After this many seconds since its last commit a member must commit (HRT-RAT-19).
pub const UPDATE_AFTER_SECS: u64 = 7 * 24 * 3600;

/// The channel parameters fixed at creation (spec §6.1, §11): host URL, channel id, suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelParams {
    pub(crate) host_url: HostUrl,
    pub(crate) channel_id: ChannelId,
    pub(crate) suite: Suite,
}

impl ChannelParams {
    /// The parameters of a channel on `host_url` with id `channel_id`, suite 1.
    pub fn new(host_url: HostUrl, channel_id: ChannelId) -> Self {
        Self {
            host_url,
            channel_id,
            suite: SUITE_1,
        }
    }

    /// The parameters of a channel of `suite` (spec §11.2): [`SUITE_1`] or [`SUITE_2`]; any
    /// other suite is `unsupported_suite` (HRT-CRYPTO-2, HRT-CRYPTO-56).
    pub fn with_suite(
        host_url: HostUrl,
        channel_id: ChannelId,
        suite: Suite,
    ) -> Result<Self, ProtocolError> {
        crate::kem::implemented(suite)?;
        Ok(Self {
            host_url,
            channel_id,
            suite,
        })
    }

    /// The canonical host URL.
    pub fn host_url(&self) -> &str {
        self.host_url.as_str()
    }

    /// The channel id.
    pub fn channel_id(&self) -> &ChannelId {
        &self.channel_id
    }

    /// The channel's suite, fixed at creation (spec §11.2).
    pub fn suite(&self) -> Suite {
        self.suite
    }
}

/// Where a member stands in its channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Following the channel.
    Active,
    /// Removed by a commit (HRT-GRP-46): every secret and private key has been deleted.
    Removed,
    /// Rejected a commit with this code and can no longer follow the channel (HRT-GRP-89).
    Halted(ErrorCode),
}

/// The state of one epoch (spec §6.1).
#[derive(Clone)]
pub(crate) struct EpochState {
    pub(crate) members: Vec<Member>,
    pub(crate) gc: GroupContext,
    pub(crate) gc_hash: [u8; 32],
    pub(crate) secrets: EpochSecrets,
    pub(crate) ratchets: EpochRatchets,
    pub(crate) needs_update: Vec<bool>,
    pub(crate) left: Vec<bool>,
}

impl EpochState {
    pub(crate) fn epoch(&self) -> u64 {
        self.gc.epoch.0
    }

    pub(crate) fn entries(&self) -> Vec<RosterEntry> {
        self.members.iter().map(|m| m.entry.clone()).collect()
    }
}

/// `GroupContext[n] = [1, suite, channel_id, n, roster_hash[n], cth[n], ext[n]]` and
/// `gc_hash[n] = H("gc", GroupContext[n])` (HRT-GRP-3), with the roster hash over the roster
/// and its `needs_update` flags (HRT-GRP-84).
pub(crate) fn group_context(
    params: &ChannelParams,
    epoch: u64,
    entries: &[RosterEntry],
    needs_update: &[bool],
    cth: &[u8],
    ext: ExtMap,
) -> Result<(GroupContext, [u8; 32]), ProtocolError> {
    let gc = GroupContext {
        version: Version,
        suite: params.suite,
        channel_id: params.channel_id,
        epoch: Epoch(epoch),
        roster_hash: hearth_wire::Hash(roster_hash(entries.iter(), needs_update)),
        cth: BoundedBytes::new(cth.to_vec())?,
        ext,
    };
    let gc_hash = gc_hash(&gc);
    Ok((gc, gc_hash))
}

pub(crate) fn gc_hash(gc: &GroupContext) -> [u8; 32] {
    h(label::GC, |e| gc.encode(e))
}

/// A member's view of one roster entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    /// The leaf in the current epoch.
    pub leaf: Leaf,
    /// The member key.
    pub member_key: MemberPublicKey,
    /// The identity key.
    pub identity: IdentityPublicKey,
    /// The fingerprint of the identity key (spec §4.6).
    pub fingerprint: Fingerprint,
    /// The role.
    pub role: Role,
    /// `needs_update` (spec §6.17).
    pub needs_update: bool,
    /// `left` (spec §6.13).
    pub left: bool,
}

/// A test-only report of every secret a member still holds (spec §6.16: the conformance shim
/// checks deletion duties this way). Lists kinds, epochs, leaves and generations, never
/// secret bytes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HeldSecrets {
    /// The epoch whose secrets are held (`None` after removal).
    pub epoch: Option<u64>,
    /// `init_secret`, `exporter_secret` and `epoch_authenticator` of that epoch.
    pub epoch_secrets: bool,
    /// Whether `app_secret` is held (never, once the ratchets are derived: HRT-RAT-3).
    pub app_secret: bool,
    /// `(leaf, generation)` of every chain secret held.
    pub chains: Vec<(u8, u64)>,
    /// `(leaf, generation)` of every stored skipped message key.
    pub skipped_keys: Vec<(u8, u64)>,
    /// The public halves of the init private keys held (current, and a pending one); in
    /// suite 2 the X25519 half (the last 32 bytes) of each X-Wing public key.
    pub init_keys: Vec<[u8; 32]>,
    /// The public halves of the member private keys held.
    pub member_keys: Vec<[u8; 32]>,
    /// Whether a pending commit (with its secrets of epoch `n+1`) is held.
    pub pending_commit: bool,
}

/// One member's state in one channel (spec §6.1).
pub struct Group {
    pub(crate) params: ChannelParams,
    pub(crate) identity: IdentityKey,
    /// `None` after removal: every private key deleted (HRT-GRP-46, HRT-KEY-28).
    pub(crate) keys: Option<OwnKeys>,
    pub(crate) me: usize,
    pub(crate) state: Option<EpochState>,
    pub(crate) status: Status,
    pub(crate) sent_since_commit: u32,
    pub(crate) last_commit_time: u64,
    pub(crate) pending: Option<PendingCommit>,
    pub(crate) rng: HearthRng,
}

#[derive(Clone)]
pub(crate) struct OwnKeys {
    pub(crate) member_key: MemberKey,
    pub(crate) init_key: GroupInitKey,
}

impl Group {
    /// Creates a channel on `host_url` (spec §6.5): a fresh channel id, member key, init key,
    /// `Roster[0]` with one admin entry, `GroupContext[0]` and `epoch_secret[0]` from the OS
    /// RNG. `now` (seconds) becomes `last_commit_time`.
    pub fn create(
        host_url: HostUrl,
        identity: IdentityKey,
        now: u64,
    ) -> Result<Self, ProtocolError> {
        Self::create_with_rng(host_url, identity, now, SUITE_1, HearthRng::os())
    }

    /// [`Group::create`] for a channel of `suite` ([`SUITE_1`] or [`SUITE_2`], spec §11.2);
    /// any other suite is `unsupported_suite`. The suite is fixed for the channel's life
    /// (HRT-EXT-7).
    pub fn create_with_suite(
        host_url: HostUrl,
        identity: IdentityKey,
        now: u64,
        suite: Suite,
    ) -> Result<Self, ProtocolError> {
        Self::create_with_rng(host_url, identity, now, suite, HearthRng::os())
    }

    /// DANGER: [`Group::create`] with an injected generator, for reproducible vectors.
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_create_with_rng(
        host_url: HostUrl,
        identity: IdentityKey,
        now: u64,
        rng: HearthRng,
    ) -> Result<Self, ProtocolError> {
        Self::create_with_rng(host_url, identity, now, SUITE_1, rng)
    }

    /// DANGER: [`Group::create_with_suite`] with an injected generator, for reproducible
    /// vectors.
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_create_with_suite_rng(
        host_url: HostUrl,
        identity: IdentityKey,
        now: u64,
        suite: Suite,
        rng: HearthRng,
    ) -> Result<Self, ProtocolError> {
        Self::create_with_rng(host_url, identity, now, suite, rng)
    }

    fn create_with_rng(
        host_url: HostUrl,
        identity: IdentityKey,
        now: u64,
        suite: Suite,
        mut rng: HearthRng,
    ) -> Result<Self, ProtocolError> {
        use rand_core::RngCore;
        // Step 1: channel id, member key, init key, certificate (HRT-KEY-4, HRT-KEY-11).
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let params = ChannelParams::with_suite(host_url, ChannelId(id), suite)?;
        let member_key = MemberKey::generate_with(&mut rng);
        let init_key = GroupInitKey::generate_with(suite, &mut rng)?;
        let cert = identity.certify_member(params.host_url(), &id, &member_key.public_key());
        // Step 2: Roster[0] (HRT-GRP-85).
        let entry = RosterEntry {
            member_key: hearth_wire::EdPublic(*member_key.public_key().as_bytes()),
            init_key: init_key.public(),
            role: Role::Admin,
            identity: hearth_wire::EdPublic(*identity.public_key().as_bytes()),
            cert: hearth_wire::Signature(cert.to_bytes()),
        };
        let members = vec![Member::new(entry.clone())?];
        // Step 3: GroupContext[0] with cth[0] = h'' and ext = {}.
        let (gc, gc_hash) = group_context(&params, 0, &[entry], &[false], &[], ExtMap::new())?;
        // Step 4: epoch_secret[0] random (HRT-GRP-11); confirm_key[0] deleted at once.
        let keys = EpochSecret::random(&mut rng).derive();
        drop(keys.confirm);
        let state = EpochState {
            ratchets: EpochRatchets::new(keys.app, 1),
            members,
            gc,
            gc_hash,
            secrets: keys.secrets,
            needs_update: vec![false],
            left: vec![false],
        };
        Ok(Self {
            params,
            identity,
            keys: Some(OwnKeys {
                member_key,
                init_key,
            }),
            me: 0,
            state: Some(state),
            status: Status::Active,
            sent_since_commit: 0,
            last_commit_time: now,
            pending: None,
            rng,
        })
    }

    /// The channel parameters.
    pub fn params(&self) -> &ChannelParams {
        &self.params
    }

    /// The channel id.
    pub fn channel_id(&self) -> &ChannelId {
        &self.params.channel_id
    }

    /// Whether the member follows the channel.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The current epoch (`None` after removal).
    pub fn epoch(&self) -> Option<u64> {
        self.state.as_ref().map(EpochState::epoch)
    }

    /// Whether an own commit is pending: built, possibly accepted by the host, its epoch not
    /// yet installed (spec §6.8, §6.10).
    pub fn has_pending_commit(&self) -> bool {
        self.pending.is_some()
    }

    /// The own leaf in the current epoch.
    pub fn my_leaf(&self) -> Leaf {
        Leaf(self.me as u8)
    }

    /// The own identity fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.identity.public_key().fingerprint()
    }

    /// The own current member public key (`None` after removal).
    pub fn member_key(&self) -> Option<MemberPublicKey> {
        self.keys.as_ref().map(|k| k.member_key.public_key())
    }

    /// `epoch_authenticator[n]` of the current epoch (spec §6.4).
    pub fn epoch_authenticator(&self) -> Option<&EpochAuthenticator> {
        self.state.as_ref().map(|s| s.secrets.authenticator())
    }

    /// `gc_hash[n]` of the current epoch.
    pub fn group_context_hash(&self) -> Option<[u8; 32]> {
        self.state.as_ref().map(|s| s.gc_hash)
    }

    /// The current roster.
    pub fn members(&self) -> Vec<MemberView> {
        let Some(s) = &self.state else {
            return Vec::new();
        };
        s.members
            .iter()
            .enumerate()
            .map(|(l, m)| MemberView {
                leaf: Leaf(l as u8),
                member_key: m.mk,
                identity: m.ik,
                fingerprint: m.ik.fingerprint(),
                role: m.entry.role,
                needs_update: s.needs_update.get(l).copied().unwrap_or(false),
                left: s.left.get(l).copied().unwrap_or(false),
            })
            .collect()
    }

    /// Advice (spec §6.17): true when the member should commit now — its own `needs_update`
    /// flag is set (a joiner, HRT-RAT-17), it has sent 100 messages since its last commit
    /// (HRT-RAT-18), or more than 7 days have passed since then by `now` (HRT-RAT-19); or the
    /// roster holds a member who left, whom the commit removes (HRT-GRP-82, HRT-GRP-83).
    pub fn needs_update(&self, now: u64) -> bool {
        let own = self
            .state
            .as_ref()
            .and_then(|s| s.needs_update.get(self.me).copied())
            .unwrap_or(false);
        let left = self
            .state
            .as_ref()
            .is_some_and(|s| s.left.iter().any(|l| *l));
        own || left
            || self.sent_since_commit >= UPDATE_AFTER_MESSAGES
            || now.saturating_sub(self.last_commit_time) > UPDATE_AFTER_SECS
    }

    /// `Exporter(label, context, L)` of the current epoch (spec §6.4.1, HRT-GRP-9).
    pub fn export(
        &self,
        label: &ExporterLabel,
        context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
        let s = self.state.as_ref().ok_or(Misuse::Removed)?;
        s.secrets.export(label, context, len)
    }

    /// Records a verified `leave` log entry (spec §6.13, HRT-GRP-72): the `SignedRequest`
    /// bytes decode, name op 12, this channel's id and host URL, are signed by the member key
    /// of a leaf of the current roster, and the signature verifies. Sets `left` for that leaf
    /// and returns it; a leave entry that fails any check sets nothing.
    pub fn record_leave(&mut self, signed_request: &[u8]) -> Result<Leaf, ProtocolError> {
        let (leaf, _) = self.member_request(signed_request, Op::MEMBER_LEAVE)?;
        let s = self.state.as_mut().ok_or(Misuse::Removed)?;
        if let Some(f) = s.left.get_mut(leaf) {
            *f = true;
        }
        Ok(Leaf(leaf as u8))
    }

    /// The checks of a leave or report entry (spec §6.13): the `SignedRequest` decodes, names
    /// `op`, this channel's id and host URL, and is signed by the member key of a leaf of the
    /// current roster. Returns that leaf and the request.
    pub(crate) fn member_request(
        &self,
        signed_request: &[u8],
        op: Op,
    ) -> Result<(usize, Request), ProtocolError> {
        let s = self.state.as_ref().ok_or(Misuse::Removed)?;
        let sr = SignedRequest::decode(signed_request)?;
        let leaf = s
            .members
            .iter()
            .position(|m| m.entry.member_key == sr.key)
            .ok_or(ProtocolError::UnknownSender)?;
        let mk = s
            .members
            .get(leaf)
            .map(|m| m.mk)
            .ok_or(ProtocolError::UnknownSender)?;
        let sig = crate::hazmat::ed25519::Signature::from_bytes(&sr.signature.0);
        crate::hazmat::labelled::verify_with_label(
            mk.verifying_key(),
            label::REQUEST,
            crate::hazmat::labelled::bstr(sr.request.as_bytes()),
            &sig,
        )
        .map_err(|_| ProtocolError::BadSignature)?;
        let req: Request = sr.unverified_request()?.danger_assume_verified();
        if req.op != op
            || req.channel_id != Some(self.params.channel_id)
            || req.host_url.as_str() != self.params.host_url()
        {
            return Err(ProtocolError::InvalidValue);
        }
        Ok((leaf, req))
    }

    /// Which secrets and private keys this member still holds (spec §6.16): kinds, epochs,
    /// leaves and generations, never bytes. For deletion-duty tests and the conformance shim;
    /// nothing in it is secret, so it is not behind a feature.
    pub fn held_secrets(&self) -> HeldSecrets {
        let mut out = HeldSecrets::default();
        if let Some(s) = &self.state {
            out.epoch = Some(s.epoch());
            out.epoch_secrets = true;
            out.chains = s.ratchets.held_chains();
            out.skipped_keys = s.ratchets.held_skipped();
        }
        if let Some(k) = &self.keys {
            out.init_keys.push(k.init_key.held_id());
            out.member_keys.push(*k.member_key.public_key().as_bytes());
        }
        if let Some(p) = &self.pending {
            out.pending_commit = true;
            out.init_keys.push(p.new_init.held_id());
            if let Some(mk) = &p.new_member_key {
                out.member_keys.push(*mk.public_key().as_bytes());
            }
        }
        out
    }

    /// DANGER (benchmarks and tests only): a copy of this member's whole state, secrets
    /// included, with a fresh OS generator and without a pending commit. Two copies that both
    /// send would reuse ratchet generations.
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_clone(&self) -> Group {
        Group {
            params: self.params.clone(),
            identity: self.identity.clone(),
            keys: self.keys.clone(),
            me: self.me,
            state: self.state.clone(),
            status: self.status,
            sent_since_commit: self.sent_since_commit,
            last_commit_time: self.last_commit_time,
            pending: None,
            rng: HearthRng::os(),
        }
    }

    pub(crate) fn active_state(&self) -> Result<&EpochState, ProtocolError> {
        match self.status {
            Status::Active => self.state.as_ref().ok_or(Misuse::Removed.into()),
            Status::Removed => Err(Misuse::Removed.into()),
            Status::Halted(_) => Err(Misuse::Halted.into()),
        }
    }

    /// Deletes every secret and private key of the channel (HRT-GRP-46).
    pub(crate) fn become_removed(&mut self) {
        self.state = None;
        self.keys = None;
        self.pending = None;
        self.status = Status::Removed;
    }
}

impl core::fmt::Debug for Group {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Group")
            .field("channel_id", &self.params.channel_id)
            .field("epoch", &self.epoch())
            .field("me", &self.me)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
