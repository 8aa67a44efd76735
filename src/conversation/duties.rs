//! A member's timed duties in one channel (spec §6.17, issue 16): when a commit of its own is
//! due whether or not it sends (HRT-RAT-19, HRT-RAT-20), and when that commit has to carry a
//! `RotateOp` of its member key (HRT-RAT-21). Sans-IO: the caller gives the time by its local
//! clock and the time its current member key was installed, and posts what is due.

use hearth_crypto::group::{Change, Group};
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::Status;
use hearth_wire::{Leaf, Role};

/// A member key is rotated once it has been in use for more than this (HRT-RAT-21): 30 days.
pub const ROTATE_AFTER_SECS: u64 = 30 * 24 * 3600;

/// What a member owes a channel at a refresh.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// A commit of its own is due (HRT-RAT-20; also HRT-RAT-16/17/18/19 and a left member,
    /// as [`Group::needs_update`] says).
    pub commit: bool,
    /// Its next commit carries a `RotateOp` (HRT-RAT-21).
    pub rotate: bool,
}

impl Due {
    /// The duties of `group` at `now` (seconds, local clock), its member key installed at
    /// `key_since` (for the creator, the channel's creation; for a joiner, its join; else the
    /// commit that rotated it). A rotation that is due makes a commit due too.
    pub fn at(group: &Group, key_since: u64, now: u64) -> Self {
        let rotate = rotation_due(key_since, now);
        Self {
            commit: rotate || group.needs_update(now),
            rotate,
        }
    }

    /// `changes` with the `RotateOp` this duty asks for added, once (HRT-RAT-21: at most one
    /// `RotateOp` per commit, HRT-OP rule 2 of §6.6).
    pub fn apply(&self, mut changes: Vec<Change>) -> Vec<Change> {
        if self.rotate && !changes.iter().any(|c| matches!(c, Change::RotateMemberKey)) {
            changes.push(Change::RotateMemberKey);
        }
        changes
    }
}

/// Whether a member key installed at `key_since` has been in use for more than 30 days at
/// `now` (HRT-RAT-21). A clock that went back counts as no time passed.
pub fn rotation_due(key_since: u64, now: u64) -> bool {
    now.saturating_sub(key_since) > ROTATE_AFTER_SECS
}

/// A member whose latest commit the host received more than this before an admin's refresh
/// is removed by that admin (HRT-RAT-22): 30 days.
pub const AWAY_AFTER_SECS: u64 = 30 * 24 * 3600;

/// The members an admin of `group` removes at `now` (HRT-RAT-22): each member other than
/// itself, not left, whose most recent commit the admin verified (`last_commit`, the host's
/// receive time) is more than 30 days old. A member of whom the admin verified no commit (its
/// join before the admin's anchor) is not judged. Empty for a member that is not an admin.
/// `(fingerprint, leaf, received)`.
pub fn away(
    group: &Group,
    last_commit: &[(Fingerprint, u64)],
    now: u64,
) -> Vec<(Fingerprint, Leaf, u64)> {
    let members = group.members();
    let me = group.my_leaf();
    let admin = members
        .iter()
        .any(|m| m.leaf == me && m.role == Role::Admin);
    if !admin
        || group.status() != Status::Active
        || crate::conversation::mutant::on("keep-away-members")
    {
        return Vec::new();
    }
    members
        .iter()
        .filter(|m| m.leaf != me && !m.left)
        .filter_map(|m| {
            let (_, t) = last_commit.iter().find(|(f, _)| *f == m.fingerprint)?;
            (now.saturating_sub(*t) > AWAY_AFTER_SECS).then_some((m.fingerprint, m.leaf, *t))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_due_strictly_after_30_days() {
        assert!(!rotation_due(1000, 1000 + ROTATE_AFTER_SECS));
        assert!(rotation_due(1000, 1000 + ROTATE_AFTER_SECS + 1));
        assert!(!rotation_due(5000, 10));
    }

    #[test]
    fn apply_adds_one_rotate_op() {
        let d = Due {
            commit: true,
            rotate: true,
        };
        let once = d.apply(Vec::new());
        assert_eq!(once.len(), 1);
        assert_eq!(d.apply(once).len(), 1);
        assert!(Due::default().apply(Vec::new()).is_empty());
    }

    #[test]
    fn a_silent_creator_owes_a_commit_after_7_days_and_a_rotation_after_30() {
        let host = hearth_wire::HostUrl::new("https://example.org/hearth").unwrap();
        let t = 1_000_000;
        let g = Group::create(host, hearth_crypto::keys::IdentityKey::generate(), t).unwrap();
        let week = hearth_crypto::group::UPDATE_AFTER_SECS;
        assert_eq!(Due::at(&g, t, t + week), Due::default());
        let d = Due::at(&g, t, t + week + 1);
        assert!(d.commit && !d.rotate);
        let d = Due::at(&g, t, t + ROTATE_AFTER_SECS + 1);
        assert!(d.commit && d.rotate);
        // A key rotated later counts from its own installation.
        let d = Due::at(&g, t + week, t + ROTATE_AFTER_SECS + 1);
        assert!(d.commit && !d.rotate);
    }
}
