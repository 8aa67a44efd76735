use super::*;
use hearth_wire::{ChannelId, HostUrl};
use proptest::prelude::*;

fn route(n: u8) -> RouteRef {
    RouteRef {
        host: HostUrl::new("https://host.example").expect("url"),
        channel: ChannelId([n; 16]),
    }
}

fn fp(n: u8) -> Fingerprint {
    Fingerprint::from_bytes([n; 32])
}

fn mref(n: u8) -> Hash {
    Hash([n; 32])
}

/// One message of the tests: (seq, sender, msg-ref, kind), all on `route(0)`.
fn add(t: &mut Timeline, seq: u64, sender: u8, kind: Kind) {
    t.add(&route(0), 0, seq, fp(sender), mref(seq as u8), seq, kind);
}

fn shown(t: &Timeline) -> Vec<(u64, Option<&str>, bool)> {
    t.items()
        .iter()
        .map(|d| {
            let edited = matches!(d.shown, Shown::Text { edited: true, .. });
            (d.seq, d.text(), edited)
        })
        .collect()
}

fn text(s: &str) -> Kind {
    Kind::Text(s.to_owned())
}

fn edit(target: u8, s: &str) -> Kind {
    Kind::Edit {
        target: mref(target),
        text: s.to_owned(),
    }
}

fn delete(target: u8) -> Kind {
    Kind::Delete {
        target: mref(target),
    }
}

#[test]
fn the_last_edit_of_the_sender_is_shown_in_place_and_no_edit_is_an_item() {
    let mut t = Timeline::default();
    add(&mut t, 1, 1, text("hello"));
    add(&mut t, 2, 1, text("second"));
    add(&mut t, 3, 1, edit(1, "hello, edited"));
    add(&mut t, 4, 1, edit(1, "hello, edited twice"));
    assert_eq!(
        shown(&t),
        [
            (1, Some("hello, edited twice"), true),
            (2, Some("second"), false)
        ]
    );
}

#[test]
fn an_edit_or_delete_by_another_member_changes_nothing() {
    let mut t = Timeline::default();
    add(&mut t, 1, 1, text("mine"));
    add(&mut t, 2, 2, edit(1, "not yours"));
    add(&mut t, 3, 2, delete(1));
    assert_eq!(shown(&t), [(1, Some("mine"), false)]);
    assert!(t.pending().is_empty());
}

#[test]
fn a_delete_leaves_a_marker_without_text_or_edits() {
    let mut t = Timeline::default();
    add(&mut t, 1, 1, text("secret"));
    add(&mut t, 2, 1, edit(1, "still secret"));
    add(&mut t, 3, 1, delete(1));
    add(&mut t, 4, 1, edit(1, "after the delete"));
    assert_eq!(shown(&t), [(1, None, false)]);
    assert_eq!(t.items()[0].shown, Shown::Deleted);
    assert_eq!(t.items()[0].sender, fp(1));
}

#[test]
fn an_edit_of_a_message_that_is_not_text_is_ignored() {
    let mut t = Timeline::default();
    add(&mut t, 1, 1, Kind::Unsupported);
    add(&mut t, 2, 1, edit(1, "now text?"));
    assert_eq!(shown(&t), [(1, None, false)]);
    assert_eq!(t.items()[0].shown, Shown::Unsupported);
    add(&mut t, 3, 1, delete(1));
    assert_eq!(t.items()[0].shown, Shown::Deleted);
}

#[test]
fn unsupported_content_is_one_item_naming_its_sender() {
    let mut t = Timeline::default();
    add(&mut t, 1, 2, Kind::Unsupported);
    add(&mut t, 2, 2, Kind::Silent);
    assert_eq!(t.items().len(), 1);
    assert_eq!(t.items()[0].sender, fp(2));
    assert_eq!(t.items()[0].text(), None);
}

#[test]
fn an_edit_before_its_target_is_kept_aside_and_applied_when_it_arrives() {
    let mut t = Timeline::default();
    add(&mut t, 2, 1, edit(1, "edited early"));
    assert!(shown(&t).is_empty());
    assert_eq!(t.pending().len(), 1);
    add(&mut t, 1, 1, text("original"));
    assert_eq!(shown(&t), [(1, Some("edited early"), true)]);
    assert!(t.pending().is_empty());
}

