//! The conformance shim (spec Appendix B): the reference client behind the versioned JSON-lines
//! protocol that `hearth-conformance client --shim` speaks. One command in, one answer out.

use hearth_crypto::keys::Fingerprint;
use hearth_wire::{ChannelId, ErrorCode, HostUrl};
use serde_json::{json, Map, Value};

use crate::client::{Client, Event};
use crate::error::ClientError;
use crate::route::RouteRef;

/// The longest request line accepted (Appendix B, HRT-SHIM-2).
pub const MAX_LINE: usize = 1 << 20;

/// Runs the shim on standard input and output until `shutdown` or end of input (Appendix B):
/// one request line in, one answer line out, flushed; diagnostics on standard error only.
pub fn run_stdio() -> std::process::ExitCode {
    use std::io::{BufRead, Read, Write};
    use std::process::ExitCode;
    let mut shim = Shim::default();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = String::new();
    loop {
        line.clear();
        match input
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)
        {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(n) if n > MAX_LINE => {
                eprintln!("hearth-shim: request line over {MAX_LINE} bytes");
                return ExitCode::from(2);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("hearth-shim: reading stdin: {e}");
                return ExitCode::from(2);
            }
        }
        let answer = shim.handle_line(line.trim_end_matches(['\n', '\r']));
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::from(2);
        }
        if shim.done {
            return ExitCode::SUCCESS;
        }
    }
}

/// The shim protocol version this shim speaks.
pub const VERSION: u64 = 1;

/// The commands this shim implements (its `hello` capabilities).
pub const CAPABILITIES: &[&str] = &[
    "hello",
    "identity.create",
    "channel.create",
    "invite.create",
    "invite.accept",
    "sync",
    "send",
    "commit",
    "display",
    "conversations",
    "held_secrets",
    "route.add",
    "sas.confirm",
    "clock.set",
    "shutdown",
];

/// Whether the shim lists (and implements) command `c`.
fn listed(c: &str) -> bool {
    // MUTANT no-sas-confirm (HRT-SHIM-38): invitation commands without `sas.confirm`.
    CAPABILITIES.contains(&c) && !(c == "sas.confirm" && crate::mutant::on("no-sas-confirm"))
}

/// One shim session: at most one identity, and the client it drives.
#[derive(Default)]
pub struct Shim {
    client: Option<Client>,
    greeted: bool,
    /// Events of a `sync` that another command ran first (the `refresh-before-send` variant),
    /// reported at the start of the next `sync` answer (Appendix B §91.7).
    held: Vec<Value>,
    /// The invitations made or accepted with `compare: true` (Appendix B §91.6.14): their
    /// comparisons wait for `sas.confirm`, and only their `sas` events are reported.
    compare: Compared,
    /// Set by `shutdown`: the caller exits after writing the answer.
    pub done: bool,
}

/// The invite ids under `compare: true`, shared with the client's [`ShimPolicy`].
type Compared = std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<[u8; 16]>>>;

fn compared(set: &Compared, invite: &[u8; 16]) -> bool {
    set.lock().is_ok_and(|s| s.contains(invite))
}

/// The shim's user (Appendix B §91.6.4, §91.6.14): it accepts every join at once, as if it had
/// compared the codes and found them equal, except for the invitations under `compare: true`,
/// whose answer comes from `sas.confirm`.
struct ShimPolicy(Compared);

impl crate::client::Comparison for ShimPolicy {
    fn available(&self) -> bool {
        true
    }
    fn codes_match(&mut self, check: &crate::client::SasCheck) -> Option<bool> {
        (!compared(&self.0, &check.invite)).then_some(true)
    }
}

/// What a command produced, before it is framed as an answer.
enum Answer {
    Ok(Value),
    Error(ErrorCode, String),
    Unsupported,
    Failed(String),
}

