//! Spec §10: the routes of a conversation. Where a route lives ([`RouteRef`], §10.1), what
//! counts as unreachable and so moves a post to the next route ([`Reach`], §10.4), how a route
//! announcement is judged ([`judge_announcement`], §10.2), and the merged timeline's order
//! ([`timeline_key`], §10.5). All of it is decisions on data the caller holds; sending and
//! redeeming stay with the caller.

use hearth_crypto::keys::Fingerprint;
use hearth_wire::envelope::RouteBody;
use hearth_wire::invite::InviteUri;
use hearth_wire::{ChannelId, ConversationId, ErrorCode, HostUrl, Leaf};

/// `(host_url, channel_id)`: where a route lives (spec §10.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteRef {
    /// The host's canonical URL.
    pub host: HostUrl,
    /// The channel.
    pub channel: ChannelId,
}

/// What one request's answer means for failover (spec §10.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The host answered `ok`.
    Ok,
    /// The host answered with an error status: the route is reachable, the request refused.
    Refused(ErrorCode),
    /// The route is unreachable for this request: try the next one (HRT-ROUTE-14).
    Unreachable,
}

impl Reach {
    /// The failover meaning of a decoded `Response` status (§10.4): `internal` and
    /// `rate_limited` make the route unreachable, as does `not_found` on a channel where this
    /// member made a successful request before (`held`: every route a member holds had one,
    /// its creation or its join). No answer, a transport error, an HTTP status other than 200
    /// or a body that is not a `Response` is [`Reach::Unreachable`] without a status.
    pub fn of_status(status: ErrorCode, held: bool) -> Self {
        if status == ErrorCode::OK {
            Self::Ok
        } else if status == ErrorCode::INTERNAL
            || status == ErrorCode::RATE_LIMITED
            || (held && status == ErrorCode::NOT_FOUND)
        {
            Self::Unreachable
        } else {
            Self::Refused(status)
        }
    }
}

/// What to do with a route announcement (a `RouteBody`, spec §10.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Announcement {
    /// Nothing: ignored (HRT-ROUTE-26), a route already held (HRT-ROUTE-10), or no invite for
    /// this member's leaf (HRT-ROUTE-8). No event (Appendix B §91.7).
    Ignore,
    /// Redeem this invitation (its URI text), the one listed for this member's leaf.
    Redeem(String),
}

/// Judges a route announcement opened in a channel of conversation `conversation`.
/// `my_leaf` is this member's leaf in the message's epoch (HRT-ROUTE-8), `sender` the
/// message's sender by the roster, `held` every route this member holds or is joining for the
/// conversation (HRT-ROUTE-10). An invite whose inviter is not the sender is refused with
/// `wrong_inviter` (HRT-ROUTE-7).
pub fn judge_announcement(
    body: &RouteBody,
    conversation: ConversationId,
    my_leaf: Leaf,
    sender: &Fingerprint,
    held: &[RouteRef],
) -> Result<Announcement, ErrorCode> {
    // HRT-ROUTE-26: another conversation's, or invites for another channel: ignored.
    if body.conversation != conversation {
        return Ok(Announcement::Ignore);
    }
    let consistent = body.invites.as_slice().iter().all(|ri| {
        let inv = ri.invite.value();
        inv.channel_id == body.channel_id
            && inv.conversation == body.conversation
            && inv.host_url == body.host_url
    });
    if !consistent {
        return Ok(Announcement::Ignore);
    }
    let link = RouteRef {
        host: body.host_url.clone(),
        channel: body.channel_id,
    };
    if held.contains(&link) {
        return Ok(Announcement::Ignore);
    }
    let Some(own) = body.invites.as_slice().iter().find(|ri| ri.leaf == my_leaf) else {
        return Ok(Announcement::Ignore);
    };
    let inv = own.invite.value();
    if inv.inviter_fpr.0 != sender.prefix() {
        return Err(ErrorCode::WRONG_INVITER);
    }
    Ok(InviteUri::new(inv.clone())
        .ok()
        .map_or(Announcement::Ignore, |u| {
            Announcement::Redeem(u.to_string())
        }))
}

/// The sort key of a displayed message in the merged timeline (HRT-ROUTE-20): `sent_at_ms`,
/// then the route's position in the route list, then `seq`.
pub fn timeline_key(sent_at_ms: u64, route_position: usize, seq: u64) -> (u64, usize, u64) {
    (sent_at_ms, route_position, seq)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
