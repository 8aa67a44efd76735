//! Invitations (spec §5): the values derived from the invite secret (§5.4), creating an
//! invitation (§5.5), the joiner's join request and redeem body (§5.6), the inviter's
//! processing of a pending join (§5.8) and the short authentication string both compare
//! (§5.8.1). A joiner starts with [`PendingMember::join`]; accepting the Welcome (§5.9) is
//! [`PendingMember::accept_welcome`]. An inviter starts with [`crate::Group::create_invitation`].
//!
//! The comparison is enforced by types: the inviter's [`ValidatedJoin`] becomes a
//! [`ConfirmedJoin`], the only thing [`crate::group::Change::Add`] takes, only when the user has
//! confirmed that the codes match (HRT-INV-65), and a [`PendingMember`] accepts a Welcome only
//! after [`PendingMember::confirm_sas`] (HRT-INV-67).
//!
//! [`PendingMember`]: crate::group::PendingMember
//! [`PendingMember::join`]: crate::group::PendingMember::join
//! [`PendingMember::accept_welcome`]: crate::group::PendingMember::accept_welcome
//! [`PendingMember::confirm_sas`]: crate::group::PendingMember::confirm_sas

use core::fmt;

use hearth_wire::invite::{Invite, InviteUri};
use hearth_wire::join::SignedJoinRequest;
use hearth_wire::request::{InviteCreateBody, PendingJoin};
use hearth_wire::{
    encode_with, ChannelId, ConversationId, EdPublic, FprPrefix, HostUrl, InviteSecret, KemPublic,
    Nonce16, Secs, Suite, Version, WireDecode, WireEncode, XPublic,
};
use rand_core::RngCore;

use crate::error::{Misuse, ProtocolError};
use crate::hazmat::ed25519::{Signature, SigningKey};
use crate::hazmat::hpke::{Enc, Hpke};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, expand_with_label, verify_with_label};
use crate::hazmat::x25519;
use crate::keys::{Fingerprint, IdentityPublicKey, MemberCert, MemberPublicKey};
use crate::persist;
use crate::rng::HearthRng;
use crate::secret::Secret32;

mod redeem;

pub(crate) use self::redeem::{build_join, Joining};
pub use self::redeem::{InviteAuthKey, Redeem};

/// The default lifetime of an invitation: 24 hours (HRT-INV-57).
pub const DEFAULT_LIFETIME_SECS: u64 = 24 * 3600;

/// A short authentication string (spec §5.8.1): six decimal digits both sides derive from the
/// HPKE context of one join request. `Display` is the form of HRT-INV-64, `"042 917"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sas(u32);

impl Sas {
    /// `sas = uint32_be(sas_bytes) mod 1000000` (HRT-INV-63).
    pub(super) fn from_export(b: &[u8]) -> Result<Sas, ProtocolError> {
        let four: [u8; 4] = b.try_into().map_err(|_| Misuse::OutputLength)?;
        Ok(Sas(u32::from_be_bytes(four) % 1_000_000))
    }

    /// The value, 0 to 999999.
    pub fn value(self) -> u32 {
        self.0
    }

    /// A value read back from storage; `None` above 999999.
    pub fn from_value(v: u32) -> Option<Sas> {
        (v < 1_000_000).then_some(Sas(v))
    }
}

impl fmt::Display for Sas {
    /// Two groups of three digits with leading zeros (HRT-INV-64).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.0 / 1000, self.0 % 1000)
    }
}

impl fmt::Debug for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sas({self})")
    }
}

/// The HPKE exporter context of the short authentication string (spec §5.8.1, Table 3.3):
/// `hCBOR(["hearth/1 join-sas", [channel_id, invite_id, inviter_pub, inviter_fpr16, IK, MK]])`.
pub(super) fn sas_ctx(
    channel_id: &ChannelId,
    invite_id: &Nonce16,
    inviter_pub: &XPublic,
    inviter_fpr: &FprPrefix,
    ik: &EdPublic,
    mk: &EdPublic,
) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SAS.wire())
            .array(6)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0)
            .bytes(&inviter_pub.0)
            .bytes(&inviter_fpr.0)
            .bytes(&ik.0)
            .bytes(&mk.0);
    })
}

/// The values derived from an invite secret (spec §5.4).
pub(super) struct Derived {
    pub(super) invite_id: Nonce16,
    pub(super) auth: SigningKey,
    pub(super) psk: Secret32,
}

