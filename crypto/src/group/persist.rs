//! Saving and restoring a [`Group`] and a [`PendingMember`] (spec §6.1, §6.16); the format
//! frame and [`SavedState`] are [`crate::persist`].
//!
//! ```text
//! group    = [params, identity-seed, status, me, sent_since_commit, last_commit_time,
//!             [? own-keys], [? epoch], [? pending]]
//! params   = [host_url, channel_id, ? suite]                ; suite absent for suite 1
//! status   = [0] / [1] / [2, err-code]                      ; active / removed / halted
//! own-keys = [member-key-seed, init-key-secret]
//! epoch    = [[1*256 RosterEntry], bstr .cbor GroupContext, gc_hash,
//!             epoch-secrets, ratchets, [* bool] needs_update, [* bool] left]
//! epoch-secrets = [exporter_secret, epoch_authenticator, init_secret]
//! pending  = [commit_bytes, epoch, me', new-init-secret, [? new-member-key-seed], created_at]
//!
//! pending-member = [params, inviter-fpr, identity-seed, member-key-seed, init-key-secret]
//! ```
//!
//! `ratchets` is written by [`crate::ratchet`]. The GroupContext is embedded as its own item so
//! that its extension values keep the depth budget they were received with.

use hearth_wire::group::{Commit, GroupContext, RosterEntry};
use hearth_wire::{
    ChannelId, ConversationId, Decoder, ErrorCode, FprPrefix, HostUrl, WireDecode, WireEncode,
};

use super::commit::PendingCommit;
use super::roster::{roster_hash, Member, MAX_MEMBERS};
use super::schedule::EpochSecrets;
use super::{gc_hash, ChannelParams, EpochState, Group, OwnKeys, PendingMember, Status, SUITE_1};
use crate::error::ProtocolError;
use crate::kem::GroupInitKey;
use crate::keys::{IdentityKey, MemberKey};
use crate::persist::{
    self, ensure, Corrupt, SavedState, Writer, KIND_GROUP, KIND_PENDING_MEMBER, R,
};
use crate::ratchet::EpochRatchets;
use crate::rng::HearthRng;

impl Group {
    /// Saves this member's whole state in this channel (spec §6.1): channel parameters,
    /// identity key, own member and init keys, leaf, roster, GroupContext, epoch secrets,
    /// sender ratchets with the skipped-key store and the record of opened generations, the
    /// per-leaf flags, status, update counters and a pending commit.
    ///
    /// The result holds every secret of the member and exactly the secrets it holds now: a
    /// removed member's saved state has none (spec §6.16). Replace the stored copy after every
    /// state-changing call and keep no older one; see [`SavedState`]. The generator is not
    /// saved; [`Group::restore`] attaches a fresh OS generator.
    pub fn save(&self) -> Result<SavedState, ProtocolError> {
        Ok(persist::save(KIND_GROUP, |w| {
            w.e().array(9);
            save_params(w, &self.params);
            w.identity(&self.identity);
            match self.status {
                Status::Active => {
                    w.e().array(1).uint(0);
                }
                Status::Removed => {
                    w.e().array(1).uint(1);
                }
                Status::Halted(code) => {
                    w.e().array(2).uint(2).uint(u64::from(code.0));
                }
            }
            w.e()
                .uint(self.me as u64)
                .uint(u64::from(self.sent_since_commit))
                .uint(self.last_commit_time);
            w.opt(self.keys.as_ref(), |w, k| {
                w.e().array(2);
                w.member_key(&k.member_key).init_key(&k.init_key);
            });
            w.opt(self.state.as_ref(), save_epoch);
            w.opt(self.pending.as_ref(), |w, p| {
                w.e().array(6).bytes(&p.commit_bytes);
                save_epoch(w, &p.next);
                w.e().uint(p.me_new as u64);
                w.init_key(&p.new_init);
                w.opt(p.new_member_key.as_ref(), |w, k| {
                    w.member_key(k);
                });
                w.e().uint(p.created_at);
            });
        }))
    }

