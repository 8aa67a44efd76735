#!/usr/bin/env python3
"""Evidence for spec §3.5.5: feeds vectors/ed25519.json to real libraries and checks that each
verdict is one the spec allows the library's role.

Verifiers (signature cases) and key checks (every case's public key):
  libsodium                 PHP sodium_crypto_sign_verify_detached     (role: host)
  libsodium key             PHP sodium_crypto_sign_ed25519_pk_to_curve25519 succeeds (host key check)
  cryptography              OpenSSL Ed25519PublicKey.verify alone       (informative: no role)
  cryptography+bytes        the byte test of §3.5.5 on A and R, then OpenSSL (role: host)
  bytes+euler key           the byte test and Euler's criterion          (host key check)

A host verdict is acceptable when it equals the case's `intermediates.host` or that is
`either`. For key checks the allowed verdict is `reject` for an invalid key (result `invalid` of a
key case, or an `a_class` that is off-curve, non-canonical or small-order), `either` for a
mixed-order key and `accept` for a key of order L. Prints the table (library x case) and exits
non-zero if a library with a role gives a verdict its role does not allow, or if the PHP output
is missing.

Usage: python3 vectors/ed25519_libs.py PHP_JSON vectors/ed25519.json [CASES_JSON PHP_JSON]...
       python3 vectors/ed25519_libs.py --emit-speccheck ed25519-speccheck-cases.json

The optional pairs add the twelve "Taming the many EdDSAs" signatures of Table 3.2 (from
HEARTH_UPSTREAM_DIR), converted by --emit-speccheck.
"""

import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

P = 2 ** 255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7
SMALL_Y = {0, 1, P - 1, Y8, P - Y8}


def byte_test(b):
    """§3.5.5: canonical and not small order, from the bytes alone."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    return len(b) == 32 and y < P and y not in SMALL_Y


def on_curve(b):
    """Euler's criterion: x^2 = (y^2 - 1) / (d y^2 + 1) has a solution mod p."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    return x2 == 0 or pow(x2, (P - 1) // 2, P) == 1


def openssl(pk, msg, sig):
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def word(ok):
    return "accept" if ok else "reject"


def key_allowed(c):
    m = c["intermediates"]
    cls = m.get("a_class", m.get("class"))
    return {"order-l": "accept", "mixed-order": "either"}.get(cls, "reject")


def allowed(verdict, want):
    return want == "either" or verdict == want


# Table 3.2 of spec §3.5.3: the client accepts exactly cases 3, 4 and 5 of the twelve
# "Taming the many EdDSAs" signatures; a host may reject those three (they have a mixed-order A
# or R) and must reject the rest.
SPECCHECK_CLIENT_ACCEPTS = {3, 4, 5}


def speccheck_cases(path):
    """The upstream speccheck signatures in the format of vectors/ed25519.json."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import check  # the independent checker's curve arithmetic, for the point classes
    with open(path) as f:
        raw = json.load(f)
    out = []
    for n, c in enumerate(raw):
        pk, sig = bytes.fromhex(c["pub_key"]), bytes.fromhex(c["signature"])
        client = n in SPECCHECK_CLIENT_ACCEPTS
        out.append({
            "id": f"speccheck-{n}",
            "result": "valid" if client else "invalid",
            "inputs": {"public_key": c["pub_key"], "message": c["message"], "signature": c["signature"]},
            "intermediates": {"host": "either" if client else "reject",
                              "a_class": check.ed_class(pk), "r_class": check.ed_class(sig[:32])},
        })
    return out


def main():
    if sys.argv[1] == "--emit-speccheck":
        json.dump({"cases": speccheck_cases(sys.argv[2])}, sys.stdout)
        return
    php_json = sys.argv[1]
    vec = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "ed25519.json")
    with open(vec) as f:
        cases = json.load(f)["cases"]
    with open(php_json) as f:
        php = json.load(f)
    # Further (vectors, PHP verdicts) pairs: the upstream speccheck cases.
    for i in range(3, len(sys.argv) - 1, 2):
        with open(sys.argv[i]) as f:
            cases += json.load(f)["cases"]
        with open(sys.argv[i + 1]) as f:
            php["cases"].update(json.load(f)["cases"])
    print(f"libsodium: {php['library']}; cryptography: "
          f"{__import__('cryptography').__version__} "
          f"({__import__('cryptography.hazmat.backends.openssl', fromlist=['backend']).backend.openssl_version_text()})")
    cols = ["libsodium", "cryptography", "cryptography+bytes", "libsodium key", "bytes+euler key"]
    roles = {"libsodium": True, "cryptography": False, "cryptography+bytes": True,
             "libsodium key": True, "bytes+euler key": True}
    bad, info = [], []
    print(f"{'case':46s} {'client':7s} {'host':7s} " + " ".join(f"{c:>18s}" for c in cols))
    for c in cases:
        cid, i = c["id"], c["inputs"]
        pk = bytes.fromhex(i["public_key"])
        row = {}
        ph = php["cases"].get(cid)
        if ph is None:
            bad.append(f"{cid}: no PHP verdict")
            continue
        if "signature" in i:
            msg, sig = bytes.fromhex(i["message"]), bytes.fromhex(i["signature"])
            row["libsodium"] = ph["verify"]
            row["cryptography"] = word(openssl(pk, msg, sig))
            row["cryptography+bytes"] = word(byte_test(pk) and byte_test(sig[:32]) and openssl(pk, msg, sig))
            want = c["intermediates"]["host"]
        else:
            want = None
        row["libsodium key"] = ph["key"]
        row["bytes+euler key"] = word(byte_test(pk) and on_curve(pk))
        client = "accept" if c["result"] == "valid" else "reject"
        shown = []
        for col in cols:
            v = row.get(col)
            if v is None:
                shown.append(f"{'-':>18s}")
                continue
            w = key_allowed(c) if col.endswith("key") else want
            ok = allowed(v, w)
            if not ok:
                (bad if roles[col] else info).append(f"{cid}: {col} says {v}, the host role allows {w}")
            shown.append(f"{v + ('' if ok else ' (!)'):>18s}")
        print(f"{cid:46s} {client:7s} {want or '-':7s} " + " ".join(shown))
    print("(!) = a verdict the host role does not allow")
    for m in info:
        print("informative (no role):", m)
    for m in bad:
        print("FAIL", m)
    print(f"{len(cases)} cases; {len(bad)} verdicts outside the role's allowance")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
