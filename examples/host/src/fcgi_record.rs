//! The FastCGI record layer (FastCGI Specification 1.0, Open Market 1996), sans-IO: record
//! headers and bodies (§3.3, §5.1, §5.5, §4.2), name-value pairs (§3.4) and the encoders the
//! responder role needs. Nothing here reads or writes a socket.
//!
//! The module uses only `core` and `alloc` items through `std`, and no other module of this
//! crate, so that the fuzz workspace (`fuzz/`) can include the file as it is.

use std::fmt;

/// `FCGI_VERSION_1`, the only version (§8).
pub const VERSION_1: u8 = 1;
/// `FCGI_HEADER_LEN` (§8).
pub const HEADER_LEN: usize = 8;
/// The largest content of one record (a 16-bit length, §3.3).
pub const MAX_CONTENT: usize = 0xffff;
/// The largest record on the wire: header, content and 255 bytes of padding.
pub const MAX_RECORD: usize = HEADER_LEN + MAX_CONTENT + 0xff;
/// `FCGI_NULL_REQUEST_ID`: management records (§3.3).
pub const NULL_REQUEST_ID: u16 = 0;

/// A record type (§8, `FCGI_BEGIN_REQUEST` … `FCGI_UNKNOWN_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordType(pub u8);

impl RecordType {
    /// `FCGI_BEGIN_REQUEST` (§5.1).
    pub const BEGIN_REQUEST: RecordType = RecordType(1);
    /// `FCGI_ABORT_REQUEST` (§5.4).
    pub const ABORT_REQUEST: RecordType = RecordType(2);
    /// `FCGI_END_REQUEST` (§5.5).
    pub const END_REQUEST: RecordType = RecordType(3);
    /// `FCGI_PARAMS` (§5.2).
    pub const PARAMS: RecordType = RecordType(4);
    /// `FCGI_STDIN` (§5.3).
    pub const STDIN: RecordType = RecordType(5);
    /// `FCGI_STDOUT` (§5.3).
    pub const STDOUT: RecordType = RecordType(6);
    /// `FCGI_STDERR` (§5.3).
    pub const STDERR: RecordType = RecordType(7);
    /// `FCGI_DATA` (§5.3, filter role only).
    pub const DATA: RecordType = RecordType(8);
    /// `FCGI_GET_VALUES` (§4.1).
    pub const GET_VALUES: RecordType = RecordType(9);
    /// `FCGI_GET_VALUES_RESULT` (§4.1).
    pub const GET_VALUES_RESULT: RecordType = RecordType(10);
    /// `FCGI_UNKNOWN_TYPE` (§4.2).
    pub const UNKNOWN_TYPE: RecordType = RecordType(11);
}

/// `FCGI_RESPONDER`, the only role this host plays (§6.2).
pub const ROLE_RESPONDER: u16 = 1;
/// `FCGI_KEEP_CONN` in the flags of `FCGI_BeginRequestBody` (§5.1).
pub const FLAG_KEEP_CONN: u8 = 1;

/// `protocolStatus` of `FCGI_EndRequestBody` (§5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolStatus(pub u8);

impl ProtocolStatus {
    /// `FCGI_REQUEST_COMPLETE`.
    pub const REQUEST_COMPLETE: ProtocolStatus = ProtocolStatus(0);
    /// `FCGI_CANT_MPX_CONN`: a second request on a connection of a non-multiplexing
    /// application.
    pub const CANT_MPX_CONN: ProtocolStatus = ProtocolStatus(1);
    /// `FCGI_OVERLOADED`.
    pub const OVERLOADED: ProtocolStatus = ProtocolStatus(2);
    /// `FCGI_UNKNOWN_ROLE`.
    pub const UNKNOWN_ROLE: ProtocolStatus = ProtocolStatus(3);
}

/// Why bytes from the web server are refused. One enum for the FastCGI layer (the record
/// codec and the connection state machine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FcgiError {
    /// A record header with a version other than `FCGI_VERSION_1`.
    Version(u8),
    /// A body of the wrong length for its type (`FCGI_BeginRequestBody` is 8 bytes).
    BodyLength {
        /// The record type.
        kind: u8,
        /// The content length received.
        len: usize,
    },
    /// A name-value pair whose lengths run past the end of its stream (§3.4).
    TruncatedPair,
    /// A record a web server does not send, or one out of order on this connection.
    Unexpected {
        /// The record type.
        kind: u8,
        /// The record's request id.
        request_id: u16,
    },
    /// `FCGI_BEGIN_REQUEST` for a request id that is already active.
    DuplicateRequest(u16),
    /// The `FCGI_PARAMS` stream of one request is longer than the bound.
    ParamsTooLarge(usize),
    /// A parameter the host reads appears more than once.
    DuplicateParam(String),
    /// More than the bound of request body bytes after the answer was sent.
    DrainTooLong(u64),
    /// The caller fed more bytes than one record before polling (a bug in the IO shell).
    Overfed(usize),
}