impl From<ClientError> for Answer {
    fn from(e: ClientError) -> Self {
        // A frozen route is not a refusal with a code of its own (Appendix B §91.6.7, §91.6.8).
        if matches!(e, ClientError::Frozen(_)) {
            return Answer::Failed(e.to_string());
        }
        match e.code() {
            Some(c) => Answer::Error(c, e.to_string()),
            None => Answer::Failed(e.to_string()),
        }
    }
}

impl Shim {
    /// Handles one request line and returns the answer line (without the newline).
    pub fn handle_line(&mut self, line: &str) -> String {
        let (id, answer) = match serde_json::from_str::<Value>(line) {
            Ok(v) => {
                let id = v.get("id").cloned().unwrap_or(Value::Null);
                (id, self.dispatch(&v))
            }
            Err(e) => (Value::Null, Answer::Failed(format!("not JSON: {e}"))),
        };
        let framed = match answer {
            Answer::Ok(v) => json!({"id": id, "ok": v}),
            Answer::Error(c, m) => json!({"id": id, "error": {
                "code": c.name().unwrap_or("unknown"), "number": c.0, "message": m}}),
            Answer::Unsupported => json!({"id": id, "unsupported": {}}),
            Answer::Failed(m) => json!({"id": id, "failed": {"message": m}}),
        };
        framed.to_string()
    }

    fn dispatch(&mut self, v: &Value) -> Answer {
        let cmd = v.get("cmd").and_then(Value::as_str).unwrap_or("");
        let empty = Map::new();
        let args = v.get("args").and_then(Value::as_object).unwrap_or(&empty);
        if cmd != "hello" && !self.greeted && listed(cmd) {
            return Answer::Failed("hello must come first".into());
        }
        if v.get("v").and_then(Value::as_u64) != Some(VERSION) && cmd != "hello" {
            return Answer::Failed(format!(
                "unsupported protocol version; this shim speaks {VERSION}"
            ));
        }
        let r = match cmd {
            "hello" => self.hello(args),
            "identity.create" => self.identity(args),
            "shutdown" => {
                self.done = true;
                Ok(json!({}))
            }
            c if listed(c) => match self.client.as_mut() {
                Some(client) => {
                    // VARIANT refresh-before-send (correct, Appendix B §91.6.7): a client may
                    // refresh its routes before it sends; the events wait for the next sync.
                    if c == "send" && crate::mutant::on("refresh-before-send") {
                        let ev = client.sync();
                        self.held.extend(reported(&self.compare, &ev));
                    }
                    let mut r = run(client, c, args, &self.compare);
                    if let ("sync", Ok(Value::Object(m))) = (c, &mut r) {
                        if let Some(Value::Array(events)) = m.get_mut("events") {
                            let mut all = std::mem::take(&mut self.held);
                            all.append(events);
                            *events = all;
                        }
                    }
                    r
                }
                None => Err(Answer::Failed("identity.create must come first".into())),
            },
            // HRT-CONF-5: anything else is explicitly unsupported.
            _ => return Answer::Unsupported,
        };
        match r {
            Ok(v) => Answer::Ok(v),
            Err(a) => a,
        }
    }

    fn hello(&mut self, args: &Map<String, Value>) -> Result<Value, Answer> {
        let offered = args
            .get("versions")
            .and_then(Value::as_array)
            .ok_or_else(|| Answer::Failed("hello needs versions".into()))?;
        if !offered.iter().any(|x| x.as_u64() == Some(VERSION)) {
            return Err(Answer::Failed(format!(
                "no common version; this shim speaks {VERSION}"
            )));
        }
        self.greeted = true;
        Ok(json!({
            "version": VERSION,
            "implementation": concat!("hearth-client ", env!("CARGO_PKG_VERSION")),
            "capabilities": CAPABILITIES.iter().filter(|c| listed(c)).collect::<Vec<_>>(),
        }))
    }

