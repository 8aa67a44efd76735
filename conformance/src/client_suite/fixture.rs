//! The client suite's fixture: a fresh shim with the hello done, optionally its identity, and N
//! reference hosts in this process, each with a fresh data directory and behind its own tamper
//! proxy, listing the shim's identity key and the harness peers' keys as owners (spec §14.4).

use serde_json::{json, Value};

use crate::bundled::{start_proxied_host, BundledHost};
use crate::client::{Exchange, Key};
use crate::model::Stop;
use crate::proxy::{Proxy, Recorded};
use crate::shim::{Answer, Hello, Shim};

use super::ClientCtx;

/// What a test needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixtureSpec {
    /// Ask the shim for its identity (`identity.create`); implied by `hosts > 0`.
    pub identity: bool,
    /// Proxied reference hosts to start (after the identity, so they can list it as owner).
    pub hosts: usize,
    /// Harness peer identities to list as owners of every host (the peers themselves are
    /// played by the conversation layer in the peer tests, [`super::member::Peer`]).
    pub peers: usize,
}

/// The shim's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Its identity key (`IK_pub`).
    pub key: [u8; 32],
    /// The fingerprint it reported.
    pub fingerprint: [u8; 32],
}

/// One reference host behind a tamper proxy. The host's canonical URL is the proxy's.
pub struct ProxiedHost {
    /// The proxy: the URL the shim is given, the faults, the record of requests.
    pub proxy: Proxy,
    host: BundledHost,
}

impl ProxiedHost {
    /// Starts a proxy, then a host whose canonical URL is the proxy's, and connects them.
    pub fn start(owners: &[[u8; 32]]) -> Result<ProxiedHost, String> {
        let proxy = Proxy::start().map_err(|e| format!("cannot start the tamper proxy: {e}"))?;
        let host = start_proxied_host(owners, proxy.url())?;
        proxy.set_upstream(host.listen_url())?;
        Ok(ProxiedHost { proxy, host })
    }

    /// The canonical URL (the proxy's).
    pub fn url(&self) -> &str {
        self.proxy.url()
    }

    /// The URL the host itself listens at (bypassing the proxy).
    pub fn upstream_url(&self) -> &str {
        self.host.listen_url()
    }
}

/// A running fixture. Dropping it shuts the shim down, then stops proxies and hosts.
pub struct Fixture {
    /// The shim, hello done.
    pub shim: Shim,
    /// What the hello said.
    pub hello: Hello,
    /// The shim's identity, if requested.
    pub identity: Option<Identity>,
    /// The harness peers' identity keys (listed as owners of every host).
    pub peers: Vec<Key>,
    /// The hosts.
    pub hosts: Vec<ProxiedHost>,
}

fn hex_n<const N: usize>(v: &Value, key: &str) -> Option<[u8; N]> {
    let s = v.get(key)?.as_str()?;
    if s.len() != 2 * N || s.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(s).ok()?.try_into().ok()
}

/// `key` of `v` as lowercase hex of exactly `N` bytes.
pub fn hex_field<const N: usize>(v: &Value, key: &str) -> Option<[u8; N]> {
    hex_n::<N>(v, key)
}

impl Fixture {
    /// Starts the shim, does the hello, and whatever `spec` asks for.
    pub fn start(ctx: &mut ClientCtx<'_>, spec: FixtureSpec) -> Result<Fixture, Stop> {
        let mut shim = crate::shim::Shim::spawn(&ctx.shim.command, ctx.shim.timeout)
            .map_err(|e| Stop::fail(e.to_string(), &[]))?;
        let hello = shim.hello().map_err(|e| {
            Stop::fail(
                format!(
                    "the shim did not complete the hello: {e}\n    {}",
                    shim.report()
                ),
                &[],
            )
        })?;
        let peers: Vec<Key> = (0..spec.peers).map(|_| ctx.rng.key()).collect();
        let mut fx = Fixture {
            shim,
            hello,
            identity: None,
            peers,
            hosts: Vec::new(),
        };
        if spec.identity || spec.hosts > 0 {
            let name = format!("shim-{:04x}", ctx.rng.below(0x1_0000));
            let v = fx.ok("identity.create", json!({ "name": name }))?;
            let (Some(key), Some(fingerprint)) = (
                hex_n::<32>(&v, "identity_key"),
                hex_n::<32>(&v, "fingerprint"),
            ) else {
                return Err(fx.fail(format!(
                    "identity.create answered without a hex32 identity_key and fingerprint: {v}"
                )));
            };
            fx.identity = Some(Identity { key, fingerprint });
            let mut owners = vec![key];
            owners.extend(fx.peers.iter().map(Key::public));
            for _ in 0..spec.hosts {
                let h = ProxiedHost::start(&owners)
                    .map_err(|e| Stop::fail(format!("cannot start a reference host: {e}"), &[]))?;
                fx.hosts.push(h);
            }
        }
        Ok(fx)
    }