    /// Restores a group saved by [`Group::save`], with a fresh OS generator. The restored
    /// group behaves as the saved one would have: same epoch and authenticator, same keys for
    /// the same generations, same replays rejected, same bounds, same deletion state.
    ///
    /// Fails with [`ProtocolError::BadSavedState`] when the bytes are truncated, corrupted,
    /// not canonical, the saved state of something other than a group, or inconsistent (a
    /// leaf outside the roster, per-leaf state of the wrong length, keys that are not the
    /// roster's, a GroupContext or hash that does not match); with `unsupported_version`
    /// ([`ProtocolError::Wire`]) for an unknown format version.
    pub fn restore(bytes: &[u8]) -> Result<Group, ProtocolError> {
        persist::restore(bytes, KIND_GROUP, restore_group)
    }
}

impl PendingMember {
    /// Saves the joiner's state between `invite.redeem` and its Welcome (spec §5.6, §5.9):
    /// the invitation's host URL, channel id, `inviter-fpr` and conversation, the short
    /// authentication string and whether it was confirmed, and the identity, member and init
    /// key pairs. It holds private keys; see [`SavedState`].
    pub fn save(&self) -> Result<SavedState, ProtocolError> {
        Ok(persist::save(KIND_PENDING_MEMBER, |w| {
            w.e().array(8);
            save_params(w, &self.params);
            w.e()
                .bytes(&self.inviter_fpr.0)
                .bytes(&self.conversation.0)
                .uint(u64::from(self.sas.value()))
                .bool(self.sas_confirmed);
            w.identity(&self.identity)
                .member_key(&self.member_key)
                .init_key(&self.init_key);
        }))
    }

    /// Restores a pending member saved by [`PendingMember::save`], with a fresh OS
    /// generator. Errors as [`Group::restore`].
    pub fn restore(bytes: &[u8]) -> Result<PendingMember, ProtocolError> {
        persist::restore(bytes, KIND_PENDING_MEMBER, |d| {
            d.array(8)?;
            let params = restore_params(d)?;
            let inviter_fpr = FprPrefix::decode_from(d)?;
            let conversation = ConversationId::decode_from(d)?;
            let sas = u32::try_from(d.uint()?)
                .ok()
                .and_then(crate::invite::Sas::from_value)
                .ok_or(Corrupt)?;
            let sas_confirmed = d.bool()?;
            let suite = params.suite;
            Ok(PendingMember {
                params,
                inviter_fpr,
                conversation,
                sas,
                sas_confirmed,
                identity: persist::identity(d)?,
                member_key: persist::member_key(d)?,
                init_key: persist::init_key(d, suite)?,
                rng: HearthRng::os(),
            })
        })
    }
}

/// `params = [host_url, channel_id, ? suite]`: the suite is written only when it is not
/// suite 1, so that a suite-1 state is saved exactly as before suite 2 existed.
fn save_params(w: &mut Writer, p: &ChannelParams) {
    let s1 = p.suite == SUITE_1;
    w.e().array(if s1 { 2 } else { 3 });
    p.host_url.encode(w.e());
    p.channel_id.encode(w.e());
    if !s1 {
        w.e().uint(u64::from(p.suite.0));
    }
}

fn restore_params(d: &mut Decoder<'_>) -> R<ChannelParams> {
    let len = d.array_range(2, 3)?;
    let host_url = HostUrl::decode_from(d)?;
    let channel_id = ChannelId::decode_from(d)?;
    if len == 2 {
        return Ok(ChannelParams::new(host_url, channel_id));
    }
    let suite = hearth_wire::Suite(u16::try_from(d.uint()?).map_err(|_| Corrupt)?);
    ensure(suite != SUITE_1)?;
    Ok(ChannelParams::with_suite(host_url, channel_id, suite)?)
}

fn save_epoch(w: &mut Writer, s: &EpochState) {
    w.e().array(7).array(s.members.len());
    for m in &s.members {
        m.entry.encode(w.e());
    }
    w.e().bytes(&s.gc.to_vec()).bytes(&s.gc_hash);
    s.secrets.save(w);
    s.ratchets.save(w);
    for flags in [&s.needs_update, &s.left] {
        w.e().array(flags.len());
        for f in flags {
            w.e().bool(*f);
        }
    }
}

