//! An in-process network for the conversation layer's machine: reference hosts called
//! directly (no HTTP), and a fault plan the tests choose per request (spec §10.4: no answer,
//! an answer lost after the host acted, a duplicate delivery).

use std::path::PathBuf;

use hearth::conversation::{
    drive, AcceptEveryJoin, Answer, Error, Event, Input, Intent, Member, NoStore, Outcome,
    RouteRef, State, Transport,
};
use hearth_host::handler::{Host, Prepared};
use hearth_wire::request::Response;
use hearth_wire::{HostUrl, Op, WireDecode};
use rand_core::RngCore;
use zeroize::Zeroizing;

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Delivered and answered.
    None,
    /// Never reaches the host.
    Drop,
    /// The host acts on it; the answer is lost.
    LoseAnswer,
    /// Delivered twice (a replay of the same bytes); the second answer is given.
    Duplicate,
}

pub struct Hosted {
    pub url: HostUrl,
    host: Host,
    conn: hearth_host::db::Conn,
    dir: PathBuf,
    pub down: bool,
}

impl Drop for Hosted {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A host's rewriting of a `log.fetch` answer: `Some` replaces it.
pub type Lie = Box<dyn Fn(&[u8]) -> Option<Vec<u8>>>;

/// Hosts by URL, and the requests each member made (for the tests' inspection).
#[derive(Default)]
pub struct Net {
    pub hosts: Vec<Hosted>,
    /// Every `SignedRequest` that reached a host, in order.
    pub delivered: Vec<Vec<u8>>,
    /// What the host does to the answers of `log.fetch`: `Some` replaces the answer.
    pub lie: Option<Lie>,
    /// Whether `lie` replaced an answer.
    pub lied: bool,
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Net {
    /// Adds a host whose owners are these members; returns its URL.
    pub fn host(&mut self, owners: &[&Member]) -> HostUrl {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hearth-machine-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let url = format!("https://host{n}.example/");
        let keys: Vec<String> = owners
            .iter()
            .map(|m| {
                let st = m.state().unwrap();
                format!("\"{}\"", hex::encode(st.identity().public_key().as_bytes()))
            })
            .collect();
        let text = format!(
            "host_url = \"{url}\"\nowner_keys = [{}]\ndata_dir = \"{}\"\n",
            keys.join(", "),
            dir.join("data").display()
        );
        let config = hearth_host::config::Config::parse(&text, &dir).unwrap();
        let host = Host::new(config).unwrap();
        let conn = hearth_host::store::open_config(&host.config.db_path(), None).unwrap();
        let url = HostUrl::new(url).unwrap();
        self.hosts.push(Hosted {
            url: url.clone(),
            host,
            conn,
            dir,
            down: false,
        });
        url
    }

    pub fn set_down(&mut self, url: &HostUrl, down: bool) {
        for h in &mut self.hosts {
            if &h.url == url {
                h.down = down;
            }
        }
    }

    fn deliver(&mut self, url: &HostUrl, signed: &[u8]) -> Option<Vec<u8>> {
        let h = self.hosts.iter().find(|h| &h.url == url)?;
        if h.down {
            return None;
        }
        self.delivered.push(signed.to_vec());
        let answer = match h.host.prepare(signed.to_vec()) {
            Prepared::Done(a) => a,
            Prepared::Job(job) => h.host.run_batch(&h.conn, &[&job]).pop()?,
        };
        if let Some(lie) = self.lie.as_ref().filter(|_| is_op(signed, Op::LOG_FETCH)) {
            if let Some(a) = lie(&answer) {
                self.lied = true;
                return Some(a);
            }
        }
        Some(answer)
    }

    /// One request through the fault `f`.
    pub fn exchange(&mut self, url: &HostUrl, signed: &[u8], f: Fault) -> Outcome {
        let answer = match f {
            Fault::Drop => None,
            Fault::None => self.deliver(url, signed),
            Fault::LoseAnswer => {
                // A lie in an answer that never arrives reached nobody.
                let lied = self.lied;
                self.deliver(url, signed);
                self.lied = lied;
                None
            }
            Fault::Duplicate => {
                self.deliver(url, signed);
                self.deliver(url, signed)
            }
        };
        match answer.map(|a| Response::decode(&a)) {
            Some(Ok(r)) => Outcome::of_response(r),
            Some(Err(_)) => Outcome::Unreachable("not a Response".into()),
            None => Outcome::Unreachable("no answer".into()),
        }
    }
}

/// Whether a `SignedRequest` is of operation `op`.
pub fn is_op(signed: &[u8], op: Op) -> bool {
    hearth_wire::request::SignedRequest::decode(signed)
        .ok()
        .and_then(|s| s.unverified_request().ok())
        .is_some_and(|r| r.as_unverified().op == op)
}

/// A member whose user accepts every code comparison (Appendix B §91.6.4).
pub fn member(name: &str) -> Member {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand_core::OsRng.fill_bytes(seed.as_mut());
    let mut st = State::new(seed, name);
    st.comparison = Box::new(AcceptEveryJoin);
    Member::new(st)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs one intent to its end; `fault` chooses, per request (numbered from 0 within this
/// intent), what the network does with it.
pub fn run_with(
    m: &mut Member,
    net: &mut Net,
    intent: Intent,
    fault: impl FnMut(usize, &[u8]) -> Fault,
) -> (Result<Answer, Error>, Vec<Event>) {
    struct Faulty<'a, F> {
        net: &'a mut Net,
        fault: F,
        n: usize,
    }
    impl<F: FnMut(usize, &[u8]) -> Fault> Transport for Faulty<'_, F> {
        fn exchange(&mut self, route: &RouteRef, signed: &[u8]) -> Outcome {
            let f = (self.fault)(self.n, signed);
            self.n += 1;
            self.net.exchange(&route.host, signed, f)
        }
    }
    let mut t = Faulty { net, fault, n: 0 };
    let mut events = Vec::new();
    let done = drive(
        m,
        Input::Intent { intent, now: now() },
        &mut t,
        &mut NoStore,
        &mut events,
    );
    (done.expect("the intent finished"), events)
}

/// Runs one intent with no fault.
pub fn run(m: &mut Member, net: &mut Net, intent: Intent) -> (Result<Answer, Error>, Vec<Event>) {
    run_with(m, net, intent, |_, _| Fault::None)
}

/// The texts of the message events.
pub fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { text, .. } => text.clone(),
            _ => None,
        })
        .collect()
}

/// The events of a refresh, with the events commands left undelivered.
pub fn refresh(m: &mut Member, net: &mut Net) -> Vec<Event> {
    run(m, net, Intent::Refresh).1
}
