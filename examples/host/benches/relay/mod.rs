//! nostr-rs-relay as the peer of the benchmark: the relay process (its own SQLite database
//! in a temp dir) and a WebSocket load client that signs NIP-01 events (BIP-340 Schnorr over
//! secp256k1), sends `EVENT` and waits for `OK`, or sends `REQ` and waits for `EOSE`. An
//! answer that does not come within 30 s ends that client: its remaining requests count as
//! not accepted.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secp256k1::Keypair;
use sha2::{Digest, Sha256};
use tungstenite::{Message, WebSocket};

use crate::common::{free_port, now, random16, TempDir};

/// The relay binary: `$HEARTH_BENCH_RELAY`, else `nostr-rs-relay` on the PATH.
pub fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HEARTH_BENCH_RELAY") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("nostr-rs-relay"))
            .find(|p| p.is_file())
    })
}

/// A running relay on 127.0.0.1; killed on drop.
pub struct Relay {
    child: Child,
    pub port: u16,
    _dir: TempDir,
}

impl Relay {
    /// Starts the relay with its defaults (SQLite in WAL mode, `synchronous = NORMAL`, which
    /// its schema code sets and no setting changes), no rate limit, no authentication.
    pub fn start(bin: &std::path::Path) -> Relay {
        let dir = TempDir::new("bench-relay");
        let port = free_port();
        let db = dir.path().join("db");
        std::fs::create_dir_all(&db).unwrap();
        let conf = format!(
            "[info]\nrelay_url = \"ws://127.0.0.1:{port}/\"\n\
             [database]\ndata_directory = \"{}\"\n\
             [network]\naddress = \"127.0.0.1\"\nport = {port}\n",
            db.display()
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new(bin)
            .arg("--config")
            .arg(&path)
            .current_dir(dir.path())
            .env(
                "RUST_LOG",
                std::env::var("HEARTH_BENCH_RELAY_RUST_LOG").unwrap_or("warn".into()),
            )
            .stdout(
                std::env::var_os("HEARTH_BENCH_RELAY_LOG")
                    .and_then(|p| std::fs::File::create(p).ok())
                    .map_or_else(Stdio::null, Stdio::from),
            )
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nostr-rs-relay did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Relay {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A nostr key pair.
pub struct Key {
    kp: Keypair,
    pub pubkey: String,
}

impl Key {
    pub fn generate() -> Key {
        loop {
            let mut sk = [0u8; 32];
            sk[..16].copy_from_slice(&random16());
            sk[16..].copy_from_slice(&random16());
            if let Ok(kp) = Keypair::from_secret_bytes(sk) {
                let pubkey = hex::encode(kp.x_only_public_key().0.to_byte_array());
                return Key { kp, pubkey };
            }
        }
    }

    /// A signed kind-1 event whose `EVENT` frame is `size` bytes long (at least its fixed
    /// part), as a frame, and its id (NIP-01: the id is SHA-256 of the serialised
    /// `[0, pubkey, created_at, kind, tags, content]`).
    pub fn event_frame(&self, size: usize) -> (String, String) {
        let created = now();
        let frame = |content: &str| {
            let ser = serde_json::json!([0, self.pubkey, created, 1, [], content]).to_string();
            let id: [u8; 32] = Sha256::digest(ser.as_bytes()).into();
            let sig = self.kp.sign_schnorr_no_aux_rand(&id).to_byte_array();
            let ev = serde_json::json!({
                "id": hex::encode(id),
                "pubkey": self.pubkey,
                "created_at": created,
                "kind": 1,
                "tags": [],
                "content": content,
                "sig": hex::encode(sig),
            });
            (
                serde_json::json!(["EVENT", ev]).to_string(),
                hex::encode(id),
            )
        };
        let fixed = frame("").0.len();
        let mut content = String::new();
        while fixed + content.len() < size {
            content.push_str(&hex::encode(random16()));
        }
        content.truncate(size.saturating_sub(fixed).max(1));
        frame(&content)
    }

    /// A `REQ` for this author's newest 50 events.
    pub fn req_frame(&self, sub: &str) -> String {
        serde_json::json!(["REQ", sub, {"authors": [self.pubkey], "limit": 50}]).to_string()
    }
}

/// One request of the load: an event to store, or a subscription to answer.
pub enum Frame {
    Event { text: String, id: String },
    Req { text: String, sub: String },
}

/// One client connection.
pub struct Client {
    ws: WebSocket<TcpStream>,
    /// A read failed or timed out: every later call counts as not accepted.
    dead: bool,
}

impl Client {
    /// Connects to the relay at `port` on 127.0.0.1.
    pub fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // Bounded in time: an answer that never comes fails the run.
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        let (ws, _) = tungstenite::client(url.as_str(), stream).unwrap();
        Client { ws, dead: false }
    }

    fn next_json(&mut self) -> Option<serde_json::Value> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
                Ok(Message::Ping(p)) => self.ws.send(Message::Pong(p)).ok()?,
                Ok(Message::Close(_)) | Err(_) => {
                    self.dead = true;
                    return None;
                }
                Ok(_) => {}
            }
        }
    }

    /// Sends a frame and waits for its answer; whether it was accepted (`OK` true, or
    /// `EOSE`).
    pub fn call(&mut self, f: &Frame) -> bool {
        if self.dead {
            return false;
        }
        match f {
            Frame::Event { text, id } => {
                self.ws.send(Message::text(text.as_str())).unwrap();
                loop {
                    let Some(v) = self.next_json() else {
                        return false;
                    };
                    if v[0] == "OK" && v[1] == id.as_str() {
                        return v[2] == true;
                    }
                }
            }
            Frame::Req { text, sub } => {
                self.ws.send(Message::text(text.as_str())).unwrap();
                loop {
                    let Some(v) = self.next_json() else {
                        return false;
                    };
                    if v[0] == "EOSE" && v[1] == sub.as_str() {
                        let close = serde_json::json!(["CLOSE", sub]).to_string();
                        self.ws.send(Message::text(close)).unwrap();
                        return true;
                    }
                }
            }
        }
    }
}
