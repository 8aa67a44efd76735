//! What the client shows of a conversation's messages (spec §7.8, "What a receiver shows"):
//! one item per shown message at that message's place, edits and deletes applied to their
//! targets and never shown on their own, content the client does not implement shown as one
//! item without its body. Sans-IO: the client feeds it the messages it opened, in log order
//! per route, and reads the items back.

use super::RouteRef;
use hearth_crypto::keys::Fingerprint;
use hearth_wire::envelope::ContentBody;
use hearth_wire::Hash;

/// What one opened message means to the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A text message (type 0): an item showing the text.
    Text(String),
    /// An edit (type 3) of `target` (HRT-MSG-34, HRT-MSG-46): never an item.
    Edit {
        /// The edited message.
        target: Hash,
        /// The new text.
        text: String,
    },
    /// A delete (type 4) of `target` (HRT-MSG-35, HRT-MSG-47): never an item.
    Delete {
        /// The retracted message.
        target: Hash,
    },
    /// Content this client does not show (an attachment, a type it does not implement,
    /// HRT-MSG-37, HRT-MSG-48): an item naming its sender, without the body.
    Unsupported,
    /// Content processed elsewhere or not shown (reactions, receipts, profiles, routes): no item.
    Silent,
}

impl Kind {
    /// The meaning of a typed body.
    pub fn of(body: &ContentBody) -> Kind {
        match body {
            ContentBody::Text(t) => Kind::Text(t.text.as_str().to_owned()),
            ContentBody::Edit(e) => Kind::Edit {
                target: e.target,
                text: e.text.as_str().to_owned(),
            },
            ContentBody::Delete(d) => Kind::Delete { target: d.target },
            ContentBody::Attachment(_) | ContentBody::Unknown(..) => Kind::Unsupported,
            ContentBody::Reaction(_)
            | ContentBody::Receipt(_)
            | ContentBody::Profile(_)
            | ContentBody::Route(_) => Kind::Silent,
        }
    }
}

/// What an item shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A text, `edited` when an edit applied (HRT-MSG-46).
    Text {
        /// The text of the original message or of its last applicable edit.
        text: String,
        /// Whether an edit applied.
        edited: bool,
    },
    /// A deletion marker (HRT-MSG-47).
    Deleted,
    /// Content this client cannot show (HRT-MSG-48).
    Unsupported,
}

/// A message as the client displays it (HRT-ROUTE-20).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Displayed {
    /// The route that carried it.
    pub route: RouteRef,
    /// Its seq there (0 until this client has seen its own message in the log).
    pub seq: u64,
    /// The sender.
    pub sender: Fingerprint,
    /// What is shown.
    pub shown: Shown,
    /// The sender's clock.
    pub sent_at_ms: u64,
    /// Its msg-ref (spec §7.7).
    pub msg_ref: Hash,
    /// The route's position in the conversation's route list (HRT-ROUTE-20).
    pub position: usize,
}

impl Displayed {
    /// The text shown, `None` for a deletion marker or unsupported content (§91.6.9).
    pub fn text(&self) -> Option<&str> {
        match &self.shown {
            Shown::Text { text, .. } => Some(text),
            Shown::Deleted | Shown::Unsupported => None,
        }
    }
}

/// An edit or delete whose target has not been opened yet: kept aside, never shown (§7.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The route that carried it (an edit or delete applies in its own channel only).
    pub route: RouteRef,
    /// Its sender.
    pub sender: Fingerprint,
    /// The target.
    pub target: Hash,
    /// The edit's text, `None` for a delete.
    pub text: Option<String>,
}

/// A conversation's timeline: the items, and the edits and deletes kept aside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The items, in the order they were added.
    pub items: Vec<Displayed>,
    /// The edits and deletes whose target has not been opened yet.
    pub pending: Vec<Pending>,
}

impl Timeline {
    /// The items, in the order they were added.
    pub fn items(&self) -> &[Displayed] {
        &self.items
    }

    /// The edits and deletes kept aside.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// Adds one opened message; messages of one route come in log order.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        route: &RouteRef,
        position: usize,
        seq: u64,
        sender: Fingerprint,
        msg_ref: Hash,
        sent_at_ms: u64,
        kind: Kind,
    ) {
        let shown = match kind {
            Kind::Silent => return,
            Kind::Edit { .. } | Kind::Delete { .. } if super::mutant::on("show-edits-as-items") => {
                match kind {
                    Kind::Edit { text, .. } => Shown::Text {
                        text,
                        edited: false,
                    },
                    _ => Shown::Deleted,
                }
            }
            Kind::Edit { target, text } => {
                self.change(route, sender, target, Some(text));
                return;
            }
            Kind::Delete { target } => {
                self.change(route, sender, target, None);
                return;
            }
            Kind::Unsupported if super::mutant::on("hide-unsupported") => return,
            Kind::Text(text) => Shown::Text {
                text,
                edited: false,
            },
            Kind::Unsupported => Shown::Unsupported,
        };
        self.items.push(Displayed {
            route: route.clone(),
            seq,
            sender,
            shown,
            sent_at_ms,
            msg_ref,
            position,
        });
        // What was kept aside for this message applies now, in log order.
        let (now, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| &p.route == route && p.target == msg_ref);
        self.pending = rest;
        for p in now {
            self.change(&p.route, p.sender, p.target, p.text);
        }
    }

    /// Applies an edit (`text`) or a delete (`None`) of `target`, or keeps it aside.
    fn change(
        &mut self,
        route: &RouteRef,
        sender: Fingerprint,
        target: Hash,
        text: Option<String>,
    ) {
        let Some(item) = self
            .items
            .iter_mut()
            .find(|d| &d.route == route && d.msg_ref == target)
        else {
            self.pending.push(Pending {
                route: route.clone(),
                sender,
                target,
                text,
            });
            return;
        };
        // Only the original sender's edits and deletes apply (HRT-MSG-34, HRT-MSG-35).
        if item.sender != sender {
            return;
        }
        match (text, &item.shown) {
            // A delete retracts a message of any type; nothing of it stays (HRT-MSG-47).
            (None, _) => item.shown = Shown::Deleted,
            // An edit applies to a text message only, the last one winning (HRT-MSG-46).
            (Some(text), Shown::Text { .. }) => item.shown = Shown::Text { text, edited: true },
            (Some(_), Shown::Deleted | Shown::Unsupported) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::indexing_slicing)]
mod tests;