impl fmt::Display for FcgiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FcgiError::Version(v) => write!(f, "FastCGI record of version {v} (only 1 exists)"),
            FcgiError::BodyLength { kind, len } => {
                write!(f, "FastCGI record of type {kind} with a {len}-byte body")
            }
            FcgiError::TruncatedPair => f.write_str("FastCGI name-value pair runs past its stream"),
            FcgiError::Unexpected { kind, request_id } => write!(
                f,
                "unexpected FastCGI record of type {kind} for request {request_id}"
            ),
            FcgiError::DuplicateRequest(id) => {
                write!(f, "FCGI_BEGIN_REQUEST for active request {id}")
            }
            FcgiError::ParamsTooLarge(n) => {
                write!(f, "FastCGI parameters over {n} bytes")
            }
            FcgiError::DuplicateParam(n) => write!(f, "FastCGI parameter {n} given twice"),
            FcgiError::DrainTooLong(n) => {
                write!(f, "more than {n} request body bytes after the answer")
            }
            FcgiError::Overfed(n) => write!(f, "{n} bytes buffered before polling"),
        }
    }
}

impl std::error::Error for FcgiError {}

/// One record, borrowing its content from the input (§3.3). Padding is checked for length
/// only; its bytes carry no meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record type.
    pub kind: RecordType,
    /// The request id (`FCGI_NULL_REQUEST_ID` for management records).
    pub request_id: u16,
    /// `contentData`.
    pub content: &'a [u8],
    /// `paddingLength`.
    pub padding: u8,
}

impl Record<'_> {
    /// The number of bytes the record occupies on the wire.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.content.len() + usize::from(self.padding)
    }
}

/// Decodes the record at the start of `buf`: `Ok(None)` when more bytes are needed, else the
/// record and the bytes it occupies. Only the version is judged here; what a type means is the
/// caller's business.
pub fn decode(buf: &[u8]) -> Result<Option<(Record<'_>, usize)>, FcgiError> {
    let Some(head) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let &[version, kind, id1, id0, len1, len0, padding, _reserved] = head else {
        return Ok(None);
    };
    if version != VERSION_1 {
        return Err(FcgiError::Version(version));
    }
    let len = usize::from(u16::from_be_bytes([len1, len0]));
    let total = HEADER_LEN + len + usize::from(padding);
    let (Some(content), true) = (buf.get(HEADER_LEN..HEADER_LEN + len), buf.len() >= total) else {
        return Ok(None);
    };
    Ok(Some((
        Record {
            kind: RecordType(kind),
            request_id: u16::from_be_bytes([id1, id0]),
            content,
            padding,
        },
        total,
    )))
}

/// Appends one record with `content` (at most [`MAX_CONTENT`] bytes; longer content is cut
/// there, so callers split streams with [`encode_stream`]) and padding to a multiple of 8
/// bytes, as §3.3 recommends.
pub fn encode(out: &mut Vec<u8>, kind: RecordType, request_id: u16, content: &[u8]) {
    let content = content.get(..MAX_CONTENT).unwrap_or(content);
    let len = content.len();
    let padding = (8 - len % 8) % 8;
    let [id1, id0] = request_id.to_be_bytes();
    let [len1, len0] = (len as u16).to_be_bytes();
    out.extend_from_slice(&[VERSION_1, kind.0, id1, id0, len1, len0, padding as u8, 0]);
    out.extend_from_slice(content);
    out.resize(out.len() + padding, 0);
}

/// The largest chunk [`encode_stream`] puts in one record (a multiple of 8: no padding).
pub const STREAM_CHUNK: usize = MAX_CONTENT - MAX_CONTENT % 8;

/// Appends a whole stream (`FCGI_STDOUT`, `FCGI_PARAMS`, …): `data` in records of at most
/// [`STREAM_CHUNK`] bytes, then the empty record that ends the stream (§3.3).
pub fn encode_stream(out: &mut Vec<u8>, kind: RecordType, request_id: u16, data: &[u8]) {
    for chunk in data.chunks(STREAM_CHUNK) {
        encode(out, kind, request_id, chunk);
    }
    encode(out, kind, request_id, &[]);
}

