//! The tamper proxy of the client suite (spec §14.4): an HTTP/1.1 server on `127.0.0.1:0` that
//! forwards every request to an upstream host and returns its answer, except where a programmed
//! [`Fault`] says otherwise. The host behind it runs with the proxy's URL as its canonical URL,
//! so the signed requests of the client under test pass host binding (HRT-API-9, HRT-API-24).
//!
//! The proxy decodes each POST body as a `SignedRequest` (strictly, with hearth-wire's typed
//! structures) to learn the op, the signing key and the channel, so that faults can target one
//! op, one channel and one caller (the client under test is lied to, the harness's peers see the
//! truth). It records every request it received, with the answer it served, so tests can check
//! what the client posted (for example that it posted nothing to a frozen route, HRT-LOG-38).
//!
//! Log faults rewrite `log.fetch` (op 10) results. The proxy keeps, per channel, the true log as
//! far as it has seen it served (every `log.fetch` answer that passes through it, faulted or
//! not); a fault turns that true history into a fake one ([`fake_history`]) and the page the
//! client asked for (`since`, `limit`) is cut from the fake history, so successive pages of one
//! lie are consistent with each other. Where a fault says so the hash chain is recomputed with
//! the formula of spec §9.3 ([`crate::client::next_head`]) so that the lie verifies locally and
//! only the cross-checks of §9.5 (claims, own entries, tip) can catch it.
//!
//! The parts: the fault language and the request record (`fault.rs`), the log lies
//! (`lie.rs`), the handling of one request (`handle.rs`) and the Tokio/axum plumbing (`serve.rs`).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use axum::Router;
use hearth_wire::log::LogEntry;
use tokio::sync::oneshot;

use crate::target::HttpTarget;
use serve::{endpoint, KillListener, KillSwitch};

mod fault;
mod handle;
mod lie;
mod serve;

pub use fault::{Fault, FaultRule, Recorded};
pub use lie::{fake_history, first_broken_link, rechain, FakeLog};

#[derive(Default)]
struct State0 {
    upstream: Option<Arc<HttpTarget>>,
    rules: Vec<FaultRule>,
    records: Vec<Recorded>,
    /// Per channel, the true entries seen so far, by seq.
    truth: BTreeMap<[u8; 16], BTreeMap<u64, LogEntry>>,
}

type Shared = Arc<Mutex<State0>>;

/// A running tamper proxy; stops on drop.
pub struct Proxy {
    url: String,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Starts the proxy on `127.0.0.1:0` with no upstream yet (requests answer 502 until
    /// [`Proxy::set_upstream`]).
    pub fn start() -> io::Result<Proxy> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let state: Shared = Arc::new(Mutex::new(State0::default()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(16)
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = Router::new().fallback(endpoint).with_state(state.clone());
        let thread = std::thread::Builder::new()
            .name("hearth-proxy".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let serve = axum::serve(
                        KillListener(listener),
                        app.into_make_service_with_connect_info::<KillSwitch>(),
                    );
                    tokio::select! {
                        _ = serve => {}
                        _ = rx => {}
                    }
                });
            })?;
        Ok(Proxy {
            url: format!("http://127.0.0.1:{port}/"),
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The proxy's URL: the canonical URL the host behind it is configured with.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn with<R>(&self, f: impl FnOnce(&mut State0) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Forwards to the host at `url` from now on.
    pub fn set_upstream(&self, url: &str) -> Result<(), String> {
        let t = HttpTarget::new(url).map_err(|e| e.to_string())?;
        self.with(|s| s.upstream = Some(Arc::new(t)));
        Ok(())
    }

    /// Replaces the programmed faults.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.with(|s| s.rules = rules);
    }

    /// Adds one fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.with(|s| s.rules.push(rule));
    }

    /// Removes every fault: the proxy forwards faithfully again.
    pub fn clear(&self) {
        self.with(|s| s.rules.clear());
    }

    /// Every request received so far, in order.
    pub fn records(&self) -> Vec<Recorded> {
        self.with(|s| s.records.clone())
    }

    /// The number of requests received so far (a mark for [`Proxy::records_since`]).
    pub fn mark(&self) -> usize {
        self.with(|s| s.records.len())
    }

    /// The requests received after `mark`.
    pub fn records_since(&self, mark: usize) -> Vec<Recorded> {
        self.with(|s| s.records.get(mark..).map(<[_]>::to_vec).unwrap_or_default())
    }

