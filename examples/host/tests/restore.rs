//! A host restored from a backup (spec §8.9, HRT-INV-60, HRT-INV-61): the reference host
//! cannot know which invitations were redeemed after the copy was taken, so when its operator
//! marks the data directory with `RESTORED` it removes every unused invitation before it
//! serves again; a used one stays used, and the removed ids are never assigned again
//! (HRT-OP-61). Without the mark the restored host would accept a second redeem.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;

const DB_FILES: [&str; 3] = ["hearth.sqlite3", "hearth.sqlite3-wal", "hearth.sqlite3-shm"];

fn copy_db(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in DB_FILES {
        let _ = std::fs::remove_file(to.join(f));
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

#[test]
fn hrt_inv_61_restore_removes_unused_invitations() {
    let dir = TempDir::new("restore");
    let data = dir.path().join("data");
    let backup = dir.path().join("backup");
    let config = write_config(dir.path(), "[rate_limit]\nenabled = false\n");
    let alice = SigningKey::generate();
    let ch = random16();
    let (auth_x, x) = (SigningKey::generate(), random16());
    let (auth_y, y) = (SigningKey::generate(), random16());
    let st = |s: &Server, b: Vec<u8>| s.call(&b).status;
    let mut s = Server::start_with(&config, &[]);
    assert_eq!(
        st(&s, signed(&alice, 1, Some(ch), create_body(ch, &alice, 1))),
        ErrorCode::OK
    );
    for (auth, id) in [(&auth_x, x), (&auth_y, y)] {
        let b = invite_body(id, auth, now() + 3600);
        assert_eq!(st(&s, signed(&alice, 3, Some(ch), b)), ErrorCode::OK);
    }
    let redeem = |s: &Server, auth: &SigningKey, id| {
        let mk = SigningKey::generate();
        st(s, signed(auth, 5, Some(ch), redeem_body(ch, id, auth, &mk)))
    };
    assert_eq!(redeem(&s, &auth_y, y), ErrorCode::OK);
    // The operator's backup: Y used, X unused.
    s.kill();
    copy_db(&data, &backup);
    // After the backup, X is redeemed.
    let mut s = Server::start_with(&config, &[]);
    assert_eq!(redeem(&s, &auth_x, x), ErrorCode::OK);
    s.kill();

    // A restore without the mark: the host cannot know, and X looks unused again.
    copy_db(&backup, &data);
    let mut s = Server::start_with(&config, &[]);
    assert_eq!(redeem(&s, &auth_x, x), ErrorCode::OK);
    s.kill();

    // The restore done as §8.9 says: X is gone, Y stays used, X's id is not reusable.
    copy_db(&backup, &data);
    std::fs::write(data.join(hearth_host::store::RESTORED_MARKER), b"").unwrap();
    let s = Server::start_with(&config, &[]);
    assert_eq!(redeem(&s, &auth_x, x), ErrorCode::NOT_FOUND);
    assert_eq!(redeem(&s, &auth_y, y), ErrorCode::INVITE_USED);
    let again = invite_body(x, &SigningKey::generate(), now() + 3600);
    assert_eq!(
        st(&s, signed(&alice, 3, Some(ch), again)),
        ErrorCode::CONFLICT
    );
    assert!(!data.join(hearth_host::store::RESTORED_MARKER).exists());
    // A new invitation works as usual.
    let (auth_z, z) = (SigningKey::generate(), random16());
    let b = invite_body(z, &auth_z, now() + 3600);
    assert_eq!(st(&s, signed(&alice, 3, Some(ch), b)), ErrorCode::OK);
    assert_eq!(redeem(&s, &auth_z, z), ErrorCode::OK);
}
