//! The shim driver of the client suite (spec §14.4, HRT-CONF-5; protocol: the shim appendix,
//! `notes/shim-design.md` until it is published).
//!
//! A shim is started as `sh -c CMD` with piped standard streams. The harness writes one JSON
//! request per line (`{"v":1,"id":N,"cmd":NAME,"args":{...}}`) and reads exactly one answer line
//! per request, with the same `id`: `ok`, `error`, `unsupported` or `failed`. Anything else — a
//! line that is not such an answer, a wrong `id`, end of output, no answer within the timeout, a
//! line over 1 MiB — is a protocol violation by the shim: a typed [`ShimError`] carrying the
//! offending line, reported as a test failure, never a panic.
//!
//! Every request and answer is kept in a transcript, with the tail of the shim's standard error,
//! for failure reports.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

/// The shim protocol version this harness speaks.
pub const PROTOCOL_VERSION: u64 = 1;
/// The longest answer line accepted (excluding the newline).
pub const MAX_LINE: usize = 1 << 20;
/// The default time to wait for one answer (`--shim-timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `shutdown` waits for the shim to exit before killing it.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// The most characters of one line kept in the transcript.
const TRANSCRIPT_LINE: usize = 4096;
/// The most transcript items kept (the oldest are dropped).
const TRANSCRIPT_ITEMS: usize = 200;
/// The most stderr lines kept.
const STDERR_LINES: usize = 40;

/// One answer of the shim (the four answer shapes of the shim protocol).
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `{"id":N,"ok":{...}}`: the command's result object.
    Ok(Value),
    /// `{"id":N,"error":{"code","number","message"}}`: refused or failed with a spec code.
    Error {
        /// The §12 registry name.
        code: String,
        /// The §12 registry number.
        number: u64,
        /// Free text.
        message: String,
    },
    /// `{"id":N,"unsupported":{}}`: the shim does not implement the command (HRT-CONF-5).
    Unsupported,
    /// `{"id":N,"failed":{"message"}}`: could not carry out the command, no spec code.
    Failed {
        /// Free text.
        message: String,
    },
}

impl Answer {
    /// The answer's kind: `ok`, `error`, `unsupported` or `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Ok(_) => "ok",
            Answer::Error { .. } => "error",
            Answer::Unsupported => "unsupported",
            Answer::Failed { .. } => "failed",
        }
    }

    /// One line for reports: `ok`, `error fork_detected (74): ...`, ...
    pub fn describe(&self) -> String {
        match self {
            Answer::Ok(v) => format!("ok {}", cut(&v.to_string(), 300)),
            Answer::Error {
                code,
                number,
                message,
            } => format!("error {code} ({number}): {message}"),
            Answer::Unsupported => "unsupported".into(),
            Answer::Failed { message } => format!("failed: {message}"),
        }
    }

    /// Parses one answer line for request `id` (the whole protocol check of one line).
    pub fn parse(line: &str, id: u64) -> Result<Answer, Violation> {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| Violation::Malformed(format!("not JSON: {e}")))?;
        let Value::Object(m) = v else {
            return Err(Violation::Malformed("not a JSON object".into()));
        };
        let got = m
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| Violation::Malformed("no unsigned integer `id`".into()))?;
        if got != id {
            return Err(Violation::WrongId { got });
        }
        let kinds: Vec<&str> = ["ok", "error", "unsupported", "failed"]
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        let [kind] = kinds.as_slice() else {
            return Err(Violation::Malformed(format!(
                "expected exactly one of ok/error/unsupported/failed, found {}",
                if kinds.is_empty() {
                    "none".to_owned()
                } else {
                    kinds.join(", ")
                }
            )));
        };
        let body = m
            .get(*kind)
            .and_then(Value::as_object)
            .ok_or_else(|| Violation::Malformed(format!("`{kind}` is not a JSON object")))?;
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(match *kind {
            "ok" => Answer::Ok(Value::Object(body.clone())),
            "error" => Answer::Error {
                code: text("code").ok_or_else(|| {
                    Violation::Malformed("`error` without a string `code`".into())
                })?,
                number: body.get("number").and_then(Value::as_u64).ok_or_else(|| {
                    Violation::Malformed("`error` without an unsigned `number`".into())
                })?,
                message: text("message").unwrap_or_default(),
            },
            "unsupported" => Answer::Unsupported,
            _ => Answer::Failed {
                message: text("message").unwrap_or_default(),
            },
        })
    }
}

