//! Families `wire` (the hCBOR profile and typed decoding, spec §2, from the committed inputs
//! of `wire/tests/inputs`) and `structures` (the canonical encoding of every structure the
//! worked example produces, each with mechanical invalid variants).

use hearth_wire::entry::entry_point;
use hearth_wire::{validate, Profile, WireError};
use serde_json::Value;

use crate::families::scenario::Scenario;
use crate::model::{hx, Case, Expected, GenError, VectorFile, R};

fn layer(bytes: &[u8]) -> &'static str {
    if validate(bytes, &Profile::DEFAULT).is_err() {
        "profile"
    } else {
        "schema"
    }
}

/// One decode case: the entry point's verdict on `bytes`.
pub fn decode_case(
    id: String,
    description: &str,
    rule: &str,
    bytes: &[u8],
    extra_reqs: &[&str],
) -> R<Case> {
    let ep = entry_point(rule).ok_or_else(|| GenError(format!("no entry point {rule}")))?;
    let mut c = Case::new(id, description, &[])
        .input("rule", rule)
        .input("hex", hx(bytes))
        .input("diagnostic", hearth_wire::diag::to_diagnostic(bytes))
        .mid("layer", layer(bytes));
    for r in extra_reqs {
        c = c.req(r);
    }
    match (ep.decode)(bytes) {
        Ok(re) => {
            if re != bytes {
                return Err(GenError(format!("{rule}: re-encoding differs")));
            }
            Ok(c.req("HRT-CONV-2")
                .req("HRT-WIRE-11")
                .out("reencoded_hex", hx(&re))
                .out(
                    "diagnostic_nested",
                    Value::String(hearth_wire::diag::to_diagnostic_nested(bytes)),
                ))
        }
        Err(e) => Ok(c
            .req("HRT-CONV-2")
            .req(e.requirement())
            .err(Expected::wire(e))),
    }
}

