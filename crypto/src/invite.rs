//! Invitations (spec §5): the values derived from the invite secret (§5.4), creating an
//! invitation (§5.5), the joiner's join request and redeem body (§5.6), the inviter's
//! processing of a pending join (§5.8) and the short authentication string both compare
//! (§5.8.1). Accepting the Welcome (§5.9) is [`crate::group::PendingMember::accept_welcome`].
//!
//! The comparison is enforced by types: the inviter's [`ValidatedJoin`] becomes a
//! [`ConfirmedJoin`], the only thing [`crate::group::Change::Add`] takes, only when the user has
//! confirmed that the codes match (HRT-INV-65), and a [`PendingMember`] accepts a Welcome only
//! after [`PendingMember::confirm_sas`] (HRT-INV-67).

use core::fmt;

use hearth_wire::invite::{Invite, InviteUri};
use hearth_wire::join::{JoinRequest, SignedJoinRequest};
use hearth_wire::request::{InviteCreateBody, InviteRedeemBody, PendingJoin};
use hearth_wire::{
    encode_with, BoundedBytes, BoundedText, ChannelId, ConversationId, EdPublic, FprPrefix,
    HostUrl, HpkeSealed, InviteSecret, Nonce16, Secs, SignedBytes, Suite, Version, WireDecode,
    WireEncode, XPublic,
};
use rand_core::RngCore;

use crate::ed25519::{Signature, SigningKey};
use crate::error::{ApiMisuse, ProtocolError};
use crate::group::{ChannelParams, Group, PendingMember};
use crate::hpke::{Enc, Hpke, Mode};
use crate::keys::{
    Fingerprint, IdentityKey, IdentityPublicKey, InitKey, MemberCert, MemberKey, MemberPublicKey,
};
use crate::label;
use crate::labelled::{bstr, expand_with_label, sign_with_label, verify_with_label};
use crate::persist;
use crate::rng::HearthRng;
use crate::secret::Secret32;
use crate::x25519;

/// The default lifetime of an invitation: 24 hours (HRT-INV-57).
pub const DEFAULT_LIFETIME_SECS: u64 = 24 * 3600;

/// A short authentication string (spec §5.8.1): six decimal digits both sides derive from the
/// HPKE context of one join request. `Display` is the form of HRT-INV-64, `"042 917"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sas(u32);

impl Sas {
    /// `sas = uint32_be(sas_bytes) mod 1000000` (HRT-INV-63).
    fn from_export(b: &[u8]) -> Result<Sas, ProtocolError> {
        let four: [u8; 4] = b
            .try_into()
            .map_err(|_| ApiMisuse::Crypto(crate::error::Misuse::OutputLength))?;
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
fn sas_ctx(
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
struct Derived {
    invite_id: Nonce16,
    auth: SigningKey,
    psk: Secret32,
}

/// ```text
/// invite_id        = ExpandWithLabel(secret, "invite-id",   channel_id, 16)
/// invite_auth_seed = ExpandWithLabel(secret, "invite-auth", channel_id, 32)
/// psk              = ExpandWithLabel(secret, "invite-psk",  channel_id, 32)
/// ```
/// HRT-INV-18, HRT-INV-19 (HRT-KEY-21), HRT-INV-20.
fn derive(secret: &Secret32, channel_id: &ChannelId) -> Derived {
    let id = expand_with_label::<16>(secret, label::INVITE_ID, bstr(&channel_id.0));
    let seed = expand_with_label::<32>(secret, label::INVITE_AUTH, bstr(&channel_id.0));
    Derived {
        invite_id: Nonce16(*id.as_bytes()),
        auth: SigningKey::from_seed(seed.as_bytes()),
        psk: expand_with_label::<32>(secret, label::INVITE_PSK, bstr(&channel_id.0)),
    }
}

/// `info = hCBOR(["hearth/1 join-seal", [channel_id, invite_id]])` (Table 3.3).
fn join_seal_info(channel_id: &ChannelId, invite_id: &Nonce16) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SEAL.wire())
            .array(2)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0);
    })
}

