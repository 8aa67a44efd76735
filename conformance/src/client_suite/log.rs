//! Log verification by the client under test (spec §9.5, §9.9), with the shim's own channel
//! only: the shim creates a channel and sends two messages (log: create 1, msg 2, msg 3), then
//! the proxy lies to the shim's member key in its `log.fetch` results, and the next `sync` must
//! report the detection (`detected` event with the spec code, HRT-LOG-15..22). After it, a
//! `send` must not reach that route: the proxy's record must show no post to the channel
//! (HRT-LOG-38).

use serde_json::{json, Value};

use super::fixture::{events_of, route_is};
use super::{ClientCtx, ClientTestDef, FixtureSpec};
use crate::model::TestResult;
use crate::proxy::{Fault, FaultRule};
use crate::shim::Answer;
use hearth_wire::Op;

macro_rules! log_tests {
    ($( $fname:ident, $id:literal, $title:literal, [$($req:literal),*], $fault:expr, $code:literal; )*) => {
        /// The tests of this module.
        pub fn tests() -> Vec<ClientTestDef> {
            vec![$(
                ClientTestDef {
                    id: $id,
                    title: $title,
                    requirements: &[$($req),*],
                    run: $fname,
                },
            )*]
        }
        $(
            fn $fname(ctx: &mut ClientCtx<'_>) -> TestResult {
                detect(ctx, $fault, $code)
            }
        )*
    };
}

log_tests! {
    rollback_lower_tip, "client.log.rollback.lower-tip",
        "a log page whose tip is below a seq the host returned for the client's own post is a rollback; the route is frozen",
        ["HRT-LOG-15", "HRT-LOG-38"], Fault::LowerTip(1), "rollback_detected";
    withheld_gap, "client.log.withheld.gap",
        "a log page with a gap in its seqs is withholding; the route is frozen",
        ["HRT-LOG-16", "HRT-LOG-38"], Fault::DropEntry(2), "withheld_detected";
    withheld_empty, "client.log.withheld.empty-page",
        "an empty log page while since is below the tip is withholding; the route is frozen",
        ["HRT-LOG-17", "HRT-LOG-38"], Fault::EmptyPage, "withheld_detected";
    fork_beyond_tip, "client.log.fork.entry-beyond-tip",
        "a log page with an entry beyond the served tip is a fork; the route is frozen",
        ["HRT-LOG-18", "HRT-LOG-38"], Fault::EntryBeyondTip, "fork_detected";
    fork_bad_link, "client.log.fork.bad-link",
        "an entry whose served head is not the recomputed head is a fork; the route is frozen",
        ["HRT-LOG-19", "HRT-LOG-38"], Fault::AlterEntryKeepHeads(2), "fork_detected";
    fork_tip_head, "client.log.fork.tip-head",
        "a head at tip that differs from the verified head of the tip entry is a fork; the route is frozen",
        ["HRT-LOG-21", "HRT-LOG-38"], Fault::WrongTipHead, "fork_detected";
    fork_own_entry_rechained, "client.log.fork.own-entry-altered",
        "the client's own entry served with other bytes (chain recomputed) is a fork; the route is frozen",
        ["HRT-LOG-20", "HRT-LOG-22", "HRT-LOG-38"], Fault::AlterEntryBytes(3), "fork_detected";
    fork_duplicate, "client.log.fork.duplicate-entry",
        "an entry re-served as the next seq (chain recomputed) contradicts the client's own post there: a fork; the route is frozen",
        ["HRT-LOG-20", "HRT-LOG-22", "HRT-LOG-38"], Fault::DuplicateEntry(2), "fork_detected";
    fork_swap, "client.log.fork.swapped-entries",
        "two of the client's own entries swapped (chain recomputed) is a fork; the route is frozen",
        ["HRT-LOG-20", "HRT-LOG-22", "HRT-LOG-38"], Fault::SwapEntries(2, 3), "fork_detected";
}

/// Ops that post to a channel (what a frozen route must not see, HRT-LOG-38).
const POSTING_OPS: &[Op] = &[
    Op::MSG_POST,
    Op::COMMIT_POST,
    Op::COMMIT_REPORT,
    Op::MEMBER_LEAVE,
    Op::INVITE_CREATE,
];

fn detect(ctx: &mut ClientCtx<'_>, fault: Fault, code: &str) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec {
        hosts: 1,
        ..FixtureSpec::default()
    })?;
    let c = fx.create_channel(0)?;
    let (_, sr) = super::channel::create_request(&fx, &c)?;
    let mk = sr.key.0;
    let conv = hex::encode(c.conversation);
    // The lie is told from now on, before the shim sends: a client may refresh its routes before
    // it sends (Appendix B §91.6.7), and then it meets the lie there and freezes the route before
    // its next send. Either way the `detected` event comes with the next `sync` (§91.7), and a
    // `send` refused after the detection is no failure.
    let host = fx.host()?;
    let url = host.url().to_owned();
    host.proxy.set_faults(vec![FaultRule::new(fault.clone())
        .for_key(mk)
        .on_channel(c.channel)]);
    let mark = host.proxy.mark();
    let mut sends = Vec::new();
    for text in ["one", "two"] {
        sends.push(fx.call("send", json!({"conversation": conv, "text": text}))?);
    }
    let events = fx.sync()?;
    let fetches: Vec<_> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::LOG_FETCH))
        .collect();
    if !fetches.iter().any(|r| !r.faults.is_empty()) {
        return Err(fx.fail_with(
            format!("sync made no log.fetch the proxy could apply {fault:?} to (did the shim fetch the log of its channel?)"),
            &fetches,
        ));
    }
    let detected = events_of(&events, "detected");
    let hit = detected
        .iter()
        .find(|e| e.get("code").and_then(Value::as_str) == Some(code));
    let Some(hit) = hit else {
        let got: Vec<String> = detected
            .iter()
            .map(|e| e.get("code").map(Value::to_string).unwrap_or_default())
            .collect();
        return Err(fx.fail_with(
            format!(
                "with {fault:?} the shim's sync reported no `detected` event with code {code} (detected: {got:?}; events: {}; answers to the sends: {sends:?})",
                Value::Array(events.clone())
            ),
            &fetches,
        ));
    };
    if !route_is(hit.get("route"), &url, &c.channel) {
        return Err(fx.fail_with(
            format!("the `detected` event names another route: {hit}"),
            &fetches,
        ));
    }
    // HRT-LOG-38: nothing more is posted to the frozen channel.
    fx.host()?.proxy.clear();
    let mark = fx.host()?.proxy.mark();
    let a = fx.call(
        "send",
        json!({"conversation": conv, "text": "after detection"}),
    )?;
    let posted: Vec<_> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.channel == Some(c.channel) && r.op.is_some_and(|o| POSTING_OPS.contains(&o)))
        .collect();
    if !posted.is_empty() {
        return Err(fx.fail_with(
            "after the detection, `send` posted to the frozen channel (HRT-LOG-38)",
            &posted,
        ));
    }
    if let Answer::Ok(v) = &a {
        return Err(fx.fail(format!(
            "after the detection, `send` answered ok although the only route is frozen: {v}"
        )));
    }
    Ok(())
}