/// The `wire` family.
pub fn wire_family() -> R<VectorFile> {
    let dir = crate::workspace_root().join("wire/tests/inputs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for n in names {
        let text = std::fs::read_to_string(dir.join(&n))?;
        let mut lines = text.lines();
        let rule = lines.next().unwrap_or_default().trim().to_owned();
        // Everything after `#` on a line is a comment (the file's reason, shown below).
        let mut notes: Vec<&str> = Vec::new();
        let hexs: String = lines
            .flat_map(|l| {
                let (data, note) = l.split_once('#').unwrap_or((l, ""));
                if !note.trim().is_empty() {
                    notes.push(note.trim());
                }
                data.chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<Vec<_>>()
            })
            .collect();
        let bytes = crate::util::unhex(&hexs);
        let stem = n.trim_end_matches(".txt").replace('_', "-");
        let desc = if notes.is_empty() {
            format!("committed input wire/tests/inputs/{n}")
        } else {
            format!("committed input wire/tests/inputs/{n}: {}", notes.join(" "))
        };
        let mut extra: Vec<String> = Vec::new();
        if let Some(rest) = n
            .strip_prefix("err_hrt_wire_")
            .or_else(|| n.strip_prefix("ok_hrt_wire_"))
        {
            let num: String = rest.chars().take_while(char::is_ascii_digit).collect();
            extra.push(format!("HRT-WIRE-{num}"));
        }
        if n.starts_with("err_ext_crit") {
            extra.push("HRT-EXT-11".into());
        } else if n.starts_with("err_ext_") || n.contains("ext_17") {
            extra.push("HRT-EXT-10".into());
        }
        if n.starts_with("ok_ext_grease") {
            extra.push("HRT-EXT-20".into());
            extra.push("HRT-EXT-13".into());
        }
        if n.starts_with("ok_ext_unknown_noncritical") {
            extra.push("HRT-EXT-13".into());
            extra.push("HRT-EXT-14".into());
        }
        if n.contains("then_structure_error") {
            extra.push("HRT-WIRE-22".into());
        }
        if n.contains("inner") {
            extra.push("HRT-WIRE-17".into());
        }
        // Requirement IDs named in the file's comments.
        for note in &notes {
            for word in note.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                let id = word.trim_end_matches('-');
                if id.starts_with("HRT-")
                    && id
                        .rsplit('-')
                        .next()
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                    && !extra.iter().any(|x| x == id)
                {
                    extra.push(id.to_owned());
                }
            }
        }
        let refs: Vec<&str> = extra.iter().map(String::as_str).collect();
        cases.push(decode_case(
            format!("wire-{stem}"),
            &desc,
            &rule,
            &bytes,
            &refs,
        )?);
    }
    // Profile rules on a minimal structure (the empty ext map and small Requests), one per
    // detail code, so that every profile-level code has a short vector.
    let extra: Vec<(&str, &str, &str, Vec<u8>)> = vec![
        ("ext-empty", "the empty ext map", "ext", vec![0xa0]),
        (
            "ext-noncanonical-count",
            "a map count in a one-byte argument",
            "ext",
            vec![0xb8, 0x00],
        ),
        (
            "ext-indefinite-map",
            "an indefinite-length map",
            "ext",
            vec![0xbf, 0xff],
        ),
        ("ext-break-byte", "a lone break byte", "ext", vec![0xff]),
        ("ext-empty-input", "empty input", "ext", vec![]),
        (
            "ext-float-key",
            "a half-precision float as map key",
            "ext",
            vec![0xa1, 0xf9, 0x3c, 0x00, 0x00],
        ),
        (
            "ext-simple-value",
            "the simple value 'undefined'",
            "ext",
            vec![0xf7],
        ),
        (
            "ext-bad-utf8-key",
            "a text key that is not UTF-8",
            "ext",
            vec![0xa1, 0x61, 0xff, 0x00],
        ),
        (
            "ext-two-items",
            "two complete items",
            "ext",
            vec![0xa0, 0xa0],
        ),
        (
            "ext-uint64-head-for-small",
            "a key 0 encoded with an 8-byte argument",
            "ext",
            vec![0xa1, 0x1b, 0, 0, 0, 0, 0, 0, 0, 0, 0x00],
        ),
        (
            "ext-truncated-string",
            "a byte string shorter than its head says",
            "ext",
            vec![0xa1, 0x19, 0x03, 0xe8, 0x44, 0x01],
        ),
    ];
    for (slug, d, rule, b) in extra {
        cases.push(decode_case(format!("wire-extra-{slug}"), d, rule, &b, &[])?);
    }
    Ok(VectorFile {
        family: "wire",
        description: "The strict hCBOR profile and typed decoding of spec §2: each case names the CDDL rule, gives the bytes in hex and in CBOR diagnostic notation, and either the canonical re-encoding or the status and detail code. `intermediates.layer` says whether the generic profile alone rejects the bytes (`profile`) or only the typed decoder does (`schema`). A rule's verdict covers all four stages of §2.4.1 (profile, outer structure, version, nested payloads in order); where several rules are broken, the code is the one §2.7.1 picks, and the case's description names the rows it pins."
            .into(),
        seed: "fixed inputs (wire/tests/inputs and literal bytes)".into(),
        cases,
    })
}

/// Mechanical invalid variants of a valid encoding, with their expected codes.
fn mutations(bytes: &[u8]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut t = bytes.to_vec();
    t.push(0x00);
    out.push((
        "trailing-byte",
        "the valid encoding followed by one zero byte",
        t,
    ));
    if bytes.len() > 1 {
        out.push((
            "truncated",
            "the valid encoding without its last byte",
            bytes.get(..bytes.len() - 1).unwrap_or_default().to_vec(),
        ));
    }
    // Non-shortest head: the top-level array or map count written with a one-byte argument.
    if let Some(&first) = bytes.first() {
        let major = first >> 5;
        let info = first & 0x1f;
        if (major == 4 || major == 5) && info < 24 {
            let mut v = vec![(major << 5) | 24, info];
            v.extend_from_slice(bytes.get(1..).unwrap_or_default());
            out.push((
                "noncanonical-head",
                "the top-level count written with a one-byte argument",
                v,
            ));
            let mut w = vec![(major << 5) | 31];
            w.extend_from_slice(bytes.get(1..).unwrap_or_default());
            w.push(0xff);
            out.push((
                "indefinite-length",
                "the top-level container in indefinite-length form",
                w,
            ));
        }
    }
    let mut tagged = vec![0xd8, 0x18];
    tagged.extend_from_slice(bytes);
    out.push(("tagged", "the valid encoding wrapped in tag 24", tagged));
    out
}