/// `aad = hCBOR([channel_id, invite_id, MK_joiner])` (Table 3.3).
fn join_seal_aad(channel_id: &ChannelId, invite_id: &Nonce16, mk: &EdPublic) -> Vec<u8> {
    encode_with(|e| {
        e.array(3)
            .bytes(&channel_id.0)
            .bytes(&invite_id.0)
            .bytes(&mk.0);
    })
}

/// The `[channel_id, invite_id, jr_bytes]` content of the join signature (HRT-INV-26).
fn join_content<'a>(
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

/// The inviter's material for one invitation (spec §5.5); secrets zeroized on drop.
struct InviteMaterial {
    host_url: HostUrl,
    channel_id: ChannelId,
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

impl Group {
    /// Builds an invitation to this channel (spec §5.5 steps 1 to 3): a fresh secret
    /// (HRT-INV-1) and per-invite X25519 key (HRT-INV-2, HRT-KEY-20), the derived values, and
    /// `inviter-fpr` from the own identity key (HRT-INV-3). `expires` is in seconds.
    pub fn create_invitation(
        &mut self,
        conversation: ConversationId,
        expires: u64,
    ) -> Result<InvitationDraft, ProtocolError> {
        self.active_state()?;
        let mut b = [0u8; 32];
        self.rng.fill_bytes(&mut b);
        let s = Secret32::from_bytes(b);
        zeroize::Zeroize::zeroize(&mut b);
        let inviter_sk = x25519::SecretKey::generate_with(&mut self.rng);
        let d = derive(&s, &self.params.channel_id);
        let fpr = FprPrefix(self.fingerprint().prefix());
        let host_url = HostUrl::new(self.params.host_url())?;
        Ok(InvitationDraft(InviteMaterial {
            host_url,
            channel_id: self.params.channel_id,
            secret: s,
            inviter_sk,
            invite_id: d.invite_id,
            auth_pub: EdPublic(*d.auth.verifying_key().as_bytes()),
            psk: d.psk,
            fpr,
            expires,
            conversation,
        }))
    }
}

impl InvitationDraft {
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
            suite: Suite::X25519_SHA256_AES256GCM_ED25519,
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
    /// `invite_id` is not this invitation's is refused with [`ApiMisuse::WrongChannel`] and
    /// changes nothing. A join that does not open (step 1, `decrypt_failed`) changes nothing
    /// either: the invitation keeps its keys for the next one (HRT-INV-62). Once a join opens,
    /// the per-invite key, secret and `psk` are deleted whatever the later checks decide
    /// (HRT-INV-59).
    pub fn process_join(&mut self, pj: &PendingJoin) -> Result<ValidatedJoin, ProtocolError> {
        if pj.invite_id != self.1 {
            return Err(ApiMisuse::WrongChannel.into());
        }
        let held = self.0.as_ref().ok_or(ApiMisuse::WrongChannel)?;
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
        let m = self.0.take().ok_or(ApiMisuse::WrongChannel)?;
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
        // Step 7 (HRT-INV-50).
        if x25519::PublicKey::from_bytes(jr.init_key.0).is_small_order() {
            return Err(ProtocolError::InvalidValue);
        }
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
            init_key: jr.init_key,
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
    ///                              expires, conversation]]]
    /// ```
    ///
    /// `invite_auth_pub` and `psk` are derived again on restore. Once the keys are deleted
    /// ([`Invitation::forget`], or [`Invitation::process_join`] of its join, HRT-INV-59,
    /// HRT-INV-48) the saved state holds only the invite id; replace the stored copy then. It
    /// holds the invitation secret and private key; see [`crate::SavedState`].
    pub fn save(&self) -> Result<crate::SavedState, ProtocolError> {
        Ok(persist::save(persist::KIND_INVITATION, |w| {
            w.e().array(2).bytes(&self.1 .0);
            w.opt(self.0.as_ref(), |w, m| {
                w.e().array(7);
                m.host_url.encode(w.e());
                w.e().bytes(&m.channel_id.0);
                w.secret(m.secret.as_bytes());
                let sk = m.inviter_sk.to_bytes();
                w.secret(sk.as_bytes());
                w.e()
                    .bytes(&m.fpr.0)
                    .uint(m.expires)
                    .bytes(&m.conversation.0);
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
                d.array(7)?;
                let host_url = HostUrl::decode_from(d)?;
                let channel_id = ChannelId::decode_from(d)?;
                let secret = persist::secret::<32>(d)?;
                let sk = persist::secret::<32>(d)?;
                let inviter_sk = x25519::SecretKey::from_bytes(*sk.as_bytes());
                drop(sk);
                let fpr = FprPrefix::decode_from(d)?;
                let expires = d.uint()?;
                let conversation = ConversationId::decode_from(d)?;
                let derived = derive(&secret, &channel_id);
                persist::ensure(derived.invite_id == id)?;
                Ok(InviteMaterial {
                    host_url,
                    channel_id,
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
    pub(crate) init_key: XPublic,
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
                .bytes(&self.init_key.0)
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
            let init = d.bytes_exact::<32>()?;
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
                init_key: XPublic(init),
                cert: MemberCert::from_bytes(&cert),
                name,
                sas,
            })
        })
    }
}

/// The `invite_auth` key that signs the `invite.redeem` request (HRT-INV-29, HRT-KEY-22).
pub struct InviteAuthKey(SigningKey);

impl fmt::Debug for InviteAuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteAuthKey({:?})", self.0.verifying_key())
    }
}

impl InviteAuthKey {
    /// `invite_auth_pub`, the `SignedRequest` key of the redeem request.
    pub fn public_key(&self) -> EdPublic {
        EdPublic(*self.0.verifying_key().as_bytes())
    }

    /// `SignWithLabel(invite_auth_sk, "request", request_bytes)` (spec §8). Consumes the key:
    /// it signs one redeem request (HRT-KEY-22); a retry reuses the same signed bytes
    /// (HRT-INV-30).
    pub fn sign_request(self, request_bytes: &[u8]) -> hearth_wire::Signature {
        hearth_wire::Signature(
            sign_with_label(&self.0, label::REQUEST, bstr(request_bytes)).to_bytes(),
        )
    }
}

/// What the joiner sends with `invite.redeem` (spec §5.6 steps 7 to 9).
#[derive(Debug)]
pub struct Redeem {
    /// `InviteRedeemBody = {1: invite_id, 2: MK_pub, 3: pop, 4: sealed}`.
    pub body: InviteRedeemBody,
    /// The key that signs the request.
    pub auth: InviteAuthKey,
}

/// Parses an invitation and builds the join (spec §5.3.2, §5.6): the joiner's pending state and
/// its redeem body. `now` is the local clock in seconds (HRT-INV-13); `name` the proposed
/// display name (0 to 64 bytes).
pub fn join(
    uri: &str,
    identity: IdentityKey,
    name: &str,
    now: u64,
) -> Result<(PendingMember, Redeem), ProtocolError> {
    join_with_rng(uri, identity, name, now, HearthRng::os())
}

/// DANGER: [`join`] with an injected generator, for reproducible vectors.
#[cfg(any(test, feature = "danger-deterministic"))]
#[doc(hidden)]
pub fn danger_join_with_rng(
    uri: &str,
    identity: IdentityKey,
    name: &str,
    now: u64,
    rng: HearthRng,
) -> Result<(PendingMember, Redeem), ProtocolError> {
    join_with_rng(uri, identity, name, now, rng)
}

fn join_with_rng(
    uri: &str,
    identity: IdentityKey,
    name: &str,
    now: u64,
    mut rng: HearthRng,
) -> Result<(PendingMember, Redeem), ProtocolError> {
    // §5.3.2 steps 1 to 8 (HRT-INV-5, HRT-INV-9 to HRT-INV-12, HRT-INV-53 to HRT-INV-56).
    let parsed = InviteUri::parse(uri)?;
    let inv = &parsed.invite;
    // Step 9 (HRT-INV-13).
    if now > inv.expires.0 {
        return Err(ProtocolError::InviteExpired);
    }
    let host_url = inv.host_url.clone();
    let name = BoundedText::<0, 64>::new(name)?;
    let cid = inv.channel_id;
    // Step 1: derived values.
    let secret = Secret32::from_bytes(inv.secret.0);
    let d = derive(&secret, &cid);
    drop(secret);
    // Step 2: fresh member and init keys (HRT-INV-24, HRT-KEY-4, HRT-KEY-11).
    let member_key = MemberKey::generate_with(&mut rng);
    let init_key = InitKey::generate_with(&mut rng);
    let mk_pub = EdPublic(*member_key.public_key().as_bytes());
    // Step 3 (HRT-INV-25).
    let cert = identity.certify_member(host_url.as_str(), &cid.0, &member_key.public_key());
    // Step 4.
    let jr = JoinRequest {
        identity: EdPublic(*identity.public_key().as_bytes()),
        member_key: mk_pub,
        init_key: XPublic(*init_key.public_key().as_bytes()),
        member_cert: hearth_wire::Signature(cert.to_bytes()),
        name,
        ext: None,
    };
    let jr_bytes = jr.to_vec();
    // Step 5 (HRT-INV-26).
    let join_sig = sign_with_label(
        identity.signing_key(),
        label::JOIN,
        join_content(&cid, &d.invite_id, &jr_bytes),
    );
    // Step 6.
    let sjr = SignedJoinRequest {
        join_request: SignedBytes::from_bytes(jr_bytes),
        signature: hearth_wire::Signature(join_sig.to_bytes()),
    };
    // Step 7 (HRT-INV-27, HRT-CRYPTO-30), and the short authentication string from the same
    // context (§5.8.1, HRT-INV-63, HRT-CRYPTO-44).
    let ik_pub = EdPublic(*identity.public_key().as_bytes());
    let (enc, mut ctx) = Hpke::SUITE_1
        .setup_s_with_rng(
            &mut rng,
            Mode::Psk,
            &x25519::PublicKey::from_bytes(inv.inviter_key.0),
            &join_seal_info(&cid, &d.invite_id),
            d.psk.as_bytes(),
            &d.invite_id.0,
        )
        .map_err(|_| ProtocolError::DecryptFailed)?;
    let ct = ctx
        .seal(&join_seal_aad(&cid, &d.invite_id, &mk_pub), &sjr.to_vec())
        .map_err(|_| ProtocolError::DecryptFailed)?;
    let exported = ctx.export(
        &sas_ctx(
            &cid,
            &d.invite_id,
            &inv.inviter_key,
            &inv.inviter_fpr,
            &ik_pub,
            &mk_pub,
        ),
        4,
    )?;
    drop(ctx);
    let sas = Sas::from_export(&exported)?;
    drop(exported);
    // Step 8 (HRT-INV-28): proof of possession of MK.
    let auth_pub = EdPublic(*d.auth.verifying_key().as_bytes());
    let pop = sign_with_label(member_key.signing_key(), label::REDEEM, |e| {
        e.array(4)
            .text(host_url.as_str())
            .bytes(&cid.0)
            .bytes(&d.invite_id.0)
            .bytes(&auth_pub.0);
    });
    let body = InviteRedeemBody {
        invite_id: d.invite_id,
        member_key: mk_pub,
        pop: hearth_wire::Signature(pop.to_bytes()),
        sealed: HpkeSealed {
            enc: XPublic(*enc.as_bytes()),
            ct: BoundedBytes::new(ct)?,
        },
    };
    // The psk is dropped here; the invite_auth key leaves in `Redeem` and is consumed by the
    // request signature (HRT-INV-31).
    let Derived { auth, psk, .. } = d;
    drop(psk);
    let pending = PendingMember {
        params: ChannelParams::new(host_url, cid),
        inviter_fpr: inv.inviter_fpr,
        conversation: inv.conversation,
        sas,
        sas_confirmed: false,
        identity,
        member_key,
        init_key,
        rng,
    };
    Ok((
        pending,
        Redeem {
            body,
            auth: InviteAuthKey(auth),
        },
    ))
}