    fn identity(&mut self, args: &Map<String, Value>) -> Result<Value, Answer> {
        if self.client.is_some() {
            return Err(Answer::Failed("this shim already has an identity".into()));
        }
        let name = args.get("name").and_then(Value::as_str).unwrap_or("");
        let mut c = Client::generate(name);
        // Appendix B §91.6.4: the shim's user accepts every join (but see §91.6.14).
        c.set_comparison(Box::new(ShimPolicy(self.compare.clone())));
        // HRT-SHIM-6: a host silent for 5 s is unreachable, well inside the harness's wait.
        c.set_timeout(std::time::Duration::from_secs(5));
        // Hosts with a private CA (not part of the shim protocol: the harness's own hosts are on
        // loopback over http): $HEARTH_CA_FILE.
        c.set_trust(crate::tls::Trust::from_env().map_err(|e| Answer::Failed(e.to_string()))?);
        let out = json!({
            "identity_key": hex::encode(c.identity_public().as_bytes()),
            "fingerprint": hex::encode(c.fingerprint().as_bytes()),
        });
        self.client = Some(c);
        Ok(out)
    }
}

/// The events the shim reports (§91.7): `sas` events only for invitations under `compare`.
fn reported(compare: &Compared, events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| match e {
            Event::Sas { invite, .. } => compared(compare, invite),
            // The client's own commit was refused: no event (§91.7).
            Event::AddRefused { .. } => false,
            // HRT-RAT-22: the removal's commit is what a peer sees; Appendix B has no event.
            Event::Away { .. } => false,
            _ => true,
        })
        .map(event_json)
        .collect()
}

/// The optional `compare` argument (Appendix B §91.6.14); `failed` when it is not a boolean.
fn compare_arg(a: &Map<String, Value>) -> Result<bool, Answer> {
    match a.get("compare") {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Answer::Failed("`compare` must be true or false".into())),
    }
}

fn mark(compare: &Compared, invite: [u8; 16]) {
    if let Ok(mut s) = compare.lock() {
        s.insert(invite);
    }
}

