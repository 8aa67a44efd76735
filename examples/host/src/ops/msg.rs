//! Op 9 `msg.post` (spec §8.5.10).

use hearth_wire::request::MsgPostBody;
use hearth_wire::ErrorCode;

use super::{append_result, member, Ctx, OpResult};
use crate::host::Fail;
use crate::store;

/// Op 9: checks 1 to 4 in order, then a `msg` entry with the exact envelope bytes
/// (HRT-OP-48). The epoch check and the append share the transaction (HRT-OP-46).
pub fn post(cx: &Ctx<'_>, b: &MsgPostBody) -> OpResult {
    let (ch, _, _) = member(cx)?;
    let env = b.envelope.value();
    // Check 1 (HRT-OP-44).
    if env.channel_id.0 != cx.channel {
        return Err(Fail::Detail(ErrorCode::INVALID_VALUE));
    }
    // Check 2 (HRT-OP-45).
    if env.suite.0 != ch.suite {
        return Err(Fail::Status(ErrorCode::UNSUPPORTED_SUITE));
    }
    // Check 3 (HRT-OP-46).
    // MUTANT accept-stale-epoch (HRT-OP-46): no check.
    if env.epoch.0 != ch.epoch && !mutant!(cx.host, AcceptStaleEpoch) {
        return Err(Fail::Status(ErrorCode::EPOCH_CONFLICT));
    }
    // Check 4 (HRT-OP-47): the sender leaf holds the request's key.
    if store::key_at(cx.conn, &cx.channel, u64::from(env.sender.0))? != Some(cx.job.key) {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    let mut bytes = b.envelope.as_bytes();
    // MUTANT reencode-entries (HRT-LOG-3, HRT-OP-48): the field re-encoded, not the exact bytes.
    let reencoded;
    if mutant!(cx.host, ReencodeEntries) {
        reencoded = hearth_wire::encode_with(|e| {
            e.bytes(bytes);
        });
        bytes = &reencoded;
    }
    let (seq, head) = store::append(cx.conn, &cx.channel, 2, bytes, cx.now)?;
    Ok(append_result(seq, &head))
}