/// `FCGI_BeginRequestBody` (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeginRequest {
    /// The role the web server wants.
    pub role: u16,
    /// `flags` (`FCGI_KEEP_CONN`; the other bits are reserved).
    pub flags: u8,
}

impl BeginRequest {
    /// Decodes the 8-byte body; any other length is refused.
    pub fn decode(content: &[u8]) -> Result<BeginRequest, FcgiError> {
        match content {
            &[r1, r0, flags, _, _, _, _, _] => Ok(BeginRequest {
                role: u16::from_be_bytes([r1, r0]),
                flags,
            }),
            _ => Err(FcgiError::BodyLength {
                kind: RecordType::BEGIN_REQUEST.0,
                len: content.len(),
            }),
        }
    }

    /// The 8-byte body (reserved bytes zero).
    pub fn encode(&self) -> [u8; 8] {
        let [r1, r0] = self.role.to_be_bytes();
        [r1, r0, self.flags, 0, 0, 0, 0, 0]
    }

    /// Whether the web server keeps the connection open after this request.
    pub fn keep_conn(&self) -> bool {
        self.flags & FLAG_KEEP_CONN != 0
    }
}

/// `FCGI_EndRequestBody` (§5.5).
pub fn end_request_body(app_status: u32, status: ProtocolStatus) -> [u8; 8] {
    let [a3, a2, a1, a0] = app_status.to_be_bytes();
    [a3, a2, a1, a0, status.0, 0, 0, 0]
}

/// Appends an `FCGI_END_REQUEST` record.
pub fn encode_end_request(
    out: &mut Vec<u8>,
    request_id: u16,
    app_status: u32,
    status: ProtocolStatus,
) {
    encode(
        out,
        RecordType::END_REQUEST,
        request_id,
        &end_request_body(app_status, status),
    );
}

/// Appends an `FCGI_UNKNOWN_TYPE` management record naming `kind` (§4.2).
pub fn encode_unknown_type(out: &mut Vec<u8>, kind: RecordType) {
    encode(
        out,
        RecordType::UNKNOWN_TYPE,
        NULL_REQUEST_ID,
        &[kind.0, 0, 0, 0, 0, 0, 0, 0],
    );
}

/// Reads one length of a name-value pair (§3.4): one byte below 128, else four bytes with the
/// top bit set. Returns the length and the rest of the input.
fn pair_len(buf: &[u8]) -> Result<(usize, &[u8]), FcgiError> {
    match buf {
        [b, rest @ ..] if b & 0x80 == 0 => Ok((usize::from(*b), rest)),
        [b3, b2, b1, b0, rest @ ..] => {
            let n = u32::from_be_bytes([b3 & 0x7f, *b2, *b1, *b0]);
            Ok((n as usize, rest))
        }
        _ => Err(FcgiError::TruncatedPair),
    }
}

/// One name-value pair (§3.4), borrowed from its stream.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Decodes a complete name-value stream (the concatenated content of `FCGI_PARAMS`,
/// `FCGI_GET_VALUES` or `FCGI_GET_VALUES_RESULT` records) into pairs borrowing from it. Both
/// length forms are accepted for any length (§3.4 does not require the short one).
pub fn decode_pairs(mut buf: &[u8]) -> Result<Vec<Pair<'_>>, FcgiError> {
    let mut pairs = Vec::new();
    while !buf.is_empty() {
        let (nlen, rest) = pair_len(buf)?;
        let (vlen, rest) = pair_len(rest)?;
        let name = rest.get(..nlen).ok_or(FcgiError::TruncatedPair)?;
        let rest = rest.get(nlen..).ok_or(FcgiError::TruncatedPair)?;
        let value = rest.get(..vlen).ok_or(FcgiError::TruncatedPair)?;
        buf = rest.get(vlen..).ok_or(FcgiError::TruncatedPair)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    match u8::try_from(n) {
        Ok(b) if b < 0x80 => out.push(b),
        _ => {
            let n = u32::try_from(n).unwrap_or(u32::MAX) & 0x7fff_ffff;
            out.extend_from_slice(&(n | 0x8000_0000).to_be_bytes());
        }
    }
}