fn run(
    client: &mut Client,
    cmd: &str,
    a: &Map<String, Value>,
    compare: &Compared,
) -> Result<Value, Answer> {
    Ok(match cmd {
        "channel.create" => {
            let host = host_arg(a, "host")?;
            let (conv, route) = client.create_channel(&host)?;
            json!({"conversation": hex::encode(conv), "route": route_json(&route)})
        }
        "invite.create" => {
            let conv = id16(a, "conversation")?;
            // 1 s to 30 days (Appendix B §91.6.4, spec §5.5); anything else is `failed`.
            let expires_in = a
                .get("expires_in")
                .and_then(Value::as_u64)
                .filter(|s| (1..=2_592_000).contains(s))
                .ok_or_else(|| {
                    Answer::Failed("`expires_in` must be 1 to 2592000 seconds".into())
                })?;
            let compare_it = compare_arg(a)?;
            let before = client.open_invites(&conv);
            let uri = client.create_invite(&conv, expires_in)?;
            if compare_it {
                for id in client.open_invites(&conv) {
                    if !before.contains(&id) {
                        mark(compare, id);
                    }
                }
            }
            json!({ "uri": uri })
        }
        "invite.accept" => {
            let uri = str_arg(a, "uri")?;
            let name = a.get("name").and_then(Value::as_str).unwrap_or("");
            if name.len() > 64 {
                return Err(Answer::Failed("`name` is at most 64 bytes".into()));
            }
            let compare_it = compare_arg(a)?;
            let (invite, _) = client.accept_invite(uri, name)?;
            if compare_it {
                mark(compare, invite);
            }
            json!({"invite": hex::encode(invite)})
        }
        "sync" => {
            let events = reported(compare, &client.sync());
            json!({"events": events})
        }
        "clock.set" => {
            // Appendix B §91.6.15 (HRT-SHIM-39): the duty clock reads `now` from here on.
            let now = a
                .get("now")
                .and_then(Value::as_u64)
                .filter(|n| *n <= 9_007_199_254_740_991)
                .ok_or_else(|| Answer::Failed("missing integer argument `now`".into()))?;
            client.clock().set(now);
            json!({})
        }
        "sas.confirm" => {
            let invite = id16(a, "invite")?;
            let matches = a
                .get("match")
                .and_then(Value::as_bool)
                .ok_or_else(|| Answer::Failed("missing boolean argument `match`".into()))?;
            // HRT-SHIM-35: only a comparison of an invitation under `compare` is answered.
            if !compared(compare, &invite)
                || !client.comparisons().iter().any(|w| w.invite().0 == invite)
            {
                return Err(Answer::Failed(format!(
                    "no comparison of invitation {} is waiting",
                    hex::encode(invite)
                )));
            }
            client.answer_sas(&invite, matches)?;
            json!({})
        }
        "send" => {
            let conv = id16(a, "conversation")?;
            let sent = client.send_text(&conv, str_arg(a, "text")?)?;
            json!({"route": route_json(&sent.route), "seq": sent.seq,
                   "msg_ref": hex::encode(sent.msg_ref.0)})
        }
        "commit" => {
            let conv = id16(a, "conversation")?;
            let route = route_arg(a)?;
            let mut remove = Vec::new();
            for f in a
                .get("remove")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let bytes: [u8; 32] = f
                    .as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| Answer::Failed("remove: fingerprints are hex32".into()))?;
                remove.push(Fingerprint::from_bytes(bytes));
            }
            let (epoch, seq) = client.commit(&conv, &route, &remove)?;
            json!({"epoch": epoch, "seq": seq})
        }
        "display" => {
            let conv = id16(a, "conversation")?;
            let msgs: Vec<Value> = client
                .display(&conv)?
                .iter()
                .map(|d| {
                    json!({"route": route_json(&d.route), "seq": d.seq,
                       "sender": hex::encode(d.sender.as_bytes()), "text": d.text(),
                       "sent_at_ms": d.sent_at_ms})
                })
                .collect();
            json!({"messages": msgs})
        }
        "conversations" => {
            let list: Vec<Value> = client
                .conversations()
                .iter()
                .map(|c| {
                    let routes: Vec<Value> =
                        c.routes().iter().map(|r| route_json(r.link())).collect();
                    let mut members: Vec<String> = c
                        .routes()
                        .iter()
                        .flat_map(|r| r.group().members())
                        .map(|m| hex::encode(m.fingerprint.as_bytes()))
                        .collect();
                    members.sort();
                    members.dedup();
                    json!({"conversation": hex::encode(c.handle()), "routes": routes,
                           "members": members})
                })
                .collect();
            json!({"conversations": list})
        }
        "held_secrets" => {
            let conv = id16(a, "conversation")?;
            let h = client.held_secrets(&conv, &route_arg(a)?)?;
            json!({"epoch": h.epoch, "epoch_secrets": h.epoch_secrets,
                   "chains": h.chains, "skipped": h.skipped_keys,
                   "init_keys": h.init_keys.len(), "member_keys": h.member_keys.len(),
                   "pending_commit": h.pending_commit, "app_secret": h.app_secret})
        }
        "route.add" => {
            let conv = id16(a, "conversation")?;
            let route = client.add_route(&conv, &host_arg(a, "host")?)?;
            json!({"route": route_json(&route)})
        }
        _ => return Err(Answer::Unsupported),
    })
}

fn str_arg<'a>(a: &'a Map<String, Value>, k: &str) -> Result<&'a str, Answer> {
    a.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| Answer::Failed(format!("missing string argument `{k}`")))
}

fn host_arg(a: &Map<String, Value>, k: &str) -> Result<HostUrl, Answer> {
    HostUrl::new(str_arg(a, k)?).map_err(|e| Answer::Failed(format!("`{k}`: {e}")))
}

fn id16(a: &Map<String, Value>, k: &str) -> Result<[u8; 16], Answer> {
    hex16(str_arg(a, k)?).ok_or_else(|| Answer::Failed(format!("`{k}` must be 16 bytes of hex")))
}

fn hex16(s: &str) -> Option<[u8; 16]> {
    hex::decode(s).ok().and_then(|b| b.try_into().ok())
}