/// The `structures` family.
pub fn structures_family(s: &Scenario) -> R<VectorFile> {
    let mut items: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    let dec = |rule: &'static str, b: &[u8]| -> (String, &'static str, Vec<u8>) {
        (String::new(), rule, b.to_vec())
    };
    let mut push = |slug: &str, rule: &'static str, b: &[u8]| {
        let mut x = dec(rule, b);
        x.0 = slug.to_owned();
        items.push(x);
    };
    for l in &s.log {
        let rule = match l.kind {
            0 | 3 | 4 => "SignedRequest",
            1 => "Commit",
            _ => "Envelope",
        };
        push(&format!("log-entry-{}", l.seq), rule, &l.bytes);
    }
    for i in &s.invites {
        let j = i.joiner.to_lowercase();
        push(&format!("invite-for-{j}"), "Invite", &i.invite_cbor);
        push(
            &format!("invite-create-body-for-{j}"),
            "InviteCreateBody",
            &i.create_body,
        );
        push(
            &format!("invite-redeem-body-{j}"),
            "InviteRedeemBody",
            &i.redeem_body,
        );
        push(
            &format!("signed-join-request-{j}"),
            "SignedJoinRequest",
            &i.sjr,
        );
        push(&format!("pending-join-{j}"), "PendingJoin", &i.pending_join);
    }
    for w in &s.welcomes {
        push(
            &format!("welcome-{}", w.joiner.to_lowercase()),
            "Welcome",
            &w.bytes,
        );
    }
    for e in &s.epochs {
        push(
            &format!("group-context-epoch-{}", e.n),
            "GroupContext",
            &e.gc,
        );
        if let Some(r) = e.roster.first() {
            push(
                &format!("roster-entry-epoch-{}-leaf-0", e.n),
                "RosterEntry",
                &hearth_wire::WireEncode::to_vec(r),
            );
        }
    }
    for l in s.log.iter().filter(|l| l.kind == 1).take(1) {
        let c = hearth_wire::WireDecode::decode(&l.bytes)
            .map(|c: hearth_wire::group::Commit| c.tbs.as_bytes().to_vec())?;
        push("commit-tbs-first-commit", "CommitTBS", &c);
    }
    for l in s.log.iter().filter(|l| l.kind == 0) {
        let sr: hearth_wire::request::SignedRequest = hearth_wire::WireDecode::decode(&l.bytes)?;
        push("request-channel-create", "Request", sr.request.as_bytes());
    }
    more_structures(s, &mut push)?;
    for l in s.log.iter().filter(|l| l.kind == 2).take(1) {
        let le = hearth_wire::log::LogEntry {
            seq: hearth_wire::Seq(l.seq),
            kind: hearth_wire::EntryKind::Msg,
            bytes: l.bytes.clone(),
            head: hearth_wire::Hash(l.head),
            received: hearth_wire::Secs(crate::families::scenario::T0 + 300),
        };
        push(
            "log-entry-structure",
            "LogEntry",
            &hearth_wire::WireEncode::to_vec(&le),
        );
    }
    let mut cases = Vec::new();
    for (slug, rule, b) in items {
        cases.push(decode_case(
            format!("structures-{slug}"),
            &format!("the canonical encoding of a {rule} from the worked example"),
            rule,
            &b,
            &["HRT-CONV-1"],
        )?);
        for (mslug, d, mb) in mutations(&b) {
            let c = decode_case(format!("structures-{slug}-{mslug}"), d, rule, &mb, &[])?;
            if !c.is_negative() {
                return Err(GenError(format!("mutation {mslug} of {slug} accepted")));
            }
            cases.push(c);
        }
    }
    let _ = WireError::ALL;
    Ok(VectorFile {
        family: "structures",
        description: "The canonical hCBOR encoding of every structure the worked example (spec/90-worked-example.md) produces, with hex, CBOR diagnostic notation (nested `bstr .cbor` shown as <<...>>), and mechanical invalid variants (trailing byte, truncation, non-shortest head, indefinite length, a tag)."
            .into(),
        seed: "the scenario's seeds (see spec/90-worked-example.md)".into(),
        cases,
    })
}

