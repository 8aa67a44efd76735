//! Issue 15 (spec §5.8.1): the comparisons of short authentication strings that wait for the
//! user's answer, in table `comparisons` (schema 3), and the confirmed joins whose add commit
//! has not gone through yet (a route's pending adds, `added = 1`).

use hearth::conversation::sas::Waiting;
use hearth_crypto::invite::{Sas, ValidatedJoin};
use hearth_wire::Nonce16;
use rusqlite::{params, Connection, Transaction};

use super::{arr16, corrupt, link, StoreError};
use crate::client::Client;

/// Loads the comparisons waiting for an answer, and the confirmed joins waiting for their add.
pub(super) fn load(db: &Connection, client: &mut Client) -> Result<(), StoreError> {
    let mut q = db.prepare(
        "SELECT invite, host, channel, conv, sas, join_state, added FROM comparisons ORDER BY rowid",
    )?;
    let rows = q.query_map([], |r| {
        Ok((
            r.get::<_, Option<Vec<u8>>>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, Option<Vec<u8>>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<Vec<u8>>>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    for row in rows {
        let (invite, host, channel, conv, sas, state, added) = row?;
        let link = link(&host, &channel)?;
        let invite = invite.as_deref().map(arr16).transpose()?.map(Nonce16);
        let conv = conv.as_deref().map(arr16).transpose()?;
        match (invite, conv, state, added) {
            (_, Some(conv), Some(state), 1) => {
                let join = ValidatedJoin::restore(&state)
                    .map_err(|e| StoreError::Corrupt(format!("confirmed join: {e}")))?;
                check_join(client, conv, &link, &join)?;
                let route = client
                    .conversations
                    .iter_mut()
                    .find(|c| c.handle == conv)
                    .and_then(|c| c.routes.iter_mut().find(|r| r.link == link))
                    .ok_or_else(|| corrupt("a confirmed join of no route"))?;
                // Confirmed by the user (or by identity, HRT-ROUTE-9) in an earlier run.
                route.pending_adds.push(join.confirm_sas_matches());
            }
            (Some(invite), Some(conv), Some(state), 0) => {
                let join = ValidatedJoin::restore(&state)
                    .map_err(|e| StoreError::Corrupt(format!("waiting join: {e}")))?;
                check_join(client, conv, &link, &join)?;
                client.sas.push(Waiting::inviter(link, conv, invite, join));
            }
            (Some(invite), None, None, 0) => {
                let sas = u32::try_from(sas)
                    .ok()
                    .and_then(Sas::from_value)
                    .ok_or_else(|| corrupt("sas"))?;
                client.sas.push(Waiting::joiner(link, invite, sas));
            }
            _ => return Err(corrupt("comparison")),
        }
    }
    Ok(())
}

/// A restored join belongs to the row it was read from: its channel is the row's route, and its
/// conversation id that of the row's conversation (issue 15); [`StoreError::Mismatch`] if not.
fn check_join(
    client: &Client,
    conv: [u8; 16],
    link: &crate::route::RouteRef,
    join: &ValidatedJoin,
) -> Result<(), StoreError> {
    let c = client
        .conversations
        .iter()
        .find(|c| c.handle == conv)
        .ok_or_else(|| corrupt("a join of no conversation"))?;
    if join.channel_id() != link.channel {
        return Err(StoreError::Mismatch(
            "a saved join is for another channel than its route".into(),
        ));
    }
    if join.conversation() != c.id {
        return Err(StoreError::Mismatch(
            "a saved join is for another conversation than its row".into(),
        ));
    }
    Ok(())
}

/// Writes the comparisons and the confirmed joins (the caller deleted the old rows).
pub(super) fn save(tx: &Transaction<'_>, client: &Client) -> Result<(), StoreError> {
    for w in client.sas.waiting() {
        let state = w
            .saved_join()
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("saving a waiting join: {e}")))?;
        tx.execute(
            "INSERT INTO comparisons (invite, host, channel, conv, sas, join_state, added) VALUES (?, ?, ?, ?, ?, ?, 0)",
            params![
                w.invite().0.as_slice(),
                w.route().host.as_str(),
                w.route().channel.0.as_slice(),
                w.conversation().map(|c| c.to_vec()),
                i64::from(w.sas().value()),
                state.as_ref().map(|s| s.as_bytes())
            ],
        )?;
    }
    for conv in &client.conversations {
        for route in &conv.routes {
            for c in &route.pending_adds {
                let state = c
                    .join()
                    .save()
                    .map_err(|e| StoreError::Corrupt(format!("saving a confirmed join: {e}")))?;
                tx.execute(
                    "INSERT INTO comparisons (invite, host, channel, conv, sas, join_state, added) VALUES (NULL, ?, ?, ?, ?, ?, 1)",
                    params![
                        route.link.host.as_str(),
                        route.link.channel.0.as_slice(),
                        conv.handle.as_slice(),
                        i64::from(c.join().sas().value()),
                        state.as_bytes()
                    ],
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{Store, TABLES, TO_2};
    use super::*;
    use crate::route::RouteRef;
    use hearth_wire::{ChannelId, HostUrl};

    /// Issue 15: a joiner's comparison waits in the state file between two runs, and a
    /// schema-2 file gains the table.
    #[test]
    fn a_waiting_comparison_survives_a_restart_and_schema_2_migrates() {
        let path = std::env::temp_dir().join(format!("hearth-store-sas-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(TABLES).unwrap();
            db.execute_batch(TO_2).unwrap();
            db.pragma_update(None, "user_version", 2).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let mut c = Client::generate("Bob");
        let link = RouteRef {
            host: HostUrl::new("https://example.org/").unwrap(),
            channel: ChannelId([1; 16]),
        };
        let sas = Sas::from_value(42_917).unwrap();
        c.sas
            .push(Waiting::joiner(link.clone(), Nonce16([5; 16]), sas));
        store.save(&c).unwrap();
        drop(store);
        let back = Store::open(&path).unwrap().load().unwrap().unwrap();
        let w = back.comparisons();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].sas(), sas);
        assert_eq!(w[0].invite(), Nonce16([5; 16]));
        assert_eq!(w[0].route(), &link);
        assert!(!w[0].is_inviter());
        let _ = std::fs::remove_file(&path);
    }

    /// Issue 15: a waiting join read back from a row of another route is refused with a typed
    /// error, not shown with the wrong channel.
    #[test]
    fn a_saved_join_of_another_channel_is_refused() {
        use crate::client::Conversation;
        use hearth_crypto::group::{Group, PendingMember};
        use hearth_crypto::keys::IdentityKey;
        use hearth_wire::request::PendingJoin;
        use hearth_wire::{ConversationId, Secs};
        let path = std::env::temp_dir().join(format!("hearth-store-sas-mm-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let host = HostUrl::new("https://example.org/h").unwrap();
        let mut g = Group::create(host.clone(), IdentityKey::from_seed(&[1; 32]), 0).unwrap();
        let channel = *g.channel_id();
        let mut inv = g
            .create_invitation(ConversationId(channel.0), u64::MAX / 2)
            .unwrap()
            .registered();
        let uri = inv.uri().unwrap().to_string();
        let (_, redeem) =
            PendingMember::join(&uri, IdentityKey::from_seed(&[3; 32]), "Bob", 10).unwrap();
        let pj = PendingJoin {
            invite_id: redeem.body.invite_id,
            member_key: redeem.body.member_key,
            sealed: redeem.body.sealed.clone(),
            redeemed_at: Secs(11),
        };
        let vj = inv.process_join(&pj).unwrap();
        let mut c = Client::generate("Alice");
        c.conversations
            .push(Conversation::new(channel.0, ConversationId(channel.0)));
        let other = RouteRef {
            host,
            channel: ChannelId([9; 16]),
        };
        c.sas
            .push(Waiting::inviter(other, channel.0, pj.invite_id, vj));
        let mut store = Store::open(&path).unwrap();
        store.save(&c).unwrap();
        drop(store);
        let back = Store::open(&path).unwrap().load();
        assert!(
            matches!(back, Err(StoreError::Mismatch(_))),
            "{:?}",
            back.err()
        );
        let _ = std::fs::remove_file(&path);
    }
}