fn route_arg(a: &Map<String, Value>) -> Result<RouteRef, Answer> {
    let r = a
        .get("route")
        .and_then(Value::as_object)
        .ok_or_else(|| Answer::Failed("missing `route`".into()))?;
    Ok(RouteRef {
        host: host_arg(r, "host")?,
        channel: ChannelId(id16(r, "channel")?),
    })
}

fn route_json(r: &RouteRef) -> Value {
    json!({"host": r.host.as_str(), "channel": hex::encode(r.channel.0)})
}

fn code_json(c: ErrorCode) -> (Value, u16) {
    (json!(c.name().unwrap_or("unknown")), c.0)
}

/// A `sync` event in the shim's JSON form (spec Appendix B).
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::Joined {
            conversation,
            route,
            epoch,
            invite,
        } => json!({"kind": "joined", "conversation": hex::encode(conversation),
                    "route": route_json(route), "epoch": epoch,
                    "invite": invite.map(hex::encode)}),
        Event::Admitted {
            conversation,
            route,
            fingerprint,
            name,
            epoch,
        } => json!({"kind": "admitted", "conversation": hex::encode(conversation),
                    "route": route_json(route), "fingerprint": hex::encode(fingerprint.as_bytes()),
                    "name": name, "epoch": epoch}),
        Event::Message {
            conversation,
            route,
            seq,
            msg_ref,
            sender,
            content_type,
            text,
            sent_at_ms,
            ..
        } => json!({"kind": "message", "conversation": hex::encode(conversation),
                    "route": route_json(route), "seq": seq, "msg_ref": hex::encode(msg_ref.0),
                    "sender": hex::encode(sender.as_bytes()), "content_type": content_type,
                    "text": text, "sent_at_ms": sent_at_ms}),
        Event::Commit {
            conversation,
            route,
            seq,
            epoch,
        } => json!({"kind": "commit", "conversation": hex::encode(conversation),
                    "route": route_json(route), "seq": seq, "epoch": epoch}),
        Event::Removed {
            conversation,
            route,
            seq,
        } => json!({"kind": "removed", "conversation": hex::encode(conversation),
                    "route": route_json(route), "seq": seq}),
        Event::Rejected {
            conversation,
            route,
            seq,
            code,
        } => {
            let (name, number) = code_json(*code);
            json!({"kind": "rejected", "conversation": conversation.map(hex::encode),
                   "route": route.as_ref().map(route_json), "seq": seq,
                   "code": name, "number": number})
        }
        Event::Detected {
            conversation,
            route,
            code,
            seq,
            member,
        } => {
            let (name, number) = code_json(*code);
            json!({"kind": "detected", "conversation": hex::encode(conversation),
                   "route": route_json(route), "code": name, "number": number, "seq": seq,
                   "member": member.map(|m| hex::encode(m.as_bytes()))})
        }
        Event::Sas {
            conversation,
            route,
            invite,
            sas,
            joiner,
        } => json!({"kind": "sas", "conversation": conversation.map(hex::encode),
                    "route": route_json(route), "invite": hex::encode(invite),
                    "sas": sas.to_string(),
                    "fingerprint": joiner.as_ref().map(|(f, _)| hex::encode(f.as_bytes())),
                    "name": joiner.as_ref().map(|(_, n)| n.as_str())}),
        Event::AddRefused {
            conversation,
            route,
            code,
            ..
        } => {
            let (name, number) = code_json(*code);
            json!({"kind": "add_refused", "conversation": hex::encode(conversation),
                   "route": route_json(route), "code": name, "number": number})
        }
        Event::RouteAdded {
            conversation,
            route,
        } => json!({"kind": "route_added", "conversation": hex::encode(conversation),
                    "route": route_json(route)}),
        Event::Away {
            conversation,
            route,
            fingerprint,
            since,
        } => json!({"kind": "away", "conversation": hex::encode(conversation),
                    "route": route_json(route), "fingerprint": hex::encode(fingerprint.as_bytes()),
                    "since": since}),
    }
}