/// Structures inside the worked example that are not log entries: decrypted, embedded or
/// built around them (JoinRequest, GroupInfo, CommitPrivate, SealedContent, Content, bodies and
/// results of ops).
fn more_structures(s: &Scenario, push: &mut impl FnMut(&str, &'static str, &[u8])) -> R<()> {
    use hearth_wire::{encode_with, WireDecode, WireEncode};
    let err = |m: &str| GenError(format!("structures: {m}"));
    if let Some(inv) = s.invites.first() {
        let sjr = hearth_wire::join::SignedJoinRequest::decode(&inv.sjr)?;
        push(
            "join-request-bob",
            "JoinRequest",
            sjr.join_request.as_bytes(),
        );
    }
    if let Some(w) = s.welcomes.first() {
        let ep = s
            .epochs
            .iter()
            .find(|e| e.n == w.epoch)
            .ok_or_else(|| err("epoch"))?;
        let sgi =
            crate::families::welcome::open_group_info(&w.group_info_ct, &ep.keys, &s.cid, w.epoch)?;
        push("signed-group-info-bob", "SignedGroupInfo", &sgi);
        let d = hearth_wire::group::SignedGroupInfo::decode(&sgi)?;
        push("group-info-bob", "GroupInfo", d.group_info.as_bytes());
    }
    // CommitPrivate of the commit that added Bob (epoch 0 to 1, committer leaf 0).
    if let (Some(c), Some(ep1)) = (s.commits.first(), s.epochs.iter().find(|e| e.n == 1)) {
        let commit = hearth_wire::group::Commit::decode(&c.bytes)?;
        let tbs = hearth_wire::group::CommitTbs::decode(commit.tbs.as_bytes())?;
        let (ck, cn) = crate::families::schedule::commit_key_nonce(
            &ep1.commit_secret.unwrap_or_default(),
            &s.cid,
            0,
        );
        let aad = encode_with(|e| {
            e.array(3).bytes(&s.cid).uint(0).uint(0);
        });
        let private = crate::util::aes_gcm_open(&ck, &cn, &aad, tbs.private_ct.as_slice())?;
        push("commit-private-adds-bob", "CommitPrivate", &private);
        if let Some((mk, wb)) = c
            .welcomes
            .first()
            .map(|w| (tbs.ops.as_slice().first().cloned(), w.clone()))
        {
            let mk = match mk {
                Some(hearth_wire::group::GroupOp::Add { member_key, .. }) => member_key.0,
                _ => return Err(err("add op")),
            };
            let gi = s
                .welcomes
                .first()
                .map(|w| w.group_info_ct.clone())
                .ok_or_else(|| err("group info ciphertext"))?;
            let body = encode_with(|e| {
                e.map(3)
                    .uint(1)
                    .bytes(&c.bytes)
                    .uint(2)
                    .array(1)
                    .array(2)
                    .bytes(&mk)
                    .bytes(&wb)
                    .uint(3)
                    .bytes(&gi);
            });
            push("commit-post-body-adds-bob", "CommitPostBody", &body);
        }
    }
    // The first message: header, plaintext structures, op body.
    if let Some(r) = s.envelopes.first() {
        let ep = s
            .epochs
            .iter()
            .find(|e| e.n == r.epoch)
            .ok_or_else(|| err("epoch"))?;
        let env = hearth_wire::envelope::Envelope::decode(&r.bytes)?;
        push(
            "envelope-header-first-message",
            "EnvelopeHeader",
            &env.header().to_vec(),
        );
        let (_, gens) = crate::families::schedule::sender_chain(
            &ep.keys.app,
            u64::from(r.leaf),
            u64::from(r.generation),
        );
        let g = gens.last().ok_or_else(|| err("chain"))?;
        let mut nonce = g.nonce;
        for (a, b) in nonce.iter_mut().zip(env.reuse_guard.0) {
            *a ^= b;
        }
        let pt =
            crate::util::aes_gcm_open(&g.key, &nonce, &env.header().to_vec(), env.ct.as_slice())?;
        let (sc, l) = hearth_wire::envelope::SealedContent::decode_padded(&pt)?;
        push(
            "sealed-content-first-message",
            "SealedContent",
            pt.get(..l).unwrap_or_default(),
        );
        push("content-first-message", "Content", sc.content.as_bytes());
        let content = hearth_wire::envelope::Content::decode(sc.content.as_bytes())?;
        push(
            "text-body-first-message",
            "TextBody",
            content.body.as_bytes(),
        );
        let body = encode_with(|e| {
            e.map(1).uint(1).bytes(&r.bytes);
        });
        push("msg-post-body-first-message", "MsgPostBody", &body);
    }
    // Op bodies and results around the log.
    if let Some(l) = s.log.first() {
        let sr = hearth_wire::request::SignedRequest::decode(&l.bytes)?;
        let req = sr.unverified_request()?;
        push(
            "channel-create-body",
            "ChannelCreateBody",
            req.as_unverified().body.as_bytes(),
        );
    }
    if let Some(l) = s.log.iter().find(|l| l.kind == 3) {
        let sr = hearth_wire::request::SignedRequest::decode(&l.bytes)?;
        let req = sr.unverified_request()?;
        push(
            "member-leave-body",
            "Empty",
            req.as_unverified().body.as_bytes(),
        );
    }
    if let Some(last) = s.log.last() {
        let append = encode_with(|e| {
            e.map(2).uint(1).uint(last.seq).uint(2).bytes(&last.head);
        });
        push("append-result-last-entry", "AppendResult", &append);
        let resp = encode_with(|e| {
            e.map(4)
                .uint(1)
                .uint(1)
                .uint(2)
                .uint(0)
                .uint(3)
                .uint(crate::families::scenario::T0 + 720)
                .uint(4)
                .raw(&append);
        });
        push("response-ok-append-result", "Response", &resp);
        let not_found = encode_with(|e| {
            e.map(3)
                .uint(1)
                .uint(1)
                .uint(2)
                .uint(8)
                .uint(3)
                .uint(crate::families::scenario::T0 + 720);
        });
        push("response-not-found", "Response", &not_found);
        let fetch = encode_with(|e| {
            e.map(2).uint(1).uint(0).uint(2).uint(100);
        });
        push("log-fetch-body-from-0", "LogFetchBody", &fetch);
        let entries: Vec<Vec<u8>> = s
            .log
            .iter()
            .take(2)
            .map(|l| {
                hearth_wire::log::LogEntry {
                    seq: hearth_wire::Seq(l.seq),
                    kind: if l.kind == 0 {
                        hearth_wire::EntryKind::Create
                    } else {
                        hearth_wire::EntryKind::Commit
                    },
                    bytes: l.bytes.clone(),
                    head: hearth_wire::Hash(l.head),
                    received: hearth_wire::Secs(crate::families::scenario::T0 + 60 * l.seq),
                }
                .to_vec()
            })
            .collect();
        let result = encode_with(|e| {
            e.map(4).uint(1).array(entries.len());
            for x in &entries {
                e.raw(x);
            }
            e.uint(2)
                .uint(last.seq)
                .uint(3)
                .bytes(&last.head)
                .uint(4)
                .uint(5);
        });
        push("log-fetch-result-first-page", "LogFetchResult", &result);
    }
    Ok(())
}