    /// The first host (tests that asked for at least one).
    pub fn host(&self) -> Result<&ProxiedHost, Stop> {
        self.hosts
            .first()
            .ok_or_else(|| Stop::fail("the fixture has no host (test bug)", &[]))
    }

    /// A failure with `message`, the shim's transcript and stderr tail.
    pub fn fail(&self, message: impl Into<String>) -> Stop {
        self.fail_with(message, &[])
    }

    /// As [`Fixture::fail`], with the HTTP exchanges involved (from a proxy's record).
    pub fn fail_with(&self, message: impl Into<String>, records: &[Recorded]) -> Stop {
        let ex: Vec<Exchange> = records.iter().map(Recorded::exchange).collect();
        let refs: Vec<&Exchange> = ex.iter().collect();
        Stop::fail(
            format!("{}\n    {}", message.into(), self.shim.report()),
            &refs,
        )
    }

    /// Sends a command; a protocol violation is a failure.
    pub fn call(&mut self, cmd: &str, args: Value) -> Result<Answer, Stop> {
        match self.shim.call(cmd, args) {
            Ok(a) => Ok(a),
            Err(e) => Err(self.fail(e.to_string())),
        }
    }

    /// Sends a command that must succeed: `unsupported` stops the test as unsupported, an
    /// `error` or `failed` is a failure.
    pub fn ok(&mut self, cmd: &str, args: Value) -> Result<Value, Stop> {
        match self.call(cmd, args)? {
            Answer::Ok(v) => Ok(v),
            Answer::Unsupported => Err(Stop::Unsupported(format!(
                "the shim does not implement `{cmd}`"
            ))),
            a => Err(self.fail(format!("`{cmd}` did not succeed: {}", a.describe()))),
        }
    }

    /// `sync {}`: the events.
    pub fn sync(&mut self) -> Result<Vec<Value>, Stop> {
        let v = self.ok("sync", json!({}))?;
        match v.get("events").and_then(Value::as_array) {
            Some(e) => Ok(e.clone()),
            None => Err(self.fail(format!("sync answered without an `events` list: {v}"))),
        }
    }

    /// `channel.create` on host `i`: (conversation, route host, route channel).
    pub fn create_channel(&mut self, i: usize) -> Result<Created, Stop> {
        let url = match self.hosts.get(i) {
            Some(h) => h.url().to_owned(),
            None => return Err(Stop::fail("no such host (test bug)", &[])),
        };
        let mark = self.hosts.get(i).map_or(0, |h| h.proxy.mark());
        let v = self.ok("channel.create", json!({ "host": url }))?;
        let conversation = hex_n::<16>(&v, "conversation");
        let route = v.get("route").cloned().unwrap_or(Value::Null);
        let channel = hex_n::<16>(&route, "channel");
        let host = route.get("host").and_then(Value::as_str).map(str::to_owned);
        let (Some(conversation), Some(channel), Some(host)) = (conversation, channel, host) else {
            return Err(self.fail(format!(
                "channel.create answered without a hex16 conversation and a route {{host, channel}}: {v}"
            )));
        };
        Ok(Created {
            conversation,
            channel,
            host,
            route,
            mark,
        })
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.shim.shutdown();
    }
}

/// What `channel.create` answered.
#[derive(Clone, Debug)]
pub struct Created {
    /// The conversation id.
    pub conversation: [u8; 16],
    /// The route's channel id.
    pub channel: [u8; 16],
    /// The route's host URL.
    pub host: String,
    /// The route object as the shim gave it.
    pub route: Value,
    /// The proxy's record mark before the call.
    pub mark: usize,
}

/// The events of `kind`.
pub fn events_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e.get("kind").and_then(Value::as_str) == Some(kind))
        .collect()
}

/// True when `route` (a route object) names `host` and `channel`.
pub fn route_is(route: Option<&Value>, host: &str, channel: &[u8; 16]) -> bool {
    route.is_some_and(|r| {
        r.get("host").and_then(Value::as_str) == Some(host)
            && hex_n::<16>(r, "channel").as_ref() == Some(channel)
    })
}