/// What was wrong with one answer line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Not an answer of the protocol.
    Malformed(String),
    /// An answer for another request.
    WrongId {
        /// The `id` the line carried.
        got: u64,
    },
}

/// A protocol violation by the shim, or a shim that could not be driven. Never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShimError {
    /// `sh -c CMD` could not be started.
    Spawn(String),
    /// The request could not be written (the shim closed its standard input or exited).
    Write {
        /// The command.
        cmd: String,
        /// The I/O error.
        error: String,
    },
    /// No answer within the timeout; the shim was killed.
    Timeout {
        /// The command.
        cmd: String,
        /// How long the harness waited.
        after: Duration,
    },
    /// The shim's standard output ended before the answer.
    Eof {
        /// The command.
        cmd: String,
    },
    /// An answer line longer than [`MAX_LINE`]; the shim was killed.
    LineTooLong {
        /// The command.
        cmd: String,
        /// The bytes read before giving up (more than the limit).
        len: usize,
        /// The line's beginning.
        start: String,
    },
    /// A line that is not a valid answer.
    Malformed {
        /// The command.
        cmd: String,
        /// The offending line.
        line: String,
        /// What is wrong with it.
        why: String,
    },
    /// An answer whose `id` is not the request's.
    WrongId {
        /// The command.
        cmd: String,
        /// The request id.
        expected: u64,
        /// The answer's id.
        got: u64,
        /// The offending line.
        line: String,
    },
    /// An earlier violation left the shim unusable.
    Dead(String),
}

impl fmt::Display for ShimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShimError::Spawn(e) => write!(f, "cannot start the shim: {e}"),
            ShimError::Write { cmd, error } => {
                write!(f, "cannot send `{cmd}` to the shim: {error}")
            }
            ShimError::Timeout { cmd, after } => write!(
                f,
                "shim protocol violation: no answer to `{cmd}` within {} s",
                after.as_secs_f64()
            ),
            ShimError::Eof { cmd } => write!(
                f,
                "shim protocol violation: the shim's output ended before the answer to `{cmd}`"
            ),
            ShimError::LineTooLong { cmd, len, start } => write!(
                f,
                "shim protocol violation: answer to `{cmd}` longer than {MAX_LINE} bytes ({len}+ bytes): {start}"
            ),
            ShimError::Malformed { cmd, line, why } => write!(
                f,
                "shim protocol violation: answer to `{cmd}` is not a valid answer ({why}): {line}"
            ),
            ShimError::WrongId {
                cmd,
                expected,
                got,
                line,
            } => write!(
                f,
                "shim protocol violation: answer to `{cmd}` (id {expected}) carries id {got}: {line}"
            ),
            ShimError::Dead(why) => write!(f, "the shim is no longer usable: {why}"),
        }
    }
}

impl std::error::Error for ShimError {}

/// What the shim said in its hello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    /// The chosen protocol version.
    pub version: u64,
    /// `name version` of the implementation.
    pub implementation: String,
    /// The command names it implements (hello included).
    pub capabilities: Vec<String>,
}

/// One line of the stdout reader thread.
enum OutLine {
    Line(String),
    TooLong { len: usize, start: String },
    Eof,
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... ({} bytes)",
        s.get(..end).unwrap_or_default(),
        s.len()
    )
}

/// Reads lines of at most [`MAX_LINE`] bytes; a longer line ends the stream.
fn read_stdout(out: impl Read, tx: &mpsc::Sender<OutLine>) {
    let mut r = BufReader::new(out);
    loop {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let buf = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => &[],
            };
            if buf.is_empty() {
                break;
            }
            let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (buf.get(..=i).unwrap_or_default(), true),
                None => (buf, false),
            };
            let n = chunk.len();
            line.extend_from_slice(chunk);
            r.consume(n);
            if line.len() > MAX_LINE + 1 || (!done && line.len() > MAX_LINE) {
                too_long = true;
                break;
            }
            if done {
                break;
            }
        }
        if too_long {
            let start = String::from_utf8_lossy(line.get(..200).unwrap_or(&line)).into_owned();
            let _ = tx.send(OutLine::TooLong {
                len: line.len(),
                start,
            });
            return;
        }
        if line.is_empty() {
            let _ = tx.send(OutLine::Eof);
            return;
        }
        let ended = line.last() == Some(&b'\n');
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if tx
            .send(OutLine::Line(String::from_utf8_lossy(&line).into_owned()))
            .is_err()
        {
            return;
        }
        if !ended {
            let _ = tx.send(OutLine::Eof);
            return;
        }
    }
}

