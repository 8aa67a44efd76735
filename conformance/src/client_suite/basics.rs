//! The shim protocol itself and the client's identity: hello, the unsupported answer
//! (HRT-CONF-5), honest capabilities, and the fingerprint of §4.6 (HRT-KEY-15).

use hearth_crypto::keys::IdentityPublicKey;
use serde_json::{json, Value};

use super::fixture::hex_field;
use super::{ClientCtx, ClientTestDef, FixtureSpec};
use crate::model::TestResult;
use crate::shim::Answer;

/// The commands of shim protocol v1 (besides `hello` and `shutdown`).
pub const V1_COMMANDS: &[&str] = &[
    "identity.create",
    "channel.create",
    "invite.create",
    "invite.accept",
    "sync",
    "send",
    "commit",
    "display",
    "conversations",
    "held_secrets",
    "route.add",
    "sas.confirm",
    "clock.set",
];

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.shim.hello",
            title: "hello offering version 1 is answered ok with version 1 and a capability list that includes hello; one JSON line per answer, same id, nothing else on stdout",
            requirements: &["HRT-CONF-5", "HRT-SHIM-2", "HRT-SHIM-3", "HRT-SHIM-4", "HRT-SHIM-10"],
            run: hello,
        },
        ClientTestDef {
            id: "client.shim.unsupported-probe",
            title: "a command that does not exist is answered unsupported, not ok, error or failed",
            requirements: &["HRT-CONF-5"],
            run: unsupported_probe,
        },
        ClientTestDef {
            id: "client.shim.capability-honesty",
            title: "commands missing from the capabilities answer unsupported; listed ones do not",
            requirements: &["HRT-CONF-5", "HRT-SHIM-14"],
            run: capability_honesty,
        },
        ClientTestDef {
            id: "client.shim.version-negotiation",
            title: "hello with no common version is answered failed; with [1, 99] the shim picks 1",
            requirements: &["HRT-SHIM-13"],
            run: version_negotiation,
        },
        ClientTestDef {
            id: "client.shim.exit",
            title: "after `shutdown` the shim exits 0; at end of input it exits within 5 s; in both cases it writes nothing more",
            requirements: &["HRT-SHIM-7", "HRT-SHIM-8"],
            run: exit,
        },
        ClientTestDef {
            id: "client.shim.version-field",
            title: "after the hello, a request whose `v` is not the agreed version is answered failed and not acted on",
            requirements: &["HRT-SHIM-15"],
            run: version_field,
        },
        ClientTestDef {
            id: "client.shim.arguments",
            title: "unknown argument members are ignored; a missing argument or an unknown conversation handle is answered failed",
            requirements: &["HRT-SHIM-12", "HRT-SHIM-16"],
            run: arguments,
        },
        ClientTestDef {
            id: "client.identity.create",
            title: "the reported fingerprint is H(\"fpr\", IK_pub) of the reported identity key",
            requirements: &["HRT-KEY-15"],
            run: identity_create,
        },
    ]
}

/// HRT-CONF-5 and the shim appendix: the hello (the fixture has already checked the version and
/// that `capabilities` is a list of strings).
fn hello(ctx: &mut ClientCtx<'_>) -> TestResult {
    let fx = ctx.fixture(FixtureSpec::default())?;
    let h = fx.hello.clone();
    if h.version != 1 {
        return Err(fx.fail(format!("hello chose version {}, expected 1", h.version)));
    }
    if !h.capabilities.iter().any(|c| c == "hello") {
        return Err(fx.fail(format!(
            "the capabilities {:?} do not include `hello`",
            h.capabilities
        )));
    }
    if h.implementation.trim().is_empty() {
        return Err(fx.fail("hello answered without an `implementation` (\"name version\")"));
    }
    let unknown: Vec<&String> = h
        .capabilities
        .iter()
        .filter(|c| {
            !V1_COMMANDS.contains(&c.as_str()) && c.as_str() != "hello" && c.as_str() != "shutdown"
        })
        .collect();
    if !unknown.is_empty() {
        return Err(fx.fail(format!(
            "the capabilities list commands that shim protocol v1 does not define: {unknown:?}"
        )));
    }
    Ok(())
}