/// ```text
/// invite_id        = ExpandWithLabel(secret, "invite-id",   channel_id, 16)
/// invite_auth_seed = ExpandWithLabel(secret, "invite-auth", channel_id, 32)
/// psk              = ExpandWithLabel(secret, "invite-psk",  channel_id, 32)
/// ```
/// HRT-INV-18, HRT-INV-19 (HRT-KEY-21), HRT-INV-20.
pub(super) fn derive(secret: &Secret32, channel_id: &ChannelId) -> Derived {
    let id = expand_with_label::<16>(secret, label::INVITE_ID, bstr(&channel_id.0));
    let seed = expand_with_label::<32>(secret, label::INVITE_AUTH, bstr(&channel_id.0));
    Derived {
        invite_id: Nonce16(*id.as_bytes()),
        auth: SigningKey::from_seed(seed.as_bytes()),
        psk: expand_with_label::<32>(secret, label::INVITE_PSK, bstr(&channel_id.0)),
    }
}

/// `info = hCBOR(["hearth/1 join-seal", [channel_id, invite_id]])` (Table 3.3).
pub(super) fn join_seal_info(channel_id: &ChannelId, invite_id: &Nonce16) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SEAL.wire())
            .array(2)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0);
    })
}

/// `aad = hCBOR([channel_id, invite_id, MK_joiner])` (Table 3.3).
pub(super) fn join_seal_aad(channel_id: &ChannelId, invite_id: &Nonce16, mk: &EdPublic) -> Vec<u8> {
    encode_with(|e| {
        e.array(3)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0)
            .bytes(&mk.0);
    })
}

/// The `[channel_id, invite_id, jr_bytes]` content of the join signature (HRT-INV-26).
pub(super) fn join_content<'a>(
    channel_id: &'a ChannelId,
    invite_id: &'a Nonce16,
    jr_bytes: &'a [u8],
) -> impl FnOnce(&mut hearth_wire::Encoder) + 'a {
    move |e| {
        e.array(3)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0)
            .bytes(jr_bytes);
    }
}

/// The content of the redeem proof of possession, `[host_url, channel_id, invite_id,
/// invite_auth_pub]`: the joiner signs it with its member key under label `redeem` (spec §5.6
/// step 8, HRT-INV-28) and the host verifies it (HRT-OP-23). Every party that builds or checks a
/// pop uses this one function, with [`crate::hazmat::labelled::sign_with_label`],
/// [`crate::hazmat::labelled::verify_with_label`] or
/// [`crate::hazmat::labelled::signing_input`] and [`REDEEM_POP_LABEL`].
pub fn redeem_pop_content<'a>(
    host_url: &'a str,
    channel_id: &'a [u8],
    invite_id: &'a [u8],
    invite_auth_pub: &'a [u8],
) -> impl FnOnce(&mut hearth_wire::Encoder) + 'a {
    move |e| {
        e.array(4)
            .text(host_url)
            .bytes(channel_id)
            .bytes(invite_id)
            .bytes(invite_auth_pub);
    }
}

/// The label of the redeem proof of possession (Table 3.3).
pub const REDEEM_POP_LABEL: crate::hazmat::Label = label::REDEEM;

/// The inviter's material for one invitation (spec §5.5); secrets zeroized on drop.
struct InviteMaterial {
    host_url: HostUrl,
    channel_id: ChannelId,
    suite: Suite,
    secret: Secret32,
    inviter_sk: x25519::SecretKey,
    invite_id: Nonce16,
    auth_pub: EdPublic,
    psk: Secret32,
    fpr: FprPrefix,
    expires: u64,
    conversation: ConversationId,
}

/// An invitation built but not yet registered with the host (spec §5.5 steps 1 to 3). It
/// cannot be shown: only [`InvitationDraft::registered`] yields the URI (HRT-INV-21).
pub struct InvitationDraft(InviteMaterial);

/// An invitation the host answered `ok` for (spec §5.5 step 5): it can be shown, and it opens
/// the first pending join of its `invite_id` (spec §5.8).
pub struct Invitation(Option<InviteMaterial>, Nonce16);

impl fmt::Debug for InvitationDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvitationDraft({:?})", self.0.invite_id)
    }
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invitation({:?}, held: {})", self.1, self.0.is_some())
    }
}

