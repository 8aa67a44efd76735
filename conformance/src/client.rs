//! The harness's client side: a seeded RNG, keys, request building and signing (spec §8.3.1),
//! and one [`Exchange`] per request with every byte sent and received.
//!
//! Requests are encoded by hand with the wire crate's [`Encoder`] rather than through the typed
//! structures, so that tests can build any variant, canonical or not (an extra key, a wrong op, a
//! stale `ts`), and sign exactly those bytes.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{h, sign_with_label};
use hearth_wire::request::Response;
use hearth_wire::{encode_with, Encoder, ErrorCode, WireDecode};

use crate::target::{HttpReply, HttpRequest, Target, TransportError, CBOR};

/// A small deterministic RNG (xoshiro256** seeded by SplitMix64): every random choice of the
/// harness comes from one, so `--seed` replays a run. Not for secrets: the harness's keys are
/// test keys.
#[derive(Clone, Debug)]
pub struct SeededRng {
    s: [u64; 4],
}

impl SeededRng {
    /// An RNG from a 64-bit seed.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            for (o, b) in chunk.iter_mut().zip(v.iter()) {
                *o = *b;
            }
        }
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }

    /// `n` random bytes.
    pub fn vec(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        b
    }

    /// A fresh Ed25519 key from the RNG.
    pub fn key(&mut self) -> Key {
        Key::from_seed(&self.bytes::<32>())
    }

    /// A child RNG (for a thread), derived deterministically.
    pub fn fork(&mut self) -> SeededRng {
        SeededRng::new(self.next_u64())
    }
}

/// An Ed25519 key the harness signs with.
#[derive(Clone)]
pub struct Key {
    sk: SigningKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", hex::encode(self.public()))
    }
}

impl Key {
    /// The key with this 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            sk: SigningKey::from_seed(seed),
        }
    }

    /// The public key bytes.
    pub fn public(&self) -> [u8; 32] {
        *self.sk.verifying_key().as_bytes()
    }

    /// The seed.
    pub fn seed(&self) -> [u8; 32] {
        *self.sk.seed()
    }

    /// `SignWithLabel(self, label, c)` where `c` is written by the closure (spec §3.2).
    pub fn sign(&self, l: hearth_crypto::hazmat::Label, c: impl FnOnce(&mut Encoder)) -> [u8; 64] {
        sign_with_label(&self.sk, l, c).to_bytes()
    }
}

/// Unix time now, in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `Request = {1: op, 2: host_url, ? 3: channel_id, 4: ts, 5: nonce, 6: body, ? 7: ext}`, with
/// every field settable so tests can build invalid variants. `body` and `ext` are raw encoded
/// items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    /// Key 1.
    pub op: u64,
    /// Key 2.
    pub host_url: String,
    /// Key 3.
    pub channel_id: Option<[u8; 16]>,
    /// Key 4.
    pub ts: u64,
    /// Key 5.
    pub nonce: [u8; 16],
    /// Key 6: one encoded item.
    pub body: Vec<u8>,
    /// Key 7: one encoded item.
    pub ext: Option<Vec<u8>>,
}

impl RequestSpec {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        encode_with(|e| {
            let n = 5 + usize::from(self.channel_id.is_some()) + usize::from(self.ext.is_some());
            e.map(n);
            e.uint(1).uint(self.op);
            e.uint(2).text(&self.host_url);
            if let Some(c) = &self.channel_id {
                e.uint(3).bytes(c);
            }
            e.uint(4).uint(self.ts);
            e.uint(5).bytes(&self.nonce);
            e.uint(6).raw(&self.body);
            if let Some(x) = &self.ext {
                e.uint(7).raw(x);
            }
        })
    }
}

/// `SignedRequest = [1, key, bstr .cbor Request, sig]` over exactly `request_bytes`.
pub fn sign_request(key: &Key, request_bytes: &[u8]) -> Vec<u8> {
    let sig = key.sign(label::REQUEST, |e| {
        e.bytes(request_bytes);
    });
    assemble_signed(1, &key.public(), request_bytes, &sig)
}

/// Assembles a SignedRequest from its parts, whatever they are.
pub fn assemble_signed(version: u64, key: &[u8], request_bytes: &[u8], sig: &[u8]) -> Vec<u8> {
    encode_with(|e| {
        e.array(4)
            .uint(version)
            .bytes(key)
            .bytes(request_bytes)
            .bytes(sig);
    })
}