    /// The true log entries of `channel` the proxy has seen served, by seq.
    pub fn true_log(&self, channel: &[u8; 16]) -> Vec<LogEntry> {
        self.with(|s| {
            s.truth
                .get(channel)
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default()
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use std::time::Duration;

    use hearth_wire::Op;

    use crate::target::Target;

    /// The proxy in front of a real reference host: faults hit only the targeted caller, the
    /// record holds every request, Down/Close/Delay behave as documented.
    #[test]
    fn end_to_end_through_a_reference_host() {
        use crate::client::{Client, SeededRng};
        use crate::suite::{expect_ok, verify_chain, Ctx};
        let fail = |e: String| -> ! { panic!("{e}") };
        let mut rng = SeededRng::new(7);
        let owner = rng.key();
        let proxy = Proxy::start().unwrap_or_else(|e| fail(e.to_string()));
        let host = crate::bundled::start_proxied_host(&[owner.public()], proxy.url())
            .unwrap_or_else(|e| fail(e));
        proxy
            .set_upstream(host.listen_url())
            .unwrap_or_else(|e| fail(e));
        let target = HttpTarget::new(proxy.url()).unwrap_or_else(|e| fail(e.to_string()));
        let (info, info_bytes, offset) =
            crate::suite::preflight(&target, &owner, 7).unwrap_or_else(|e| fail(e.0));
        assert_eq!(info.host_url.as_str(), proxy.url());
        let mut c = Client::new(
            &target,
            info.host_url.as_str().to_owned(),
            SeededRng::new(8),
        );
        c.clock_offset = offset;
        let ctx = Ctx {
            c,
            info,
            info_result_bytes: info_bytes,
            owner,
        };
        let ch = ctx
            .create_channel()
            .unwrap_or_else(|e| fail(format!("{e:?}")));
        for _ in 0..2 {
            let (ex, _) = ctx.post_msg(&ch, 0);
            let _: hearth_wire::request::AppendResult =
                expect_ok(&ex).unwrap_or_else(|e| fail(format!("{e:?}")));
        }
        let creator = ch.creator().public();
        let fetch = || {
            ctx.fetch_log(&ch, 0, 0, 100)
                .map(|(r, _)| r)
                .unwrap_or_else(|e| fail(format!("{e:?}")))
        };
        let truth = fetch();
        assert_eq!(truth.tip.0, 3);
        assert!(verify_chain(truth.entries.as_slice()).is_ok());
        // A fault for another caller leaves this one alone.
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryKeepHeads(2)).for_key([9; 32])
        ]);
        assert_eq!(fetch(), truth);
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryKeepHeads(2)).for_key(creator)
        ]);
        let r = fetch();
        assert!(verify_chain(r.entries.as_slice()).is_err());
        assert_eq!(r.head, truth.head);
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryBytes(2)).on_channel(ch.id)
        ]);
        let r = fetch();
        assert!(verify_chain(r.entries.as_slice()).is_ok());
        assert_ne!(r.entries, truth.entries);
        assert_ne!(r.head, truth.head);
        proxy.set_faults(vec![FaultRule::new(Fault::LowerTip(1))]);
        let r = fetch();
        assert_eq!((r.tip.0, r.entries.len()), (1, 1));
        proxy.set_faults(vec![FaultRule::new(Fault::DropEntry(2))]);
        let seqs: Vec<u64> = fetch().entries.as_slice().iter().map(|e| e.seq.0).collect();
        assert_eq!(seqs, vec![1, 3]);
        // A page after `since` is cut from the same lie.
        proxy.set_faults(vec![FaultRule::new(Fault::DuplicateEntry(2))]);
        let (r, _) = ctx
            .fetch_log(&ch, 0, 2, 100)
            .unwrap_or_else(|e| fail(format!("{e:?}")));
        assert_eq!(r.tip.0, 4);
        assert_eq!(r.entries.as_slice().first().map(|e| e.seq.0), Some(3));
        // Down, Close, Delay.
        proxy.set_faults(vec![FaultRule::new(Fault::Down)]);
        assert_eq!(target.post(b"x").map(|r| r.status), Ok(503));
        proxy.set_faults(vec![FaultRule::new(Fault::Close)]);
        assert!(target.post(b"x").is_err());
        proxy.set_faults(vec![FaultRule::new(Fault::Delay(Duration::from_millis(
            300,
        )))]);
        let t0 = std::time::Instant::now();
        assert!(target.get().is_ok());
        assert!(t0.elapsed() >= Duration::from_millis(300));
        proxy.clear();
        assert_eq!(fetch().tip, truth.tip);
        // The record.
        let recs = proxy.records();
        assert_eq!(
            recs.iter()
                .filter(|r| r.op == Some(Op::MSG_POST) && r.key == Some(creator))
                .count(),
            2
        );
        assert!(recs.iter().any(|r| r.served.is_none()));
        assert_eq!(proxy.true_log(&ch.id).len(), 3);
    }
}