#[test]
fn an_edit_applies_only_in_its_own_channel() {
    let mut t = Timeline::default();
    add(&mut t, 1, 1, text("here"));
    t.add(
        &route(9),
        1,
        2,
        fp(1),
        mref(2),
        2,
        edit(1, "from elsewhere"),
    );
    assert_eq!(shown(&t), [(1, Some("here"), false)]);
    assert_eq!(t.pending().len(), 1);
}

/// One generated message: sender 1 or 2; a text, or an edit/delete of message `target`.
#[derive(Clone, Debug)]
enum Op {
    Text(u8),
    Edit(u8, u8),
    Delete(u8, u8),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        (1u8..3).prop_map(Op::Text),
        (1u8..3, 0u8..12).prop_map(|(s, t)| Op::Edit(s, t)),
        (1u8..3, 0u8..12).prop_map(|(s, t)| Op::Delete(s, t)),
    ];
    prop::collection::vec(op, 0..12)
}

fn kind_of(i: usize, op: &Op) -> (u8, Kind) {
    match op {
        Op::Text(s) => (*s, text(&format!("text {i}"))),
        Op::Edit(s, t) => (*s, edit(*t, &format!("edit {i}"))),
        Op::Delete(s, t) => (*s, delete(*t)),
    }
}

/// The reference meaning of a log (msg-ref of message i = i): per text, deleted if any delete
/// by its sender names it, else the text of the last edit by its sender in log order.
fn model(log: &[Op]) -> Vec<(u64, Option<String>, bool)> {
    let mut out = Vec::new();
    for (i, op) in log.iter().enumerate() {
        let Op::Text(s) = op else { continue };
        let own = |t: &u8, by: &u8| usize::from(*t) == i && by == s;
        let deleted = log
            .iter()
            .any(|o| matches!(o, Op::Delete(by, t) if own(t, by)));
        let last = log
            .iter()
            .enumerate()
            .rfind(|(_, o)| matches!(o, Op::Edit(by, t) if own(t, by)))
            .map(|(j, _)| format!("edit {j}"));
        out.push(match (deleted, last) {
            (true, _) => (i as u64, None, false),
            (false, Some(e)) => (i as u64, Some(e), true),
            (false, None) => (i as u64, Some(format!("text {i}")), false),
        });
    }
    out
}

proptest! {
    /// Opening the messages of a log in any order gives the timeline of the log read in order
    /// (edits and deletes kept aside until their target arrives, §7.8); another member's edits
    /// and deletes change nothing (HRT-MSG-34, HRT-MSG-35).
    #[test]
    fn any_arrival_order_gives_the_log_order_timeline(
        log in ops(),
        order in any::<prop::sample::Index>(),
        swaps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..8),
    ) {
        let mut idx: Vec<usize> = (0..log.len()).collect();
        if !idx.is_empty() {
            let n = order.index(idx.len());
            idx.rotate_left(n);
            for (a, b) in &swaps {
                let (a, b) = (a.index(idx.len()), b.index(idx.len()));
                // Edits and deletes keep their relative log order (one route is read in order);
                // only their position relative to texts moves.
                let edit_like = |i: usize| !matches!(log[i], Op::Text(_));
                if !(edit_like(idx[a]) && edit_like(idx[b])) {
                    idx.swap(a, b);
                }
            }
        }
        // Restore the log order among edits and deletes.
        let mut changes: Vec<usize> = idx.iter().copied().filter(|&i| !matches!(log[i], Op::Text(_))).collect();
        changes.sort_unstable();
        let mut it = changes.into_iter();
        for slot in idx.iter_mut() {
            if !matches!(log[*slot], Op::Text(_)) {
                *slot = it.next().unwrap_or(*slot);
            }
        }
        let mut t = Timeline::default();
        for &i in &idx {
            let (s, k) = kind_of(i, &log[i]);
            t.add(&route(0), 0, i as u64, fp(s), mref(i as u8), i as u64, k);
        }
        let mut got: Vec<(u64, Option<String>, bool)> = t
            .items()
            .iter()
            .map(|d| (d.seq, d.text().map(str::to_owned), matches!(d.shown, Shown::Text { edited: true, .. })))
            .collect();
        got.sort_by_key(|g| g.0);
        prop_assert_eq!(got, model(&log));
    }
}