/// `H("blob", data)`.
pub fn blob_id(data: &[u8]) -> [u8; 32] {
    h(label::BLOB, |e| {
        e.bytes(data);
    })
}

pub use hearth_crypto::log::next_head;

/// One HTTP exchange: what was sent, what came back, and the decoded Response if it decoded.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The HTTP request.
    pub request: HttpRequest,
    /// The reply, or why there was none.
    pub reply: Result<HttpReply, TransportError>,
}

impl Exchange {
    /// The decoded Response: the reply was 200, `application/cbor`, and one strict `Response`.
    pub fn response(&self) -> Option<Response> {
        let r = self.reply.as_ref().ok()?;
        Response::decode(&r.body).ok()
    }

    /// The response body bytes (empty on a transport error).
    pub fn body(&self) -> &[u8] {
        self.reply
            .as_ref()
            .map(|r| r.body.as_slice())
            .unwrap_or_default()
    }

    /// The status code, if the reply decoded as a Response.
    pub fn status(&self) -> Option<ErrorCode> {
        self.response().map(|r| r.status)
    }

    /// The detail code, if any.
    pub fn detail(&self) -> Option<ErrorCode> {
        self.response().and_then(|r| r.detail)
    }

    /// `server_time`, if the reply decoded.
    pub fn server_time(&self) -> Option<u64> {
        self.response().map(|r| r.server_time.0)
    }

    /// The transport-level problems of this exchange against HRT-API-5, if any.
    pub fn envelope_problem(&self) -> Option<String> {
        match &self.reply {
            Err(e) => Some(e.to_string()),
            Ok(r) if r.status != 200 => Some(format!("HTTP status {} (expected 200)", r.status)),
            Ok(r) if !is_cbor_media_type(r.content_type.as_deref()) => Some(format!(
                "Content-Type {:?} (expected application/cbor)",
                r.content_type
            )),
            Ok(r) => match Response::decode(&r.body) {
                Ok(_) => None,
                Err(e) => Some(format!(
                    "the body is not one valid hCBOR Response ({:?})",
                    e.code().name().unwrap_or("?")
                )),
            },
        }
    }
}

/// True for `application/cbor`, compared case-insensitively and ignoring parameters.
pub fn is_cbor_media_type(ct: Option<&str>) -> bool {
    ct.and_then(|c| c.split(';').next())
        .map(|m| m.trim().eq_ignore_ascii_case(CBOR))
        .unwrap_or(false)
}

/// The harness's connection to the host under test: the target, the canonical URL, the clock
/// offset learned from `server_time` (spec §8.8), the seeded RNG of the test's choices and keys,
/// and the per-run RNG of the names a host remembers.
///
/// `--seed` reproduces every *choice* of a test (its keys, sampled lengths, which byte it
/// alters), but never the *names* a host keeps across runs: nonces (its nonce store, §8.3.3)
/// and channel and invite ids. Those come from [`Client::random`], drawn from the operating
/// system's RNG for every run, so that a printed reproduce command can be re-run against a host
/// with a persistent database at once, without `replay` or `conflict` (spec §14.5).
pub struct Client<'t> {
    /// The target.
    pub target: &'t dyn Target,
    /// The canonical host URL, as `InfoResult` key 3 gives it.
    pub host_url: String,
    /// `server_time - local time`, learned from the first info answer.
    pub clock_offset: i64,
    rng: Mutex<SeededRng>,
    names: Mutex<SeededRng>,
    /// Retries of identical bytes after `rate_limited` (HRT-API-47).
    pub rate_retries: u32,
}

impl<'t> Client<'t> {
    /// A client on `target` drawing nonces from `rng`.
    pub fn new(target: &'t dyn Target, host_url: String, rng: SeededRng) -> Self {
        Self {
            target,
            host_url,
            clock_offset: 0,
            rng: Mutex::new(rng),
            names: Mutex::new(SeededRng::new(rand_core::RngCore::next_u64(
                &mut rand_core::OsRng,
            ))),
            rate_retries: 40,
        }
    }

    /// The host's clock as the harness estimates it.
    pub fn host_now(&self) -> u64 {
        (unix_now() as i64).saturating_add(self.clock_offset).max(0) as u64
    }

    /// Runs `f` on the client's RNG.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut SeededRng) -> T) -> T {
        match self.rng.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// A fresh random key.
    pub fn key(&self) -> Key {
        self.with_rng(SeededRng::key)
    }