impl InvitationDraft {
    /// Steps 1 to 3 of §5.5 for a channel on `host_url` with id `channel_id`: a fresh secret
    /// (HRT-INV-1) and per-invite X25519 key (HRT-INV-2, HRT-KEY-20) from `rng`, the derived
    /// values, and `inviter-fpr` (HRT-INV-3). [`crate::Group::create_invitation`] calls it.
    pub(crate) fn new(
        rng: &mut HearthRng,
        host_url: HostUrl,
        channel_id: ChannelId,
        suite: Suite,
        fpr: FprPrefix,
        conversation: ConversationId,
        expires: u64,
    ) -> InvitationDraft {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        let s = Secret32::from_bytes(b);
        zeroize::Zeroize::zeroize(&mut b);
        let inviter_sk = x25519::SecretKey::generate_with(rng);
        let d = derive(&s, &channel_id);
        InvitationDraft(InviteMaterial {
            host_url,
            channel_id,
            suite,
            secret: s,
            inviter_sk,
            invite_id: d.invite_id,
            auth_pub: EdPublic(*d.auth.verifying_key().as_bytes()),
            psk: d.psk,
            fpr,
            expires,
            conversation,
        })
    }

    /// `InviteCreateBody = {1: invite_id, 2: invite_auth_pub, 3: expires}` for `invite.create`
    /// (spec §5.5 step 4). Nothing secret is in it (HRT-INV-23).
    pub fn create_body(&self) -> InviteCreateBody {
        InviteCreateBody {
            invite_id: self.0.invite_id,
            invite_auth: self.0.auth_pub,
            expires: Secs(self.0.expires),
        }
    }

    /// The host answered `invite.create` with `ok` (spec §5.5 step 5).
    pub fn registered(self) -> Invitation {
        let id = self.0.invite_id;
        Invitation(Some(self.0), id)
    }
}

impl Invitation {
    /// The invite id, to match pending joins against (spec §5.8).
    pub fn invite_id(&self) -> &Nonce16 {
        &self.1
    }

    /// The invitation URI (spec §5.3.1, HRT-INV-52) with the channel's suite, host URL, id and
    /// conversation (HRT-INV-51); `None` once the invitation's keys are deleted.
    pub fn uri(&self) -> Option<InviteUri> {
        let m = self.0.as_ref()?;
        let invite = Invite {
            version: Version,
            suite: m.suite,
            host_url: m.host_url.clone(),
            channel_id: m.channel_id,
            conversation: m.conversation,
            inviter_fpr: m.fpr,
            inviter_key: XPublic(*m.inviter_sk.public_key().as_bytes()),
            secret: InviteSecret(*m.secret.as_bytes()),
            expires: Secs(m.expires),
        };
        InviteUri::new(invite).ok()
    }

    /// Whether the invitation still holds its keys (it has not processed an opened join, and
    /// was not forgotten).
    pub fn is_open(&self) -> bool {
        self.0.is_some()
    }

    /// Deletes the per-invite private key, the secret and `psk` (HRT-INV-48: after
    /// `invite.revoke` answered `ok`, or once no join can come).
    pub fn forget(&mut self) {
        self.0 = None;
    }