/// HRT-CONF-5: a command name nobody implements.
fn unsupported_probe(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let name = format!("hearth.probe.{:016x}", ctx.rng.next_u64());
    let a = fx.call(&name, json!({"x": 1}))?;
    if a != Answer::Unsupported {
        return Err(fx.fail(format!(
            "the unknown command `{name}` was answered `{}`, expected `unsupported` (HRT-CONF-5)",
            a.describe()
        )));
    }
    // The shim must still work after it.
    let a = fx.call("hearth.probe", json!({}))?;
    if a != Answer::Unsupported {
        return Err(fx.fail(format!(
            "the unknown command `hearth.probe` was answered `{}`, expected `unsupported`",
            a.describe()
        )));
    }
    Ok(())
}

/// HRT-CONF-5: every v1 command the hello does not list answers `unsupported`; the listed
/// commands that need no state (`identity.create`, then `conversations` and `sync`) do not.
fn capability_honesty(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let caps = fx.hello.capabilities.clone();
    for cmd in V1_COMMANDS {
        if caps.iter().any(|c| c == cmd) {
            continue;
        }
        let a = fx.call(cmd, json!({}))?;
        if a != Answer::Unsupported {
            return Err(fx.fail(format!(
                "`{cmd}` is not in the capabilities {caps:?} but was answered `{}`, expected `unsupported`",
                a.describe()
            )));
        }
    }
    let mut probed = 0;
    for (cmd, args) in [
        ("identity.create", json!({"name": "Honest"})),
        ("conversations", json!({})),
        ("sync", json!({})),
    ] {
        if !caps.iter().any(|c| c == cmd) {
            continue;
        }
        probed += 1;
        let a = fx.call(cmd, args)?;
        if a == Answer::Unsupported {
            return Err(fx.fail(format!(
                "`{cmd}` is in the capabilities but was answered `unsupported`"
            )));
        }
    }
    if probed == 0 && caps.iter().all(|c| c == "hello" || c == "shutdown") {
        return Err(crate::model::Stop::NotApplicable(
            "the shim lists no command besides hello and shutdown".into(),
        ));
    }
    Ok(())
}

/// HRT-SHIM-13: the highest common version, and `failed` when there is none. A fresh shim is
/// started for each hello (the fixture's own hello is done already).
fn version_negotiation(ctx: &mut ClientCtx<'_>) -> TestResult {
    use crate::model::Stop;
    use crate::shim::Shim;
    let spawn = || {
        Shim::spawn(&ctx.shim.command, ctx.shim.timeout).map_err(|e| Stop::fail(e.to_string(), &[]))
    };
    let mut shim = spawn()?;
    let a = shim
        .call("hello", json!({"versions": [99]}))
        .map_err(|e| Stop::fail(format!("{e}\n    {}", shim.report()), &[]))?;
    if !matches!(a, Answer::Failed { .. }) {
        return Err(Stop::fail(
            format!(
                "hello offering only version 99 was answered `{}`, expected `failed` (HRT-SHIM-13)\n    {}",
                a.describe(),
                shim.report()
            ),
            &[],
        ));
    }
    drop(shim);
    let mut shim = spawn()?;
    let a = shim
        .call("hello", json!({"versions": [1, 99]}))
        .map_err(|e| Stop::fail(format!("{e}\n    {}", shim.report()), &[]))?;
    let version = match &a {
        Answer::Ok(v) => v.get("version").and_then(Value::as_u64),
        _ => None,
    };
    if version != Some(1) {
        return Err(Stop::fail(
            format!(
                "hello offering [1, 99] was answered `{}`, expected ok with version 1\n    {}",
                a.describe(),
                shim.report()
            ),
            &[],
        ));
    }
    Ok(())
}