/// Appends one name-value pair in the shortest length forms (§3.4). Names and values are
/// cut at 2³¹ − 1 bytes, the most a length can say.
pub fn encode_pair(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    const MAX: usize = 0x7fff_ffff;
    let name = name.get(..MAX).unwrap_or(name);
    let value = value.get(..MAX).unwrap_or(value);
    put_len(out, name.len());
    put_len(out, value.len());
    out.extend_from_slice(name);
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn header_fields_in_network_order() {
        let mut out = Vec::new();
        encode(&mut out, RecordType::STDOUT, 0x0102, b"abc");
        assert_eq!(
            out,
            [1, 6, 1, 2, 0, 3, 5, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0]
        );
        let (r, n) = decode(&out).unwrap().unwrap();
        assert_eq!(n, 16);
        assert_eq!(r.kind, RecordType::STDOUT);
        assert_eq!(r.request_id, 0x0102);
        assert_eq!(r.content, b"abc");
        assert_eq!(r.padding, 5);
    }

    #[test]
    fn partial_input_asks_for_more() {
        let mut out = Vec::new();
        encode(&mut out, RecordType::PARAMS, 1, &[7; 20]);
        for cut in 0..out.len() {
            assert_eq!(decode(&out[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(decode(&out).unwrap().is_some());
    }

    #[test]
    fn other_versions_are_refused() {
        let rec = [2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode(&rec), Err(FcgiError::Version(2)));
        assert_eq!(decode(&[0u8; 8]), Err(FcgiError::Version(0)));
    }

    #[test]
    fn begin_request_body_is_exactly_8_bytes() {
        assert_eq!(
            BeginRequest::decode(&[0, 1, 1, 0, 0, 0, 0, 0]),
            Ok(BeginRequest { role: 1, flags: 1 })
        );
        assert!(BeginRequest::decode(&[0, 1, 1, 0, 0, 0, 0, 0])
            .unwrap()
            .keep_conn());
        for len in [0, 7, 9] {
            assert_eq!(
                BeginRequest::decode(&vec![0; len]),
                Err(FcgiError::BodyLength { kind: 1, len })
            );
        }
    }

    #[test]
    fn pairs_both_length_forms() {
        // The example of §3.4 in spirit: a short name, a 300-byte value.
        let mut s = Vec::new();
        encode_pair(&mut s, b"SCRIPT_NAME", &[b'x'; 300]);
        assert_eq!(s[0], 11);
        assert_eq!(&s[1..5], &[0x80, 0, 1, 44]);
        let pairs = decode_pairs(&s).unwrap();
        assert_eq!(pairs, vec![(&b"SCRIPT_NAME"[..], &[b'x'; 300][..])]);
        // A long form for a short length is accepted.
        let long = [0x80, 0, 0, 1, 0, b'A'];
        assert_eq!(decode_pairs(&long).unwrap(), vec![(&b"A"[..], &b""[..])]);
    }

    #[test]
    fn truncated_pairs_are_refused() {
        for bad in [
            &[5u8][..],
            &[1, 1, b'a'],
            &[0x80, 0, 0],
            &[0x80, 0, 0, 1, 0x90],
        ] {
            assert_eq!(decode_pairs(bad), Err(FcgiError::TruncatedPair), "{bad:?}");
        }
        // A length near 2^31 is refused on the input's length, not allocated.
        assert_eq!(
            decode_pairs(&[0xff, 0xff, 0xff, 0xff, 0, b'x']),
            Err(FcgiError::TruncatedPair)
        );
    }

    #[test]
    fn streams_split_and_end_with_an_empty_record() {
        let data = vec![9u8; STREAM_CHUNK + 10];
        let mut out = Vec::new();
        encode_stream(&mut out, RecordType::STDOUT, 3, &data);
        let mut rest = &out[..];
        let mut got = Vec::new();
        let mut lens = Vec::new();
        while let Some((r, n)) = decode(rest).unwrap() {
            got.extend_from_slice(r.content);
            lens.push(r.content.len());
            rest = &rest[n..];
        }
        assert!(rest.is_empty());
        assert_eq!(lens, vec![STREAM_CHUNK, 10, 0]);
        assert_eq!(got, data);
    }

    #[test]
    fn end_request_and_unknown_type_bodies() {
        assert_eq!(
            end_request_body(0x0102_0304, ProtocolStatus::UNKNOWN_ROLE),
            [1, 2, 3, 4, 3, 0, 0, 0]
        );
        let mut out = Vec::new();
        encode_unknown_type(&mut out, RecordType(42));
        assert_eq!(out, [1, 11, 0, 0, 0, 8, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0]);
    }
}