    /// `N` fresh random bytes for a name the host remembers (a nonce, a channel or invite id,
    /// init key bytes): new on every run whatever the seed (see [`Client`]).
    pub fn random<const N: usize>(&self) -> [u8; N] {
        match self.names.lock() {
            Ok(mut g) => g.bytes::<N>(),
            Err(p) => p.into_inner().bytes::<N>(),
        }
    }

    /// A request spec for `op` with a fresh nonce and the current host time.
    pub fn spec(&self, op: u64, channel: Option<[u8; 16]>, body: Vec<u8>) -> RequestSpec {
        RequestSpec {
            op,
            host_url: self.host_url.clone(),
            channel_id: channel,
            ts: self.host_now(),
            nonce: self.random::<16>(),
            body,
            ext: None,
        }
    }

    /// Sends raw bytes as a CBOR POST, once.
    pub fn post_raw(&self, body: Vec<u8>) -> Exchange {
        self.send(HttpRequest::post_cbor(body))
    }

    /// Sends only the head of a `POST` declaring `content_length` body bytes and none of them
    /// (see [`Target::post_declared_only`]); no reply within `wait` is a transport error that
    /// says so.
    pub fn post_declared_only(&self, content_length: u64, wait: Duration) -> Exchange {
        let request = HttpRequest {
            headers: vec![("Content-Length".into(), content_length.to_string())],
            ..HttpRequest::post_cbor(Vec::new())
        };
        let reply = match self.target.post_declared_only(content_length, wait) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(TransportError(format!(
                "no answer within {} s to a request declaring {content_length} body bytes and sending none: the host waits for the body",
                wait.as_secs()
            ))),
            Err(e) => Err(e),
        };
        Exchange { request, reply }
    }

    /// Posts `body` with chunked transfer coding, without a Content-Length (see
    /// [`Target::post_chunked`]); `None` when the target has no such transport.
    pub fn post_chunked(&self, body: Vec<u8>) -> Option<Exchange> {
        let reply = self.target.post_chunked(&body)?;
        let request = HttpRequest {
            headers: vec![("Transfer-Encoding".into(), "chunked".into())],
            ..HttpRequest::post_cbor(body)
        };
        Some(Exchange { request, reply })
    }

    /// Sends any HTTP request, once.
    pub fn send(&self, request: HttpRequest) -> Exchange {
        let reply = self.target.send(&request);
        Exchange { request, reply }
    }

    /// Posts a SignedRequest, resending the identical bytes after `rate_limited` (which the
    /// host does not record, spec §8.3.3) with a growing wait.
    pub fn post_signed(&self, signed: Vec<u8>) -> Exchange {
        let mut wait = Duration::from_millis(50);
        let mut ex = self.post_raw(signed.clone());
        for _ in 0..self.rate_retries {
            if ex.status() != Some(ErrorCode::RATE_LIMITED) {
                break;
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_millis(500));
            ex = self.post_raw(signed.clone());
        }
        ex
    }

    /// Builds, signs and posts a request for `op`.
    pub fn call(&self, key: &Key, op: u64, channel: Option<[u8; 16]>, body: Vec<u8>) -> Exchange {
        let spec = self.spec(op, channel, body);
        self.post_signed(sign_request(key, &spec.encode()))
    }

    /// Signs and posts `spec`.
    pub fn call_spec(&self, key: &Key, spec: &RequestSpec) -> Exchange {
        self.post_signed(sign_request(key, &spec.encode()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        assert_eq!(a.bytes::<40>(), b.bytes::<40>());
        assert_ne!(SeededRng::new(8).next_u64(), SeededRng::new(7).next_u64());
    }

    #[test]
    fn request_encoding_is_canonical() {
        let spec = RequestSpec {
            op: 0,
            host_url: "http://127.0.0.1/".into(),
            channel_id: None,
            ts: 1_700_000_000,
            nonce: [7; 16],
            body: vec![0xa0],
            ext: None,
        };
        let bytes = spec.encode();
        assert!(hearth_wire::request::Request::decode(&bytes).is_ok());
        let key = Key::from_seed(&[1; 32]);
        let signed = sign_request(&key, &bytes);
        assert!(hearth_wire::request::SignedRequest::decode(&signed).is_ok());
    }

    #[test]
    fn media_type_comparison() {
        assert!(is_cbor_media_type(Some("Application/CBOR; charset=x")));
        assert!(!is_cbor_media_type(Some("application/json")));
        assert!(!is_cbor_media_type(None));
    }
}