/// HRT-SHIM-7 and HRT-SHIM-8: how a shim ends.
fn exit(ctx: &mut ClientCtx<'_>) -> TestResult {
    let wait = std::time::Duration::from_secs(5);
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let a = fx.call("shutdown", json!({}))?;
    if !matches!(a, Answer::Ok(_)) {
        return Err(fx.fail(format!(
            "`shutdown` was answered `{}`, expected ok",
            a.describe()
        )));
    }
    let (status, extra) = fx.shim.close_and_wait(wait);
    if !status.is_some_and(|s| s.success()) || extra {
        return Err(fx.fail(format!(
            "after answering `shutdown` the shim must exit with status 0 and write nothing more (HRT-SHIM-7); exit: {status:?}, wrote more: {extra}"
        )));
    }
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let (status, extra) = fx.shim.close_and_wait(wait);
    if status.is_none() || extra {
        return Err(fx.fail(format!(
            "at end of input the shim must exit within 5 s and write nothing (HRT-SHIM-8); exited: {}, wrote: {extra}",
            status.is_some()
        )));
    }
    Ok(())
}

/// HRT-SHIM-15: `v` must be the agreed version; the request is not acted on.
fn version_field(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let a = fx
        .shim
        .call_with_version(2, "identity.create", json!({"name": "Twice"}))
        .map_err(|e| fx.fail(e.to_string()))?;
    if !matches!(a, Answer::Failed { .. }) {
        return Err(fx.fail(format!(
            "a request with v=2 after agreeing on version 1 was answered `{}`, expected `failed` (HRT-SHIM-15)",
            a.describe()
        )));
    }
    // Not acted on: the identity can still be created once.
    let a = fx.call("identity.create", json!({"name": "Once"}))?;
    if !matches!(a, Answer::Ok(_)) {
        return Err(fx.fail(format!(
            "identity.create after a refused v=2 request was answered `{}`: the refused request was acted on",
            a.describe()
        )));
    }
    Ok(())
}

/// HRT-SHIM-16 (unknown members ignored) and HRT-SHIM-12 (bad arguments are `failed`).
fn arguments(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec {
        identity: true,
        ..FixtureSpec::default()
    })?;
    let a = fx.call("conversations", json!({"x-from-the-future": [1, 2, 3]}))?;
    if !matches!(a, Answer::Ok(_)) {
        return Err(fx.fail(format!(
            "`conversations` with an unknown argument member was answered `{}`, expected ok (HRT-SHIM-16)",
            a.describe()
        )));
    }
    let unknown = hex::encode(ctx.rng.bytes::<16>());
    for (cmd, args) in [
        ("send", json!({"text": "no conversation named"})),
        (
            "send",
            json!({"conversation": unknown, "text": "to nobody"}),
        ),
        ("display", json!({"conversation": "not hex"})),
    ] {
        let a = fx.call(cmd, args.clone())?;
        if !matches!(a, Answer::Failed { .. }) {
            return Err(fx.fail(format!(
                "`{cmd}` with {args} was answered `{}`, expected `failed` (HRT-SHIM-12)",
                a.describe()
            )));
        }
    }
    Ok(())
}

/// HRT-KEY-15: `fingerprint` = `H("fpr", identity_key)`, computed here with hearth-crypto.
fn identity_create(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec::default())?;
    let v: Value = fx.ok("identity.create", json!({"name": "Alice"}))?;
    let (Some(key), Some(fpr)) = (
        hex_field::<32>(&v, "identity_key"),
        hex_field::<32>(&v, "fingerprint"),
    ) else {
        return Err(fx.fail(format!(
            "identity.create must answer lowercase hex32 `identity_key` and `fingerprint`: {v}"
        )));
    };
    let ik = match IdentityPublicKey::from_bytes(&key) {
        Ok(k) => k,
        Err(e) => {
            return Err(fx.fail(format!(
                "the identity key {} is not a valid Ed25519 public key (§3.5): {e:?}",
                hex::encode(key)
            )))
        }
    };
    let want = ik.fingerprint();
    if want.as_bytes() != &fpr {
        return Err(fx.fail(format!(
            "fingerprint {} differs from H(\"fpr\", IK_pub) = {} (HRT-KEY-15)",
            hex::encode(fpr),
            hex::encode(want.as_bytes())
        )));
    }
    Ok(())
}
