//! The joiner's side of an invitation (spec §5.6): the join request, its sealing, the proof of
//! possession and the redeem body.

use core::fmt;

use hearth_wire::invite::InviteUri;
use hearth_wire::join::{JoinRequest, SignedJoinRequest};
use hearth_wire::request::InviteRedeemBody;
use hearth_wire::{
    BoundedBytes, BoundedText, ChannelId, ConversationId, EdPublic, FprPrefix, HostUrl, HpkeSealed,
    SignedBytes, Suite, WireEncode, XPublic,
};

use super::{derive, join_content, join_seal_aad, join_seal_info, sas_ctx, Derived, Sas};
use crate::error::ProtocolError;
use crate::hazmat::ed25519::SigningKey;
use crate::hazmat::hpke::{Hpke, Mode};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, sign_with_label};
use crate::hazmat::x25519;
use crate::kem::GroupInitKey;
use crate::keys::{IdentityKey, MemberKey};
use crate::rng::HearthRng;
use crate::secret::Secret32;

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

/// What the joiner keeps after building its join (spec §5.6): everything of a
/// [`crate::group::PendingMember`] but the channel state that only the Welcome brings.
pub(crate) struct Joining {
    pub(crate) host_url: HostUrl,
    pub(crate) channel_id: ChannelId,
    pub(crate) inviter_fpr: FprPrefix,
    pub(crate) conversation: ConversationId,
    pub(crate) sas: Sas,
    pub(crate) identity: IdentityKey,
    pub(crate) member_key: MemberKey,
    pub(crate) suite: Suite,
    pub(crate) init_key: GroupInitKey,
    pub(crate) rng: HearthRng,
}

/// Parses an invitation and builds the join (spec §5.3.2, §5.6): the joiner's keys and its
/// redeem body. [`crate::group::PendingMember::join`] is the public entry point.
pub(crate) fn build_join(
    uri: &str,
    identity: IdentityKey,
    name: &str,
    now: u64,
    mut rng: HearthRng,
) -> Result<(Joining, Redeem), ProtocolError> {
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
    let init_key = GroupInitKey::generate_with(inv.suite, &mut rng)?;
    let mk_pub = EdPublic(*member_key.public_key().as_bytes());
    // Step 3 (HRT-INV-25).
    let cert = identity.certify_member(host_url.as_str(), &cid.0, &member_key.public_key());
    // Step 4.
    let jr = JoinRequest {
        identity: EdPublic(*identity.public_key().as_bytes()),
        member_key: mk_pub,
        init_key: init_key.public(),
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
    let pop = sign_with_label(
        member_key.signing_key(),
        super::REDEEM_POP_LABEL,
        super::redeem_pop_content(host_url.as_str(), &cid.0, &d.invite_id.0, &auth_pub.0),
    );
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
    let joining = Joining {
        host_url,
        channel_id: cid,
        inviter_fpr: inv.inviter_fpr,
        conversation: inv.conversation,
        sas,
        identity,
        member_key,
        suite: inv.suite,
        init_key,
        rng,
    };
    Ok((
        joining,
        Redeem {
            body,
            auth: InviteAuthKey(auth),
        },
    ))
}