/// A running shim.
pub struct Shim {
    command: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Receiver<OutLine>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    transcript: Vec<String>,
    next_id: u64,
    timeout: Duration,
    dead: Option<String>,
    hello: Option<Hello>,
}

impl Shim {
    /// Starts `sh -c command` with piped standard streams, in a process group of its own so
    /// that everything it starts can be stopped with it.
    pub fn spawn(command: &str, timeout: Duration) -> Result<Shim, ShimError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| ShimError::Spawn(format!("sh -c {command:?}: {e}")))?;
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::Builder::new()
                .name("shim-stdout".into())
                .spawn(move || read_stdout(out, &tx))
                .map_err(|e| ShimError::Spawn(format!("reader thread: {e}")))?;
        }
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(err) = child.stderr.take() {
            let tail = stderr.clone();
            std::thread::Builder::new()
                .name("shim-stderr".into())
                .spawn(move || {
                    let mut r = BufReader::new(err.take(64 * 1024 * 1024));
                    let mut buf = Vec::new();
                    loop {
                        buf.clear();
                        match r.read_until(b'\n', &mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {
                                let l = String::from_utf8_lossy(&buf);
                                if let Ok(mut t) = tail.lock() {
                                    t.push_back(cut(l.trim_end(), 1000));
                                    while t.len() > STDERR_LINES {
                                        t.pop_front();
                                    }
                                }
                            }
                        }
                    }
                })
                .map_err(|e| ShimError::Spawn(format!("reader thread: {e}")))?;
        }
        Ok(Shim {
            command: command.to_owned(),
            child: Some(child),
            stdin,
            lines,
            stderr,
            transcript: Vec::new(),
            next_id: 1,
            timeout,
            dead: None,
            hello: None,
        })
    }

    /// The command the shim was started with.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The per-answer timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes the per-answer timeout.
    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    /// What the hello established, once [`Shim::hello`] succeeded.
    pub fn hello_info(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    /// True when the hello listed `cmd` among the capabilities.
    pub fn has(&self, cmd: &str) -> bool {
        self.hello
            .as_ref()
            .is_some_and(|h| h.capabilities.iter().any(|c| c == cmd))
    }

    fn note(&mut self, s: String) {
        self.transcript.push(cut(&s, TRANSCRIPT_LINE));
        if self.transcript.len() > TRANSCRIPT_ITEMS {
            self.transcript.remove(0);
        }
    }

    fn die(&mut self, e: ShimError) -> ShimError {
        self.note(format!("! {e}"));
        self.dead = Some(e.to_string());
        self.kill();
        e
    }

    /// Sends one request and reads its answer (the whole protocol check of one exchange).
    pub fn call(&mut self, cmd: &str, args: Value) -> Result<Answer, ShimError> {
        self.call_with_version(PROTOCOL_VERSION, cmd, args)
    }

    /// As [`Shim::call`], with `v` set to `version` (a test of HRT-SHIM-15 sends another).
    pub fn call_with_version(
        &mut self,
        version: u64,
        cmd: &str,
        args: Value,
    ) -> Result<Answer, ShimError> {
        if let Some(why) = &self.dead {
            return Err(ShimError::Dead(why.clone()));
        }
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"v": version, "id": id, "cmd": cmd, "args": args}).to_string();
        self.note(format!("> {line}"));
        let written = match self.stdin.as_mut() {
            None => Err("standard input already closed".to_owned()),
            Some(w) => w
                .write_all(line.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .and_then(|()| w.flush())
                .map_err(|e| e.to_string()),
        };
        if let Err(error) = written {
            return Err(self.die(ShimError::Write {
                cmd: cmd.to_owned(),
                error,
            }));
        }
        let got = self.lines.recv_timeout(self.timeout);
        let line = match got {
            Ok(OutLine::Line(l)) => l,
            Ok(OutLine::TooLong { len, start }) => {
                return Err(self.die(ShimError::LineTooLong {
                    cmd: cmd.to_owned(),
                    len,
                    start,
                }))
            }
            Ok(OutLine::Eof) | Err(RecvTimeoutError::Disconnected) => {
                return Err(self.die(ShimError::Eof {
                    cmd: cmd.to_owned(),
                }))
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(self.die(ShimError::Timeout {
                    cmd: cmd.to_owned(),
                    after: self.timeout,
                }))
            }
        };
        self.note(format!("< {line}"));
        match Answer::parse(&line, id) {
            Ok(a) => Ok(a),
            Err(Violation::Malformed(why)) => Err(self.die(ShimError::Malformed {
                cmd: cmd.to_owned(),
                line: cut(&line, 2000),
                why,
            })),
            Err(Violation::WrongId { got }) => Err(self.die(ShimError::WrongId {
                cmd: cmd.to_owned(),
                expected: id,
                got,
                line: cut(&line, 2000),
            })),
        }
    }

    /// The handshake: `hello {"versions":[1]}`, which must be answered `ok` with version 1 and
    /// a list of capabilities. Stores and returns what the shim said. An `Err` here means the
    /// shim did not complete the hello (a harness error, spec §14.5).
    pub fn hello(&mut self) -> Result<Hello, String> {
        let a = self
            .call("hello", json!({"versions": [PROTOCOL_VERSION]}))
            .map_err(|e| e.to_string())?;
        let Answer::Ok(v) = a else {
            return Err(format!(
                "the shim did not accept hello with versions [1]: {}",
                a.describe()
            ));
        };
        let version = v
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("hello answer without an unsigned `version`: {v}"))?;
        if version != PROTOCOL_VERSION {
            return Err(format!(
                "the shim chose version {version}, but only [1] was offered"
            ));
        }
        let caps = v
            .get("capabilities")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("hello answer without a `capabilities` list: {v}"))?;
        let mut capabilities = Vec::new();
        for c in caps {
            match c.as_str() {
                Some(s) => capabilities.push(s.to_owned()),
                None => return Err(format!("a capability that is not a string: {c}")),
            }
        }
        let h = Hello {
            version,
            implementation: v
                .get("implementation")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            capabilities,
        };
        self.hello = Some(h.clone());
        Ok(h)
    }

    /// Sends `shutdown`, waits up to [`SHUTDOWN_WAIT`] for the shim to exit, then kills it.
    /// Returns the answer (or the violation), for tests that care.
    pub fn shutdown(&mut self) -> Result<Answer, ShimError> {
        let saved = self.timeout;
        self.timeout = self.timeout.min(SHUTDOWN_WAIT);
        let a = self.call("shutdown", json!({}));
        self.timeout = saved;
        drop(self.stdin.take());
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        if let Some(child) = self.child.as_mut() {
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        self.kill();
        a
    }

    /// Closes the shim's standard input (end of input, or after `shutdown`) and waits up to
    /// `within` for it to exit: its exit status, or `None` if it was still running (it is then
    /// killed). Also reports whether it wrote anything more on standard output meanwhile.
    pub fn close_and_wait(&mut self, within: Duration) -> (Option<std::process::ExitStatus>, bool) {
        drop(self.stdin.take());
        let deadline = Instant::now() + within;
        let mut status = None;
        if let Some(child) = self.child.as_mut() {
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(st)) => {
                        status = Some(st);
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Err(_) => break,
                }
            }
        }
        let extra = matches!(
            self.lines.recv_timeout(Duration::from_millis(50)),
            Ok(OutLine::Line(_) | OutLine::TooLong { .. })
        );
        self.kill();
        (status, extra)
    }

    /// Kills the shim (and its process group) and reaps it.
    pub fn kill(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            if let Ok(None) = child.try_wait() {
                #[cfg(unix)]
                {
                    // The process group created at spawn: `sh` and whatever it started.
                    let _ = Command::new("kill")
                        .arg("-KILL")
                        .arg("--")
                        .arg(format!("-{}", child.id()))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                }
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }

    /// The transcript so far: `> request`, `< answer`, `! violation` lines.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    /// The last lines the shim wrote to standard error.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The transcript and stderr tail as report text (indented lines).
    pub fn report(&self) -> String {
        let mut s = format!("shim `{}` transcript:", self.command);
        for l in &self.transcript {
            s.push_str("\n      ");
            s.push_str(l);
        }
        let tail = self.stderr_tail();
        if !tail.is_empty() {
            s.push_str("\n    shim stderr (tail):");
            for l in tail {
                s.push_str("\n      ");
                s.push_str(&l);
            }
        }
        s
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `args` of a command from key/value pairs.
pub fn args(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_owned(), v.clone());
    }
    Value::Object(m)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn fake(script: &str) -> Shim {
        match Shim::spawn(script, Duration::from_secs(2)) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_the_four_answers() {
        assert_eq!(
            Answer::parse(r#"{"id":3,"ok":{"a":1}}"#, 3),
            Ok(Answer::Ok(json!({"a":1})))
        );
        assert_eq!(
            Answer::parse(r#"{"id":3,"unsupported":{}}"#, 3),
            Ok(Answer::Unsupported)
        );
        assert!(matches!(
            Answer::parse(
                r#"{"id":3,"error":{"code":"fork_detected","number":74,"message":"x"}}"#,
                3
            ),
            Ok(Answer::Error { number: 74, .. })
        ));
        assert!(matches!(
            Answer::parse(r#"{"id":3,"failed":{"message":"x"}}"#, 3),
            Ok(Answer::Failed { .. })
        ));
        assert_eq!(
            Answer::parse(r#"{"id":4,"ok":{}}"#, 3),
            Err(Violation::WrongId { got: 4 })
        );
        for bad in [
            "garbage",
            "[]",
            r#"{"ok":{}}"#,
            r#"{"id":3}"#,
            r#"{"id":3,"ok":{},"failed":{}}"#,
            r#"{"id":3,"ok":1}"#,
            r#"{"id":3,"error":{"code":"x"}}"#,
        ] {
            assert!(
                matches!(Answer::parse(bad, 3), Err(Violation::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_good_fake_shim_completes_hello_and_shutdown() {
        let mut s = fake(
            r#"while read -r l; do id=$(echo "$l" | sed 's/.*"id":\([0-9]*\).*/\1/'); case "$l" in *'"cmd":"hello"'*) echo "{\"id\":$id,\"ok\":{\"version\":1,\"implementation\":\"fake 0\",\"capabilities\":[\"hello\",\"shutdown\"]}}";; *'"cmd":"shutdown"'*) echo "{\"id\":$id,\"ok\":{}}"; exit 0;; *) echo "{\"id\":$id,\"unsupported\":{}}";; esac; done"#,
        );
        let h = s.hello();
        assert_eq!(h.as_ref().map(|h| h.version), Ok(1), "{h:?}");
        assert!(s.has("shutdown"));
        assert_eq!(s.call("nope", json!({})), Ok(Answer::Unsupported));
        assert_eq!(s.shutdown(), Ok(Answer::Ok(json!({}))));
        assert_eq!(s.transcript().len(), 6);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let mut s = fake("read -r l; echo 'this is not json'; sleep 5");
        let r = s.call("hello", json!({}));
        assert!(
            matches!(r, Err(ShimError::Malformed { ref line, .. }) if line == "this is not json"),
            "{r:?}"
        );
        // The shim is dead afterwards; further calls fail fast.
        assert!(matches!(s.call("x", json!({})), Err(ShimError::Dead(_))));
    }

    #[test]
    fn wrong_id_is_a_typed_error() {
        let mut s = fake(r#"read -r l; echo '{"id":99,"ok":{}}'; sleep 5"#);
        let r = s.call("hello", json!({}));
        assert!(
            matches!(
                r,
                Err(ShimError::WrongId {
                    expected: 1,
                    got: 99,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn eof_is_a_typed_error() {
        let mut s = fake("echo oops >&2; exit 0");
        let r = s.call("hello", json!({}));
        assert!(
            matches!(r, Err(ShimError::Eof { .. }) | Err(ShimError::Write { .. })),
            "{r:?}"
        );
        // The stderr tail is kept (give the reader thread a moment).
        std::thread::sleep(Duration::from_millis(100));
        assert!(s.report().contains("oops"), "{}", s.report());
    }

    #[test]
    fn timeout_is_a_typed_error_and_kills() {
        let mut s = fake("sleep 30");
        s.set_timeout(Duration::from_millis(300));
        let t0 = Instant::now();
        let r = s.call("hello", json!({}));
        assert!(matches!(r, Err(ShimError::Timeout { .. })), "{r:?}");
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_overlong_line_is_a_typed_error() {
        let mut s = fake("read -r l; head -c 1100000 /dev/zero | tr '\\0' 'a'; echo; sleep 5");
        let r = s.call("hello", json!({}));
        assert!(matches!(r, Err(ShimError::LineTooLong { .. })), "{r:?}");
    }

    #[test]
    fn a_hello_without_capabilities_is_refused() {
        let mut s = fake(r#"read -r l; echo '{"id":1,"ok":{"version":1}}'; sleep 5"#);
        assert!(s.hello().is_err());
        let mut s = fake(r#"read -r l; echo '{"id":1,"failed":{"message":"no common version"}}'"#);
        assert!(s.hello().is_err());
    }
}
