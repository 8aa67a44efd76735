//! A walkthrough of Hearth's group state machine, all in memory: Alice creates a channel and
//! an invitation, Bob joins from the invitation text, they exchange messages, Carol joins, Bob
//! is removed and can no longer read. The "host" is a `Vec` of log entries.
//!
//! Run with `cargo run --example walkthrough`.

use hearth::crypto::envelope::ContentBuilder;
use hearth::crypto::group::{Change, Group, PendingMember};
use hearth::crypto::invite;
use hearth::crypto::keys::IdentityKey;
use hearth::crypto::ProtocolError;
use hearth::wire::envelope::ContentBody;
use hearth::wire::request::PendingJoin;
use hearth::wire::{ConversationId, EntryKind, HostUrl, Leaf, Role, Secs};

/// The simulated host: an append-only log of (kind, bytes).
struct Host {
    log: Vec<(EntryKind, Vec<u8>)>,
}

impl Host {
    fn post(&mut self, kind: EntryKind, bytes: Vec<u8>) -> usize {
        self.log.push((kind, bytes));
        self.log.len()
    }
}

fn short(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn auth(g: &Group) -> String {
    g.epoch_authenticator()
        .map(|a| a.display_digits())
        .unwrap_or_else(|| "-".into())
}

/// Redeem, process the join, commit the add, deliver the Welcome: the whole join.
fn join(
    host: &mut Host,
    inviter: &mut Group,
    others: &mut [&mut Group],
    who: &str,
    identity: IdentityKey,
    now: u64,
) -> Result<Group, ProtocolError> {
    let draft =
        inviter.create_invitation(ConversationId([7; 16]), now + invite::DEFAULT_LIFETIME_SECS)?;
    // invite.create would be sent here; the host answers ok.
    let mut invitation = draft.registered();
    let uri = invitation.uri().map(|u| u.to_string()).unwrap_or_default();
    println!(
        "  invitation text ({} characters): {}...",
        uri.len(),
        uri.get(..60).unwrap_or(&uri)
    );
    let (mut pending, redeem): (PendingMember, _) = PendingMember::join(&uri, identity, who, now)?;
    println!(
        "  {who} parses it, seals a join request to the inviter and redeems it; {who}'s screen shows {}",
        pending.sas()
    );
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(now),
    };
    let joiner = invitation.process_join(&pj)?;
    println!(
        "  the inviter opens it: {} proposes the name {:?}, fingerprint {}; the inviter's screen shows {}",
        who,
        joiner.proposed_name(),
        joiner.fingerprint(),
        joiner.sas()
    );
    // The two people compare the codes (spec §5.8.1); here they match, and both confirm.
    if joiner.sas() != pending.sas() {
        return Err(ProtocolError::SasMismatch);
    }
    pending.confirm_sas();
    let out = inviter.commit(
        vec![Change::Add {
            joiner: Box::new(joiner.confirm_sas_matches()),
            role: Role::Member,
        }],
        now,
    )?;
    host.post(EntryKind::Commit, out.commit.clone());
    inviter.commit_accepted()?;
    for g in others.iter_mut() {
        g.process_commit(&out.commit)?;
    }
    let welcome = out
        .welcomes
        .first()
        .map(|w| w.1.clone())
        .unwrap_or_default();
    let g = pending
        .accept_welcome(
            &welcome,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            now,
        )
        .map_err(|e| e.error)?;
    println!(
        "  {who} accepts the Welcome (signed by the inviter's fingerprint) and is at epoch {}",
        ep(&g)
    );
    Ok(g)
}

fn say(
    host: &mut Host,
    from: &mut Group,
    name: &str,
    text: &str,
    now: u64,
) -> Result<Vec<u8>, ProtocolError> {
    let content = ContentBuilder::text(text)?.sent_at_ms(now * 1000).build();
    let env = from.seal(&content, now)?;
    host.post(EntryKind::Msg, env.bytes.clone());
    println!(
        "  {name} says {text:?} (generation {}, {} bytes on the wire)",
        env.generation,
        env.bytes.len()
    );
    Ok(env.bytes)
}

