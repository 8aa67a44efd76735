//! Replays the committed fuzz inputs of the `restore_state` target (`fuzz/corpus/restore_state`,
//! `fuzz/artifacts-committed/restore_state`) on stable Rust: restoring never panics, and what
//! restores saves back to the same bytes.
//!
//! `HEARTH_WRITE_CORPUS=1 cargo test -p hearth-crypto --test saved_state_corpus` writes the seed
//! corpus: saved states of a creator, a joiner, a removed member, a pending joiner and open and
//! used invitations, all made through the public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::invite::Invitation;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::request::PendingJoin;
use hearth_wire::{ConversationId, HostUrl, Leaf, Role, Secs};

fn dirs() -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    vec![
        fuzz.join("corpus/restore_state"),
        fuzz.join("artifacts-committed/restore_state"),
    ]
}

fn check(data: &[u8]) {
    if let Ok(g) = Group::restore(data) {
        assert_eq!(g.save().unwrap().as_bytes(), data);
    }
    if let Ok(p) = PendingMember::restore(data) {
        assert_eq!(p.save().unwrap().as_bytes(), data);
    }
    if let Ok(i) = Invitation::restore(data) {
        assert_eq!(i.save().unwrap().as_bytes(), data);
    }
}

#[test]
fn replay_committed_restore_inputs() {
    if std::env::var_os("HEARTH_WRITE_CORPUS").is_some() {
        write_seeds();
    }
    let mut n = 0;
    for d in dirs() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_file() && p.file_name().is_some_and(|f| f != ".gitkeep") {
                check(&fs::read(&p).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 0, "no committed restore_state corpus");
}

fn write_seeds() {
    let now = 1_700_000_000;
    let host = HostUrl::new("https://hearth.example/").unwrap();
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut alice = Group::create(host, IdentityKey::generate(), now).unwrap();
    seeds.push(("creator-epoch0", alice.save().unwrap().as_bytes().to_vec()));
    let draft = alice
        .create_invitation(ConversationId([1; 16]), now + 3600)
        .unwrap();
    let mut invitation = draft.registered();
    seeds.push((
        "invitation-open",
        invitation.save().unwrap().as_bytes().to_vec(),
    ));
    let uri = invitation.uri().unwrap().to_string();
    let (mut pending, redeem) =
        PendingMember::join(&uri, IdentityKey::generate(), "Bob", now).unwrap();
    seeds.push((
        "pending-member",
        pending.save().unwrap().as_bytes().to_vec(),
    ));
    pending.confirm_sas();
    seeds.push((
        "pending-member-confirmed",
        pending.save().unwrap().as_bytes().to_vec(),
    ));
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(now),
    };
    let joiner = invitation.process_join(&pj).unwrap();
    seeds.push((
        "invitation-used",
        invitation.save().unwrap().as_bytes().to_vec(),
    ));
    let out = alice
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            now,
        )
        .unwrap();
    seeds.push((
        "creator-pending-commit",
        alice.save().unwrap().as_bytes().to_vec(),
    ));
    alice.commit_accepted().unwrap();
    let mut bob = pending
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            now,
        )
        .unwrap();
    seeds.push((
        "joiner-needs-update",
        bob.save().unwrap().as_bytes().to_vec(),
    ));
    let up = bob.commit(vec![], now).unwrap();
    bob.commit_accepted().unwrap();
    alice.process_commit(&up.commit).unwrap();
    for i in 0..3 {
        let c = ContentBuilder::text(&format!("m{i}")).unwrap().build();
        let env = alice.seal(&c, now).unwrap();
        if i != 1 {
            bob.open(&env.bytes).unwrap();
        }
    }
    seeds.push((
        "joiner-after-messages",
        bob.save().unwrap().as_bytes().to_vec(),
    ));
    let rm = alice.commit(vec![Change::Remove(Leaf(1))], now).unwrap();
    alice.commit_accepted().unwrap();
    bob.process_commit(&rm.commit).unwrap();
    seeds.push(("removed-member", bob.save().unwrap().as_bytes().to_vec()));
    seeds.push((
        "creator-after-remove",
        alice.save().unwrap().as_bytes().to_vec(),
    ));
    let dir = &dirs()[0];
    fs::create_dir_all(dir).unwrap();
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).unwrap();
    }
}