    /// Processes a pending join of this invitation (spec §5.8) with the checks in order
    /// (HRT-INV-35), and derives its short authentication string (HRT-INV-63). A join whose
    /// `invite_id` is not this invitation's is refused with [`Misuse::WrongChannel`] and
    /// changes nothing. A join that does not open (step 1, `decrypt_failed`) changes nothing
    /// either: the invitation keeps its keys for the next one (HRT-INV-62). Once a join opens,
    /// the per-invite key, secret and `psk` are deleted whatever the later checks decide
    /// (HRT-INV-59).
    pub fn process_join(&mut self, pj: &PendingJoin) -> Result<ValidatedJoin, ProtocolError> {
        if pj.invite_id != self.1 {
            return Err(Misuse::WrongChannel.into());
        }
        let held = self.0.as_ref().ok_or(Misuse::WrongChannel)?;
        let cid = held.channel_id;
        // Step 1 (HRT-INV-37): OpenPSK with the PendingJoin's MK in the aad; the context is
        // kept for the export of the short authentication string.
        let opened = Hpke::SUITE_1
            .setup_psk_r(
                &Enc::from_bytes(pj.sealed.enc.0),
                &held.inviter_sk,
                &join_seal_info(&cid, &held.invite_id),
                held.psk.as_bytes(),
                &held.invite_id.0,
            )
            .and_then(|mut ctx| {
                let pt = ctx.open(
                    &join_seal_aad(&cid, &held.invite_id, &pj.member_key),
                    pj.sealed.ct.as_slice(),
                )?;
                Ok((ctx, pt))
            });
        // HRT-INV-62: a join that does not open leaves the invitation as it was.
        let (ctx, pt) = opened.map_err(|_| ProtocolError::DecryptFailed)?;
        // HRT-INV-59: an opened join uses the invitation up.
        let m = self.0.take().ok_or(Misuse::WrongChannel)?;
        // Step 2 (HRT-INV-38).
        let sjr = SignedJoinRequest::decode(&pt)?;
        let jr_u = sjr.unverified_join_request()?;
        // Step 3 (HRT-INV-39): under key 1, over the exact received jr_bytes.
        let ik = IdentityPublicKey::from_bytes(&jr_u.as_unverified().identity.0)
            .map_err(|_| ProtocolError::BadSignature)?;
        verify_with_label(
            ik.verifying_key(),
            label::JOIN,
            join_content(&cid, &m.invite_id, sjr.join_request.as_bytes()),
            &Signature::from_bytes(&sjr.signature.0),
        )
        .map_err(|_| ProtocolError::BadSignature)?;
        let jr = jr_u.danger_assume_verified();
        // Step 4 (HRT-INV-40).
        if jr.member_key != pj.member_key {
            return Err(ProtocolError::InvalidValue);
        }
        // Step 5 (HRT-KEY-24).
        let mk = MemberPublicKey::from_bytes(&jr.member_key.0)
            .map_err(|_| ProtocolError::BadSignature)?;
        // Step 6 (HRT-INV-41).
        let cert = MemberCert::from_bytes(&jr.member_cert.0);
        ik.verify_member_cert(m.host_url.as_str(), &cid.0, &mk, &cert)
            .map_err(|_| ProtocolError::BadMemberCert)?;
        // Step 7 (HRT-INV-50): the init key has the size of the invitation's suite
        // (HRT-WIRE-30: another size is `wrong_size`), is not of small order (X25519) and
        // passes FIPS 203 §7.2 (X-Wing, HRT-CRYPTO-55).
        jr.check_suite(m.suite)?;
        let init_key = jr.init_key.clone();
        crate::kem::check_init_key(&init_key)?;
        // §5.8.1 (HRT-INV-63): the code is derived only for a join that passed every check
        // (HRT-INV-70).
        let inviter_pub = XPublic(*m.inviter_sk.public_key().as_bytes());
        let exported = ctx.export(
            &sas_ctx(
                &cid,
                &m.invite_id,
                &inviter_pub,
                &m.fpr,
                &jr.identity,
                &jr.member_key,
            ),
            4,
        )?;
        let sas = Sas::from_export(&exported)?;
        Ok(ValidatedJoin {
            channel_id: cid,
            conversation: m.conversation,
            identity: ik,
            member_key: mk,
            init_key,
            cert,
            name: jr.name.as_str().to_owned(),
            sas,
        })
    }
}

impl Invitation {
    /// Saves the inviter's state of a registered invitation (spec §5.5 step 5: the inviter
    /// "stores `secret`, `inviter_sk`, `invite_id` and `expires` locally"), so that a later run
    /// can process its join (spec §5.8):
    ///
    /// ```text
    /// invitation = [invite_id, [? [host_url, channel_id, secret, inviter_sk, inviter-fpr,
    ///                              expires, conversation, ? suite]]]
    /// ```
    ///
    /// `suite` is present only for a channel of a suite other than suite 1, so that a suite-1
    /// invitation is saved exactly as before.
    ///
    /// `invite_auth_pub` and `psk` are derived again on restore. Once the keys are deleted
    /// ([`Invitation::forget`], or [`Invitation::process_join`] of its join, HRT-INV-59,
    /// HRT-INV-48) the saved state holds only the invite id; replace the stored copy then. It
    /// holds the invitation secret and private key; see [`crate::SavedState`].
    pub fn save(&self) -> Result<crate::SavedState, ProtocolError> {
        Ok(persist::save(persist::KIND_INVITATION, |w| {
            w.e().array(2).bytes(&self.1 .0);
            w.opt(self.0.as_ref(), |w, m| {
                let s1 = m.suite == crate::kem::SUITE_1;
                w.e().array(if s1 { 7 } else { 8 });
                m.host_url.encode(w.e());
                w.e().bytes(&m.channel_id.0);
                w.secret(m.secret.as_bytes());
                let sk = m.inviter_sk.to_bytes();
                w.secret(sk.as_bytes());
                w.e()
                    .bytes(&m.fpr.0)
                    .uint(m.expires)
                    .bytes(&m.conversation.0);
                if !s1 {
                    w.e().uint(u64::from(m.suite.0));
                }
            });
        }))
    }