/// Reads an epoch and checks it against the channel: roster size, GroupContext of this
/// channel and suite, in canonical form, naming this roster, with its hash; per-leaf state of
/// the roster's length.
fn restore_epoch(d: &mut Decoder<'_>, params: &ChannelParams) -> R<EpochState> {
    d.array(7)?;
    let members = persist::list(d, MAX_MEMBERS, |d| {
        Ok(Member::new(RosterEntry::decode_from(d)?)?)
    })?;
    let n = members.len();
    ensure(n >= 1)?;
    let gc_bytes = d.bytes()?;
    let gc = GroupContext::decode_relayed(gc_bytes, &hearth_wire::Profile::DEFAULT)?;
    ensure(gc.to_vec() == gc_bytes)?;
    let hash: [u8; 32] = d.bytes_exact()?;
    ensure(gc.suite == params.suite && gc.channel_id == params.channel_id && hash == gc_hash(&gc))?;
    let secrets = EpochSecrets::restore(d)?;
    let ratchets = EpochRatchets::restore(d, n)?;
    let needs_update = persist::list(d, n, |d| Ok(d.bool()?))?;
    let left = persist::list(d, n, |d| Ok(d.bool()?))?;
    ensure(needs_update.len() == n && left.len() == n)?;
    // The roster hash covers the roster and its needs_update flags (HRT-GRP-84).
    ensure(gc.roster_hash.0 == roster_hash(members.iter().map(|m| &m.entry), &needs_update))?;
    Ok(EpochState {
        members,
        gc,
        gc_hash: hash,
        secrets,
        ratchets,
        needs_update,
        left,
    })
}

/// Checks that leaf `me` of `s` is this member: its identity, member and init keys.
fn is_me(
    s: &EpochState,
    me: usize,
    identity: &IdentityKey,
    mk: &MemberKey,
    init: &GroupInitKey,
) -> R<()> {
    let m = s.members.get(me).ok_or(Corrupt)?;
    ensure(
        m.entry.identity.0 == *identity.public_key().as_bytes()
            && m.entry.member_key.0 == *mk.public_key().as_bytes()
            && init.matches(&m.entry.init_key),
    )
}

fn restore_group(d: &mut Decoder<'_>) -> R<Group> {
    d.array(9)?;
    let params = restore_params(d)?;
    let identity = persist::identity(d)?;
    let status = match d.array_range(1, 2)? {
        1 => match d.uint()? {
            0 => Status::Active,
            1 => Status::Removed,
            _ => return Err(Corrupt),
        },
        _ => {
            ensure(d.uint()? == 2)?;
            Status::Halted(ErrorCode::decode_from(d)?)
        }
    };
    let me = usize::from(u8::try_from(d.uint()?).map_err(|_| Corrupt)?);
    let sent_since_commit = persist::u32_(d)?;
    let last_commit_time = d.uint()?;
    let keys = persist::opt(d, |d| {
        d.array(2)?;
        Ok(OwnKeys {
            member_key: persist::member_key(d)?,
            init_key: persist::init_key(d, params.suite)?,
        })
    })?;
    let state = persist::opt(d, |d| restore_epoch(d, &params))?;
    let pending = persist::opt(d, |d| {
        d.array(6)?;
        let commit_bytes = d.bytes()?.to_vec();
        Commit::decode_relayed(&commit_bytes, &hearth_wire::Profile::DEFAULT)?;
        let next = restore_epoch(d, &params)?;
        let me_new = usize::try_from(d.uint()?).map_err(|_| Corrupt)?;
        let new_init = persist::init_key(d, params.suite)?;
        let new_member_key = persist::opt(d, persist::member_key)?;
        let created_at = d.uint()?;
        Ok(PendingCommit {
            commit_bytes,
            next,
            me_new,
            new_init,
            new_member_key,
            created_at,
        })
    })?;
    match (&status, &keys, &state) {
        // HRT-GRP-46: a removed member holds nothing of the channel.
        (Status::Removed, None, None) => ensure(pending.is_none())?,
        (Status::Active | Status::Halted(_), Some(k), Some(s)) => {
            is_me(s, me, &identity, &k.member_key, &k.init_key)?;
            if let Some(p) = &pending {
                ensure(p.next.epoch() == s.epoch().checked_add(1).ok_or(Corrupt)?)?;
                let mk = p.new_member_key.as_ref().unwrap_or(&k.member_key);
                is_me(&p.next, p.me_new, &identity, mk, &p.new_init)?;
            }
        }
        _ => return Err(Corrupt),
    }
    Ok(Group {
        params,
        identity,
        keys,
        me,
        state,
        status,
        sent_since_commit,
        last_commit_time,
        pending,
        rng: HearthRng::os(),
    })
}