fn read(g: &mut Group, name: &str, env: &[u8]) {
    match g.open(env) {
        Ok(o) => {
            if let ContentBody::Text(t) = o.body {
                println!(
                    "  {name} reads {:?} from leaf {}",
                    t.text.as_str(),
                    o.sender.0
                );
            }
        }
        Err(e) => println!("  {name} cannot read it: {e}"),
    }
}

fn update(
    host: &mut Host,
    g: &mut Group,
    others: &mut [&mut Group],
    now: u64,
) -> Result<(), ProtocolError> {
    let out = g.commit(vec![], now)?;
    host.post(EntryKind::Commit, out.commit.clone());
    g.commit_accepted()?;
    for o in others.iter_mut() {
        o.process_commit(&out.commit)?;
    }
    Ok(())
}

fn main() -> Result<(), ProtocolError> {
    let mut host = Host { log: Vec::new() };
    let now = 1_700_000_000;
    let host_url = HostUrl::new("https://example.org/hearth").map_err(ProtocolError::from)?;

    println!("1. Alice creates a channel");
    let mut alice = Group::create(host_url, IdentityKey::generate(), now)?;
    println!(
        "  channel {}…, epoch {}",
        short(&alice.channel_id().0),
        ep(&alice)
    );
    println!("  Alice's fingerprint: {}", alice.fingerprint());

    println!("2. Alice invites Bob; Bob joins from the invitation text");
    let mut bob = join(
        &mut host,
        &mut alice,
        &mut [],
        "Bob",
        IdentityKey::generate(),
        now,
    )?;
    println!(
        "  Bob must update before he speaks: needs_update = {}",
        bob.needs_update(now)
    );
    update(&mut host, &mut bob, &mut [&mut alice], now)?;
    println!("  Bob commits an update; both at epoch {}", ep(&bob));
    println!("  epoch authenticator, Alice: {}", auth(&alice));
    println!("  epoch authenticator, Bob:   {}", auth(&bob));

    println!("3. Alice and Bob exchange messages");
    let m = say(&mut host, &mut alice, "Alice", "Hi Bob!", now)?;
    read(&mut bob, "Bob", &m);
    let m = say(&mut host, &mut bob, "Bob", "Hi Alice.", now)?;
    read(&mut alice, "Alice", &m);

    println!("4. Carol joins");
    let mut carol = join(
        &mut host,
        &mut alice,
        &mut [&mut bob],
        "Carol",
        IdentityKey::generate(),
        now,
    )?;
    update(&mut host, &mut carol, &mut [&mut alice, &mut bob], now)?;
    println!(
        "  epoch {}; authenticators: Alice {}, Bob {}, Carol {}",
        ep(&carol),
        auth(&alice),
        auth(&bob),
        auth(&carol)
    );
    let m = say(&mut host, &mut carol, "Carol", "Hello both", now)?;
    read(&mut alice, "Alice", &m);
    read(&mut bob, "Bob", &m);

    println!("5. Alice removes Bob");
    let out = alice.commit(vec![Change::Remove(Leaf(1))], now)?;
    host.post(EntryKind::Commit, out.commit.clone());
    alice.commit_accepted()?;
    carol.process_commit(&out.commit)?;
    let r = bob.process_commit(&out.commit)?;
    println!(
        "  Bob processes the commit: {r:?}; status {:?}",
        bob.status()
    );
    println!(
        "  Bob still holds secrets: {}",
        bob.held_secrets().epoch.is_some()
    );
    println!(
        "  epoch {}; authenticators: Alice {}, Carol {}",
        ep(&alice),
        auth(&alice),
        auth(&carol)
    );
    let m = say(&mut host, &mut alice, "Alice", "Bob is gone", now)?;
    read(&mut carol, "Carol", &m);
    read(&mut bob, "Bob", &m);

    println!("The host's log holds {} entries:", host.log.len());
    for (i, (kind, bytes)) in host.log.iter().enumerate() {
        println!("  seq {}: {:?}, {} bytes", i + 1, kind, bytes.len());
    }
    Ok(())
}

/// The epoch a member is at, for printing ("removed" once it has left the group).
fn ep(g: &Group) -> String {
    g.epoch()
        .map_or_else(|| "removed".to_owned(), |e| e.to_string())
}