    /// Restores an invitation saved by [`Invitation::save`]. Fails with
    /// [`ProtocolError::BadSavedState`] when the bytes are truncated, corrupted, not canonical,
    /// the saved state of something else, or when the secret does not derive the saved invite
    /// id; with `unsupported_version` for an unknown format version.
    pub fn restore(bytes: &[u8]) -> Result<Invitation, ProtocolError> {
        persist::restore(bytes, persist::KIND_INVITATION, |d| {
            d.array(2)?;
            let id = Nonce16::decode_from(d)?;
            let m = persist::opt(d, |d| {
                let len = d.array_range(7, 8)?;
                let host_url = HostUrl::decode_from(d)?;
                let channel_id = ChannelId::decode_from(d)?;
                let secret = persist::secret::<32>(d)?;
                let sk = persist::secret::<32>(d)?;
                let inviter_sk = x25519::SecretKey::from_bytes(*sk.as_bytes());
                drop(sk);
                let fpr = FprPrefix::decode_from(d)?;
                let expires = d.uint()?;
                let conversation = ConversationId::decode_from(d)?;
                let suite = if len == 8 {
                    let s = Suite(u16::try_from(d.uint()?).map_err(|_| persist::Corrupt)?);
                    persist::ensure(s != crate::kem::SUITE_1)?;
                    crate::kem::implemented(s).map_err(|_| persist::Corrupt)?;
                    s
                } else {
                    crate::kem::SUITE_1
                };
                let derived = derive(&secret, &channel_id);
                persist::ensure(derived.invite_id == id)?;
                Ok(InviteMaterial {
                    host_url,
                    channel_id,
                    suite,
                    secret,
                    inviter_sk,
                    invite_id: derived.invite_id,
                    auth_pub: EdPublic(*derived.auth.verifying_key().as_bytes()),
                    psk: derived.psk,
                    fpr,
                    expires,
                    conversation,
                })
            })?;
            Ok(Invitation(m, id))
        })
    }
}

/// A join request that passed every check of §5.8, with its short authentication string. It
/// is shown to the user, and becomes a [`ConfirmedJoin`] that can be added only when the user
/// confirms that the codes match (HRT-INV-65), or, for a route invitation, when the joiner is
/// the identity the invitation was made for (HRT-ROUTE-9).
#[derive(Clone, Debug)]
pub struct ValidatedJoin {
    pub(crate) channel_id: ChannelId,
    pub(crate) conversation: ConversationId,
    pub(crate) identity: IdentityPublicKey,
    pub(crate) member_key: MemberPublicKey,
    pub(crate) init_key: KemPublic,
    pub(crate) cert: MemberCert,
    name: String,
    sas: Sas,
}

/// A validated join whose admission the inviter's user confirmed: what
/// [`crate::group::Change::Add`] adds (HRT-INV-65).
#[derive(Clone, Debug)]
pub struct ConfirmedJoin(pub(crate) ValidatedJoin);

impl ConfirmedJoin {
    /// The validated join.
    pub fn join(&self) -> &ValidatedJoin {
        &self.0
    }
}

impl ValidatedJoin {
    /// The joiner's fingerprint, to show to the user before adding (HRT-INV-43).
    pub fn fingerprint(&self) -> Fingerprint {
        self.identity.fingerprint()
    }

    /// The joiner's proposed display name: untrusted text (spec §5.8).
    pub fn proposed_name(&self) -> &str {
        &self.name
    }

    /// The short authentication string to show and compare (spec §5.8.1, HRT-INV-63).
    pub fn sas(&self) -> Sas {
        self.sas
    }

    /// The conversation id of the invitation (it goes into the GroupInfo, HRT-GRP-86).
    pub fn conversation(&self) -> ConversationId {
        self.conversation
    }

    /// The channel the join is for (issue 15: a restored join is checked against the route it
    /// is stored with).
    pub fn channel_id(&self) -> ChannelId {
        self.channel_id
    }

    /// The user compared the codes of §5.8.1 and confirmed that they match (HRT-INV-65). Call
    /// it only on that confirmation; on a mismatch drop the join and decline it with
    /// `invite.revoke` (HRT-INV-66).
    pub fn confirm_sas_matches(self) -> ConfirmedJoin {
        ConfirmedJoin(self)
    }

    /// A join of a route invitation (spec §10.2): admitted without a comparison when the
    /// joiner's identity is the one the invitation was made for (HRT-ROUTE-9); otherwise the
    /// join comes back.
    pub fn confirm_route_identity(
        self,
        expected: &Fingerprint,
    ) -> Result<ConfirmedJoin, Box<ValidatedJoin>> {
        if self.fingerprint() == *expected {
            Ok(ConfirmedJoin(self))
        } else {
            Err(Box::new(self))
        }
    }

    /// DANGER (conformance harness only, feature `danger-forge`): replaces the joiner's member
    /// certificate with one made by `by` for `host_url`, so that a commit adding this joiner
    /// fails check 7d of §6.9 (`bad_member_cert`) at every receiver.
    #[cfg(feature = "danger-forge")]
    #[doc(hidden)]
    pub fn danger_recertify(&mut self, by: &crate::keys::IdentityKey, host_url: &str) {
        self.cert = by.certify_member(host_url, &self.channel_id.0, &self.member_key);
    }

    /// The joiner's member key.
    pub fn member_key(&self) -> &MemberPublicKey {
        &self.member_key
    }

    /// Saves a join that waits for the user's comparison (spec §5.8.1), so that a client that
    /// runs one process per command can show the code in one run and add or decline the join
    /// in a later one:
    ///
    /// ```text
    /// validated-join = [channel_id, conversation, IK, MK, init_pub, member_cert, name, sas]
    /// ```
    ///
    /// It holds no secret: the per-invite key is already deleted (HRT-INV-59). A restored
    /// join has passed the checks of §5.8 in the run that saved it; the store is trusted as the
    /// group state is.
    pub fn save(&self) -> Result<crate::SavedState, ProtocolError> {
        Ok(persist::save(persist::KIND_VALIDATED_JOIN, |w| {
            w.e()
                .array(8)
                .bytes(&self.channel_id.0)
                .bytes(&self.conversation.0)
                .bytes(self.identity.as_bytes())
                .bytes(self.member_key.as_bytes())
                .bytes(self.init_key.as_slice())
                .bytes(&self.cert.to_bytes())
                .text(&self.name)
                .uint(u64::from(self.sas.value()));
        }))
    }

    /// Restores a join saved by [`ValidatedJoin::save`]; [`ProtocolError::BadSavedState`] when
    /// the bytes are damaged, not canonical, of another kind, or a key is not valid.
    pub fn restore(bytes: &[u8]) -> Result<ValidatedJoin, ProtocolError> {
        persist::restore(bytes, persist::KIND_VALIDATED_JOIN, |d| {
            d.array(8)?;
            let channel_id = ChannelId::decode_from(d)?;
            let conversation = ConversationId::decode_from(d)?;
            let ik = d.bytes_exact::<32>()?;
            let mk = d.bytes_exact::<32>()?;
            let init = KemPublic::decode_from(d).map_err(|_| persist::Corrupt)?;
            let cert = d.bytes_exact::<64>()?;
            // A JoinRequest name is at most 64 bytes (spec §5.6 step 4).
            let name = d.text(64)?.to_owned();
            let sas = u32::try_from(d.uint()?)
                .ok()
                .and_then(Sas::from_value)
                .ok_or(persist::Corrupt)?;
            Ok(ValidatedJoin {
                channel_id,
                conversation,
                identity: IdentityPublicKey::from_bytes(&ik).map_err(|_| persist::Corrupt)?,
                member_key: MemberPublicKey::from_bytes(&mk).map_err(|_| persist::Corrupt)?,
                init_key: init,
                cert: MemberCert::from_bytes(&cert),
                name,
                sas,
            })
        })
    }
}
