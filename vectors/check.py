#!/usr/bin/env python3
"""Independent checker of Hearth's test vectors (vectors/*.json).

Written from the specification, not from the Rust crates: it uses only the Python standard
library, `cryptography` (X25519, Ed25519 signing, AES-GCM) and `cbor2` (decoding values of
items that the strict profile validator below has already accepted). Typed decoding reads the
rules of `spec/hearth.cddl` itself (see "typed decoding" below).

For every family it implements, it recomputes each positive case (every intermediate value and
the output) and makes sure each negative case is rejected with the expected status (and detail,
where it can tell). Families or case groups it does not check are listed by name with their
counts; nothing is skipped silently. The last line is `N passed, M failed`; the exit status is
non-zero on any failure.

Usage: python3 vectors/check.py [vectors-directory]
"""

import base64
import hashlib
import hmac
import json
import os
import sys

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

# --------------------------------------------------------------------------- error codes

CODES = {
    "ok": 0, "malformed": 1, "noncanonical": 2, "unsupported_version": 3, "unsupported_op": 4,
    "bad_signature": 5, "stale_timestamp": 6, "replay": 7, "not_found": 8, "forbidden": 9,
    "too_large": 13, "wrong_host": 15, "unsupported_extension": 17, "unsupported_suite": 19,
    "decrypt_failed": 64, "bad_padding": 65, "wrong_epoch": 66, "unknown_sender": 67,
    "generation_too_far": 68, "duplicate_message": 69, "bad_confirmation_tag": 70,
    "bad_member_cert": 73, "fork_detected": 74, "rollback_detected": 75, "withheld_detected": 76, "bad_claim": 81, "removed": 21,
    "invite_expired": 12, "update_required": 77, "generation_expired": 79, "underrun": 128, "trailing_bytes": 129, "noncanonical_head": 130,
    "indefinite_length": 131, "forbidden_type": 132, "invalid_utf8": 133, "misordered_key": 134,
    "duplicate_key": 135, "depth_exceeded": 136, "length_exceeded": 137, "unknown_key": 138,
    "missing_key": 139, "wrong_type": 140, "wrong_size": 141, "non_uint_key": 142,
    "unknown_critical": 143, "invalid_value": 144, "bad_uri": 145, "bad_base64": 146,
}


class Reject(Exception):
    """A rejection with a status name and an optional detail name."""

    def __init__(self, status, detail=None):
        super().__init__(status if detail is None else f"{status}/{detail}")
        self.status = status
        self.detail = detail


def wire_reject(detail):
    status = {"noncanonical_head": "noncanonical", "indefinite_length": "noncanonical",
              "misordered_key": "noncanonical", "unknown_critical": "unsupported_extension"}.get(detail, "malformed")
    return Reject(status, detail)


# --------------------------------------------------------------------------- hCBOR (spec §2)

MAX_DEPTH = 16


def _head(b, pos):
    if pos >= len(b):
        raise wire_reject("underrun")
    ib = b[pos]
    major, ai = ib >> 5, ib & 0x1F
    if major == 6:
        raise wire_reject("forbidden_type")
    if major == 7:
        if ai in (20, 21, 22):
            return major, ai, pos + 1
        if ai == 31:
            raise wire_reject("indefinite_length")
        raise wire_reject("forbidden_type")
    if ai < 24:
        return major, ai, pos + 1
    if ai == 31:
        raise wire_reject("indefinite_length")
    if ai > 27:
        raise wire_reject("forbidden_type")
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    if pos + 1 + n > len(b):
        raise wire_reject("underrun")
    arg = int.from_bytes(b[pos + 1:pos + 1 + n], "big")
    if arg < {1: 24, 2: 1 << 8, 4: 1 << 16, 8: 1 << 32}[n]:
        raise wire_reject("noncanonical_head")
    return major, arg, pos + 1 + n


def item_end(b, pos=0):
    """Validates one item under the strict profile (single left-to-right pass); returns its end."""
    stack = []  # [remaining, is_map, last_key]
    started = False
    while True:
        while stack and stack[-1][0] == 0:
            stack.pop()
        if started and not stack:
            return pos
        started = True
        if pos >= len(b):
            raise wire_reject("underrun")
        if len(stack) + 1 > MAX_DEPTH:
            raise wire_reject("depth_exceeded")
        is_key = False
        if stack:
            top = stack[-1]
            is_key = top[1] and top[0] % 2 == 0
            top[0] -= 1
        major, arg, pos = _head(b, pos)
        if is_key:
            if major != 0:
                raise wire_reject("non_uint_key")
            top = stack[-1]
            if top[2] is not None and arg < top[2]:
                raise wire_reject("misordered_key")
            if top[2] is not None and arg == top[2]:
                raise wire_reject("duplicate_key")
            top[2] = arg
        remaining = len(b) - pos
        if major in (2, 3):
            if arg > remaining:
                raise wire_reject("underrun")
            s = b[pos:pos + arg]
            if major == 3:
                try:
                    s.decode("utf-8", errors="strict")
                except UnicodeDecodeError:
                    raise wire_reject("invalid_utf8")
            pos += arg
        elif major in (4, 5):
            items = arg * 2 if major == 5 else arg
            if items > remaining:
                raise wire_reject("underrun")
            if items:
                stack.append([items, major == 5, None])


def validate(b):
    end = item_end(b, 0)
    if end != len(b):
        raise wire_reject("trailing_bytes")


def decode(b):
    """Strict profile check, then the value (bytes, str, int, list, dict, bool, None)."""
    validate(b)
    return cbor2.loads(b)


def items_raw(b, count):
    """The raw bytes of the first `count` elements of the array `b` (already validated)."""
    major, n, pos = _head(b, 0)
    out = []
    for _ in range(count):
        end = item_end(b, pos)
        out.append(b[pos:end])
        pos = end
    return out


def enc_uint(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < (1 << (8 * size)):
            return bytes([(major << 5) | ai]) + n.to_bytes(size, "big")
    raise ValueError("too large")


def enc(v):
    """Canonical hCBOR encoding of a Python value (ints, bytes, str, lists, int-keyed dicts)."""
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return enc_uint(0, v) if v >= 0 else enc_uint(1, -1 - v)
    if isinstance(v, (bytes, bytearray)):
        return enc_uint(2, len(v)) + bytes(v)
    if isinstance(v, str):
        s = v.encode()
        return enc_uint(3, len(s)) + s
    if isinstance(v, list):
        return enc_uint(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return enc_uint(5, len(v)) + b"".join(enc(k) + enc(v[k]) for k in sorted(v))
    if isinstance(v, Raw):
        return v.b
    raise TypeError(type(v))


class Raw:
    """A pre-encoded item."""

    def __init__(self, b):
        self.b = b


# --------------------------------------------------------------------------- primitives (§3)

def label(name):
    return "hearth/1 " + name


def sha256(b):
    return hashlib.sha256(b).digest()


def H(lab, x_item):
    return sha256(enc([label(lab), Raw(x_item)]))


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def expand_info(lab, ctx_item, length):
    return enc([length, label(lab), Raw(ctx_item)])


def expand_with_label(secret, lab, ctx_item, length):
    return hkdf_expand(secret, expand_info(lab, ctx_item, length), length)


def derive_secret(secret, lab):
    return expand_with_label(secret, lab, enc(b""), 32)


def mac(key, lab, data_item):
    return hkdf_expand(key, enc([label(lab), Raw(data_item)]), 32)


# Ed25519 with the validity rules of §3.5 (pure Python arithmetic for the checks).
P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _pt_add(a, b):
    (x1, y1, z1, t1), (x2, y2, z2, t2) = a, b
    A = (y1 - x1) * (y2 - x2) % P
    B = (y1 + x1) * (y2 + x2) % P
    C = 2 * t1 * t2 * D % P
    Dd = 2 * z1 * z2 % P
    E, F, G, Hh = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * Hh % P, F * G % P, E * Hh % P)


def _pt_mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _pt_add(q, p)
        p = _pt_add(p, p)
        s >>= 1
    return q


def _is_identity(p):
    x, y, z, _ = p
    return x % P == 0 and (y - z) % P == 0


def _decompress(b):
    """The point of a canonical encoding, or None (non-canonical or not on the curve)."""
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    sign = b[31] >> 7
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


BASE = _decompress(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))


def valid_key(a):
    pt = _decompress(a)
    return pt is not None and not _is_identity(_pt_mul(8, pt))


def ed_verify(pub, msg, sig):
    """§3.5.1: canonical A and R, neither of small order, S < L, cofactored equation."""
    if len(sig) != 64 or not valid_key(pub):
        return False
    R = _decompress(sig[:32])
    if R is None or _is_identity(_pt_mul(8, R)):
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    A = _decompress(pub)
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % L
    neg = lambda p: ((-p[0]) % P, p[1], p[2], (-p[3]) % P)
    lhs = _pt_add(_pt_add(_pt_mul(s, BASE), neg(R)), neg(_pt_mul(k, A)))
    return _is_identity(_pt_mul(8, lhs))


def ed_pub(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed_sign(seed, msg):
    return Ed25519PrivateKey.from_private_bytes(seed).sign(msg)


def signing_input(lab, c_item):
    return enc([label(lab), Raw(c_item)])


def x_pub(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x_small_order(pk):
    # The X25519 points of small order (and their non-canonical twins), RFC 7748 / §6.7.
    bad = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    }
    return pk.hex() in bad


def aes_open(key, nonce, aad, ct):
    if len(ct) < 16:
        raise Reject("decrypt_failed")
    try:
        return AESGCM(key).decrypt(nonce, ct, aad)
    except InvalidTag:
        raise Reject("decrypt_failed")


# --------------------------------------------------------------------------- HPKE (RFC 9180)

KEM_SUITE = b"KEM\x00\x20"
HPKE_SUITE = b"HPKE\x00\x20\x00\x01\x00\x02"


def lextract(suite, salt, lab, ikm):
    return extract(salt, b"HPKE-v1" + suite + lab + ikm)


def lexpand(suite, prk, lab, info, n):
    return hkdf_expand(prk, n.to_bytes(2, "big") + b"HPKE-v1" + suite + lab + info, n)


def derive_key_pair(ikm):
    sk = lexpand(KEM_SUITE, lextract(KEM_SUITE, b"", b"dkp_prk", ikm), b"sk", b"", 32)
    return sk, x_pub(sk)


def dh(sk, pk):
    try:
        return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
    except ValueError:  # all-zero shared secret (RFC 9180 §7.1.4)
        raise Reject("decrypt_failed")


def hpke_schedule(mode, shared, info, psk, psk_id):
    psk_id_hash = lextract(HPKE_SUITE, b"", b"psk_id_hash", psk_id)
    info_hash = lextract(HPKE_SUITE, b"", b"info_hash", info)
    ctx = bytes([mode]) + psk_id_hash + info_hash
    secret = lextract(HPKE_SUITE, shared, b"secret", psk)
    return {
        "psk_id_hash": psk_id_hash, "info_hash": info_hash, "key_schedule_context": ctx, "secret": secret,
        "key": lexpand(HPKE_SUITE, secret, b"key", ctx, 32),
        "base_nonce": lexpand(HPKE_SUITE, secret, b"base_nonce", ctx, 12),
        "exporter_secret": lexpand(HPKE_SUITE, secret, b"exp", ctx, 32),
    }


def kem_shared(dhv, enc_, pk_r):
    ctx = enc_ + pk_r
    return ctx, lexpand(KEM_SUITE, lextract(KEM_SUITE, b"", b"eae_prk", dhv), b"shared_secret", ctx, 32)


def hpke_seal(mode, pk_r, info, aad, pt, psk, psk_id, ikm_e, seq=0):
    sk_e, enc_ = derive_key_pair(ikm_e)
    dhv = dh(sk_e, pk_r)
    kem_ctx, shared = kem_shared(dhv, enc_, pk_r)
    k = hpke_schedule(mode, shared, info, psk, psk_id)
    nonce = bytes(a ^ b for a, b in zip(k["base_nonce"], seq.to_bytes(12, "big")))
    k.update({"sk_e": sk_e, "dh": dhv, "kem_context": kem_ctx, "shared_secret": shared})
    return enc_, AESGCM(k["key"]).encrypt(nonce, pt, aad), k


def hpke_open(mode, enc_, sk_r, info, aad, ct, psk, psk_id):
    dhv = dh(sk_r, enc_)
    _, shared = kem_shared(dhv, enc_, x_pub(sk_r))
    k = hpke_schedule(mode, shared, info, psk, psk_id)
    return aes_open(k["key"], k["base_nonce"], aad, ct)


# --------------------------------------------------------------------------- harness

class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.not_checked = []  # (family, what, count)
        self.failures = []

    def ok(self, cid, cond, why=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(f"{cid}: {why}")

    def expect_reject(self, case, fn, check_detail=True):
        want = case["error"]
        try:
            fn()
        except Reject as r:
            good = r.status == want["status"]["name"]
            if check_detail and want["detail"] is not None and r.detail is not None:
                good = good and r.detail == want["detail"]["name"]
            self.ok(case["id"], good, f"rejected with {r}, expected {want['status']['name']}"
                    f"/{(want['detail'] or {}).get('name')}")
            return
        except Exception as e:  # noqa: BLE001 - any other failure is a checker failure
            self.ok(case["id"], False, f"unexpected exception {type(e).__name__}: {e}")
            return
        self.ok(case["id"], False, "accepted a negative case")

    def run_positive(self, case, fn):
        try:
            fn()
        except AssertionError as e:
            self.ok(case["id"], False, f"mismatch: {e}")
            return
        except Exception as e:  # noqa: BLE001
            self.ok(case["id"], False, f"{type(e).__name__}: {e}")
            return
        self.ok(case["id"], True)


def hx(s):
    return bytes.fromhex(s)


def eq(a, b, what):
    if a != b:
        raise AssertionError(f"{what}: {a.hex() if isinstance(a, bytes) else a} != {b.hex() if isinstance(b, bytes) else b}")


# --------------------------------------------------------------------------- typed decoding (§2.4)
#
# A small interpreter of spec/hearth.cddl: it reads the rules of the CDDL file itself and
# decodes a value against them in the stages of §2.4.1 and the order of §2.7.1, so that the
# typed (schema-layer) cases of wire.json and structures.json are checked from the
# specification alone. It covers the CDDL the file uses: maps with unsigned keys, fixed and
# counted arrays, choices, `.size`, `.le`, `.cbor`, ranges, `&( ... )` and `any`. What the CDDL
# does not say is taken from the spec's text: the `ext` rules (§11.3, §2.7.1 row T7), the
# constraints between fields (row T8) and the strictly increasing lists (HRT-WIRE-25).

CDDL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec", "hearth.cddl")


def _cddl_tokens(text):
    toks = []
    for line in text.splitlines():
        line = line.split(";", 1)[0]
        i = 0
        while i < len(line):
            ch = line[i]
            if ch.isspace():
                i += 1
            elif line.startswith("..", i):
                toks.append(".."); i += 2
            elif line.startswith("=>", i):
                toks.append("=>"); i += 2
            elif ch == "." and i + 1 < len(line) and line[i + 1].isalpha():
                j = i + 1
                while j < len(line) and line[j].isalnum():
                    j += 1
                toks.append(line[i:j]); i = j
            elif ch.isdigit():
                j = i
                while j < len(line) and line[j].isdigit():
                    j += 1
                toks.append(int(line[i:j])); i = j
            elif ch.isalpha() or ch == "_":
                j = i
                while j < len(line) and (line[j].isalnum() or line[j] in "-_"):
                    j += 1
                toks.append(line[i:j]); i = j
            else:
                toks.append(ch); i += 1
        toks.append("\n")
    return toks


class _P:
    """Recursive-descent parser of the CDDL subset; types are tuples."""

    def __init__(self, toks):
        self.t = [x for x in toks]
        self.i = 0

    def peek(self, k=0):
        j, seen = self.i, -1
        while j < len(self.t):
            if self.t[j] != "\n":
                seen += 1
                if seen == k:
                    return self.t[j]
            j += 1
        return None

    def next(self):
        while self.t[self.i] == "\n":
            self.i += 1
        x = self.t[self.i]
        self.i += 1
        return x

    def expect(self, x):
        y = self.next()
        if y != x:
            raise ValueError(f"CDDL: expected {x!r}, got {y!r}")

    def rules(self):
        out = {}
        while self.peek() is not None:
            name = self.next()
            self.expect("=")
            out[name] = self.type_()
        return out

    def type_(self):
        alts = [self.type1()]
        while self.peek() == "/":
            self.next()
            alts.append(self.type1())
        return alts[0] if len(alts) == 1 else ("choice", alts)

    def type1(self):
        t = self.type2()
        if self.peek() == "..":
            self.next()
            t = ("range", t[1], self.type2()[1])
        while isinstance(self.peek(), str) and self.peek().startswith(".") and self.peek() != "..":
            op = self.next()
            t = ("ctl", op, t, self.type2())
        return t

    def type2(self):
        x = self.next()
        if isinstance(x, int):
            if self.peek() == "..":
                self.next()
                return ("range", x, self.next())
            return ("lit", x)
        if x == "(":
            t = self.type_()
            self.expect(")")
            return t
        if x == "&":
            self.expect("(")
            vals = []
            while self.peek() != ")":
                self.next()
                self.expect(":")
                vals.append(self.next())
                if self.peek() == ",":
                    self.next()
            self.expect(")")
            return ("enum", vals)
        if x in ("{", "["):
            close = "}" if x == "{" else "]"
            entries = []
            while self.peek() != close:
                entries.append(self.entry())
                if self.peek() == ",":
                    self.next()
            self.expect(close)
            return ("map" if x == "{" else "array", entries)
        return ("name", x)

    def entry(self):
        lo, hi, opt = 1, 1, False
        p = self.peek()
        if p == "?":
            self.next(); lo, hi, opt = 0, 1, True
        elif p == "*":
            self.next(); lo, hi = 0, None
            if isinstance(self.peek(), int) and self.peek(1) not in (":", ",", "]"):
                hi = self.next()
        elif isinstance(p, int) and self.peek(1) == "*":
            lo = self.next(); self.next(); hi = None
            if isinstance(self.peek(), int) and self.peek(1) not in (":", ",", "]"):
                hi = self.next()
        key = None
        if self.peek(1) == ":" and (isinstance(self.peek(), int) or isinstance(self.peek(), str)):
            key = self.next()
            self.next()
        t = self.type_()
        if self.peek() == "=>":
            self.next()
            key, t = ("type", t), self.type_()
        return {"lo": lo, "hi": hi, "opt": opt, "key": key, "type": t}


def load_cddl(path=CDDL_PATH):
    with open(path) as f:
        return _P(_cddl_tokens(f.read())).rules()


CDDL = None
GREASE_KEYS = {0x0A0A + 0x1010 * i for i in range(16)}


def _bad(detail):
    return wire_reject(detail)


def _is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


class _Ctx:
    def __init__(self):
        self.version_bad = False
        self.payloads = []  # (bytes, rule type), in the order they occur


def _resolve(t):
    while t[0] == "name" and t[1] in CDDL and t[1] not in ("ext", "version"):
        t = CDDL[t[1]]
    return t


def _sizes(t):
    """(min, max, exact set or None) of a `.size` constraint, or None."""
    if t[0] == "lit":
        return t[1], t[1], {t[1]}
    if t[0] == "range":
        return t[1], t[2], None
    raise ValueError(t)


def _string(t):
    """For a string type: (major 'bstr'/'tstr', sizes, payload rule, payload size)."""
    t = _resolve(t)
    if t == ("name", "bstr") or t == ("name", "tstr"):
        return t[1], None, None
    if t[0] == "ctl":
        base, sizes, payload = _string(t[2])
        if t[1] == ".size":
            return base, _sizes(t[3]), payload
        if t[1] == ".cbor":
            return base, sizes, t[3]
    return None


def _check_len(n, sizes):
    """Row T4 (HRT-WIRE-15): a fixed size `.size N` is wrong_size at any other length; a
    range is wrong_size below its minimum and length_exceeded above its maximum."""
    if sizes is None:
        return
    lo, hi, exact = sizes
    if exact is not None:
        if n not in exact:
            raise _bad("wrong_size")
        return
    if n > hi:
        raise _bad("length_exceeded")
    if n < lo:
        raise _bad("wrong_size")


def _check(t, v, ctx, rule=None):
    t0 = t
    if t[0] == "name" and t[1] == "ext":
        return _check_ext(v)
    if t[0] == "name" and t[1] == "version":
        if not _is_uint(v):
            raise _bad("wrong_type")
        ctx.version_bad |= v != 1
        return
    if t[0] == "name" and t[1] in CDDL:
        return _check(CDDL[t[1]], v, ctx, t[1])
    if t[0] == "name":
        if t[1] == "any":
            return
        if t[1] == "uint":
            if not _is_uint(v):
                raise _bad("wrong_type")
            return
        if t[1] in ("bstr", "tstr"):
            if not isinstance(v, bytes if t[1] == "bstr" else str):
                raise _bad("wrong_type")
            return
        if t[1] == "true":
            if not isinstance(v, bool):
                raise _bad("wrong_type")
            if not v:
                raise _bad("invalid_value")
            return
        raise ValueError(f"CDDL name {t[1]}")
    if t[0] == "lit":
        if not _is_uint(v):
            raise _bad("wrong_type")
        if v != t[1]:
            raise _bad("invalid_value")
        return
    if t[0] == "range":
        if not _is_uint(v):
            raise _bad("wrong_type")
        if not t[1] <= v <= t[2]:
            raise _bad("invalid_value")
        return
    if t[0] == "enum":
        if not _is_uint(v):
            raise _bad("wrong_type")
        if v not in t[1]:
            raise _bad("invalid_value")
        return
    if t[0] == "ctl":
        if t[1] == ".le":
            _check(t[2], v, ctx)
            if v > t[3][1]:
                raise _bad("invalid_value")
            return
        s = _string(t)
        if s is None:
            raise ValueError(f"CDDL control {t}")
        base, sizes, payload = s
        if not isinstance(v, bytes if base == "bstr" else str):
            raise _bad("wrong_type")
        _check_len(len(v) if base == "bstr" else len(v.encode()), sizes)
        if payload is not None:
            ctx.payloads.append((v, payload))
        return
    if t[0] == "choice":
        return _check_choice(t[1], v, ctx)
    if t[0] == "map":
        return _check_map(t[1], v, ctx, rule)
    if t[0] == "array":
        return _check_array(t[1], v, ctx)
    raise ValueError(f"CDDL type {t0}")


def _check_choice(alts, v, ctx):
    rs = [_resolve(a) for a in alts]
    strs = [_string(a) for a in rs]
    if all(s is not None and s[2] is None for s in strs):
        # A choice of sizes, such as `empty / hash` (HRT-WIRE-15).
        if not isinstance(v, bytes):
            raise _bad("wrong_type")
        allowed = set()
        for _, sizes, _p in strs:
            allowed |= sizes[2] if sizes[2] is not None else set(range(sizes[0], sizes[1] + 1))
        if len(v) > max(allowed):
            raise _bad("length_exceeded")
        if len(v) not in allowed:
            raise _bad("wrong_size")
        return
    if all(a[0] == "array" and a[1] and a[1][0]["type"][0] == "lit" for a in rs):
        # A tagged choice (`Op`, row T2): at least one element, the tag, then the count.
        if not isinstance(v, list):
            raise _bad("wrong_type")
        if not v:
            raise _bad("missing_key")
        if not _is_uint(v[0]):
            raise _bad("wrong_type")
        for a in rs:
            if a[1][0]["type"][1] == v[0]:
                return _check_array(a[1], v, ctx)
        raise _bad("invalid_value")
    if all(a == ("name", "uint") or a[0] in ("lit", "range") or (a[0] == "ctl" and a[1] == ".le") for a in rs):
        # `seq / 0`: an unsigned integer in the union of the ranges.
        if not _is_uint(v):
            raise _bad("wrong_type")
        for a in alts:
            try:
                _check(a, v, _Ctx())
                return
            except Reject:
                pass
        raise _bad("invalid_value")
    raise ValueError(f"CDDL choice {alts}")


def _check_array(entries, v, ctx):
    if not isinstance(v, list):
        raise _bad("wrong_type")
    if len(entries) == 1 and (entries[0]["lo"], entries[0]["hi"]) != (1, 1):
        e = entries[0]
        if e["hi"] is not None and len(v) > e["hi"]:
            raise _bad("length_exceeded")
        if len(v) < e["lo"]:
            raise _bad("missing_key")
        for x in v:
            _check(e["type"], x, ctx)
        return
    if len(v) < len(entries):
        raise _bad("missing_key")
    if len(v) > len(entries):
        raise _bad("length_exceeded")
    for e, x in zip(entries, v):
        _check(e["type"], x, ctx)


def _increasing(v):
    return all(a < b for a, b in zip(v, v[1:]))


def _check_map(entries, v, ctx, rule):
    if not isinstance(v, dict):
        raise _bad("wrong_type")
    defined = {e["key"]: e for e in entries}
    expected = sorted(defined)
    i = 0
    for k in v:  # keys in the order of the bytes, increasing (profile)
        while i < len(expected) and expected[i] < k:
            if not defined[expected[i]]["opt"]:
                raise _bad("missing_key")
            i += 1
        if k not in defined:
            raise _bad("unknown_key")
        i += 1
        _check(defined[k]["type"], v[k], ctx)
        # Row T6: a list that must be strictly increasing, judged once it has been read.
        if rule == "InfoResult" and k in (1, 2, 5) and not _increasing(v[k]):
            raise _bad("invalid_value")
    for k in expected[i:]:
        if not defined[k]["opt"]:
            raise _bad("missing_key")
    # Row T8: constraints between fields, after the last field.
    pair = {"Response": (2, 4), "Content": (4, 5), "LogFetchResult": (2, 3)}.get(rule)
    if rule == "Response" and ((4 in v) != (v[2] == 0)):
        raise _bad("invalid_value")
    if rule in ("Content", "LogFetchResult") and ((v[pair[0]] == 0) != (len(v[pair[1]]) == 0)):
        raise _bad("invalid_value")


def _check_ext(v):
    """Row T7 (§11.3): crit, extension keys, the 17th entry, then crit against the map and
    against what this receiver implements (nothing: every crit entry is unknown)."""
    if not isinstance(v, dict):
        raise _bad("wrong_type")
    crit, entries = [], 0
    for k, x in v.items():
        if k == 1:
            if not isinstance(x, list):
                raise _bad("wrong_type")
            if len(x) > 16:
                raise _bad("length_exceeded")
            if not x:
                raise _bad("missing_key")
            for c in x:
                if not _is_uint(c):
                    raise _bad("wrong_type")
            if not all(1000 <= c <= 65535 and c not in GREASE_KEYS for c in x) or not _increasing(x):
                raise _bad("invalid_value")
            crit = x
            continue
        if not 1000 <= k <= 65535:
            raise _bad("unknown_key")
        entries += 1
        if entries > 16:
            raise _bad("length_exceeded")
    if any(c not in v for c in crit):
        raise _bad("invalid_value")
    if crit:
        raise _bad("unknown_critical")


def typed_decode(rule, b):
    """Decodes `b` as `rule` in the four stages of §2.4.1; raises Reject on the first defect."""
    global CDDL
    if CDDL is None:
        CDDL = load_cddl()
    if rule not in CDDL:
        raise KeyError(f"rule {rule} is not defined in spec/hearth.cddl")
    validate(b)
    v = cbor2.loads(b)
    ctx = _Ctx()
    _check(("name", rule), v, ctx)
    if ctx.version_bad:
        raise Reject("unsupported_version")
    for payload, t in ctx.payloads:
        typed_decode_type(t, payload)
    return v


def typed_decode_type(t, b):
    if t[0] == "name":
        return typed_decode(t[1], b)
    raise ValueError(t)


# --------------------------------------------------------------------------- families

def check_wire(ck, d):
    """Positive cases: profile, typed decoding and the re-encoding; negative cases: rejected
    by the profile (layer `profile`) or by typed decoding (layer `schema`) with the expected
    status and detail."""
    for c in d["cases"]:
        b = hx(c["inputs"]["hex"])
        rule = c["inputs"]["rule"]
        if c["result"] == "valid":
            def pos():
                typed_decode(rule, b)
                eq(hx(c["output"]["reencoded_hex"]), b, "re-encoding")
            ck.run_positive(c, pos)
        elif c["intermediates"]["layer"] == "profile":
            ck.expect_reject(c, lambda: validate(b))
            ck.expect_reject(c, lambda: typed_decode(rule, b))
        else:
            def schema():
                try:
                    validate(b)
                except Reject as r:
                    raise AssertionError(f"the profile rejected a schema-layer case: {r}")
                typed_decode(rule, b)
            ck.expect_reject(c, schema)


def ctx_fn(c):
    return hx(c)


def check_labelled(ck, d):
    for c in d["cases"]:
        i, m = c["inputs"], c["intermediates"]
        prim = i["primitive"]
        if prim == "H":
            def f():
                x = hx(i["x_cbor"])
                validate(x)
                inp = enc([label(i["label"]), Raw(x)])
                eq(inp, hx(m["hash_input"]), "hash input")
                eq(sha256(inp), hx(c["output"]["digest"]), "digest")
            ck.run_positive(c, f)
        elif prim == "Extract":
            ck.run_positive(c, lambda: eq(extract(hx(i["salt"]), hx(i["ikm"])), hx(c["output"]["prk"]), "prk"))
        elif prim == "ExpandWithLabel":
            def f():
                info = expand_info(i["label"], hx(i["ctx_cbor"]), i["length"])
                eq(info, hx(m["info"]), "info")
                eq(hkdf_expand(hx(i["secret"]), info, i["length"]), hx(c["output"]["okm"]), "okm")
            ck.run_positive(c, f)
        elif prim == "DeriveSecret":
            ck.run_positive(c, lambda: eq(derive_secret(hx(i["secret"]), i["label"]), hx(c["output"]["okm"]), "okm"))
        elif prim == "MAC":
            want = mac(hx(i["key"]), i["label"], hx(i["data_cbor"]))

            def verify():
                if not hmac.compare_digest(want, hx(i["tag"])):
                    raise Reject("bad_confirmation_tag")
            if c["result"] == "valid":
                ck.run_positive(c, lambda: (eq(want, hx(c["output"]["tag"]), "tag"), verify()))
            else:
                ck.expect_reject(c, verify)
        elif prim == "SignWithLabel":
            msg = signing_input(i["label"], hx(i["content_cbor"]))

            def verify():
                if not ed_verify(hx(i["public_key"]), msg, hx(i["signature"])):
                    raise Reject("bad_signature")
            if c["result"] == "valid":
                def f():
                    eq(msg, hx(c["intermediates"]["signing_input"]), "signing input")
                    eq(ed_pub(hx(i["seed"])), hx(i["public_key"]), "public key")
                    eq(ed_sign(hx(i["seed"]), msg), hx(c["output"]["signature"]), "signature")
                    verify()
                ck.run_positive(c, f)
            else:
                ck.expect_reject(c, verify)
        else:
            ck.ok(c["id"], False, f"unknown primitive {prim}")


def check_hpke(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        mode = 0 if i["mode"] == "base" else 1
        sk_r = hx(i["sk_r"])
        if c["result"] == "valid":
            def f():
                sk, pk = derive_key_pair(hx(i["ikm_r"]))
                eq(sk, sk_r, "sk_r")
                eq(pk, hx(i["pk_r"]), "pk_r")
                e, ct, k = hpke_seal(mode, pk, hx(i["info"]), hx(i["aad"]), hx(i["pt"]), hx(i["psk"]), hx(i["psk_id"]), hx(i["ikm_e"]))
                for name in ("sk_e", "dh", "kem_context", "shared_secret", "psk_id_hash", "info_hash",
                             "key_schedule_context", "secret", "key", "base_nonce", "exporter_secret"):
                    eq(k[name], hx(c["intermediates"][name]), name)
                eq(e, hx(c["output"]["enc"]), "enc")
                eq(ct, hx(c["output"]["ct"]), "ct")
                _, ct1, _ = hpke_seal(mode, pk, hx(i["info"]), hx(i["aad"]), hx(i["pt"]), hx(i["psk"]), hx(i["psk_id"]), hx(i["ikm_e"]), seq=1)
                eq(ct1, hx(c["output"]["ct_seq1"]), "ct seq 1")
                ctx = hx(i["exporter_context"])
                eq(lexpand(HPKE_SUITE, k["exporter_secret"], b"sec", ctx, i["exporter_length"]), hx(c["output"]["exported"]), "export")
                eq(hpke_open(mode, e, sk_r, hx(i["info"]), hx(i["aad"]), ct, hx(i["psk"]), hx(i["psk_id"])), hx(i["pt"]), "open")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: hpke_open(mode, hx(i["enc"]), sk_r, hx(i["info"]), hx(i["aad"]), hx(i["ct"]), hx(i["psk"]), hx(i["psk_id"])))


def fpr_display(f):
    return " ".join("%05d" % (int.from_bytes(f[4 * k:4 * k + 4], "big") % 100000) for k in range(8))


def check_keys(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        cid = c["id"]
        if cid.startswith("keys-fingerprint"):
            def f():
                pk = ed_pub(hx(i["identity_seed"]))
                eq(pk, hx(c["intermediates"]["identity_public_key"]), "IK")
                fpr = H("fpr", enc(pk))
                eq(fpr, hx(c["output"]["fingerprint"]), "fpr")
                eq(fpr[:16], hx(c["output"]["fingerprint_prefix"]), "prefix")
                eq(fpr_display(fpr), c["output"]["display"], "display")
            ck.run_positive(c, f)
        elif cid.startswith("keys-member-cert"):
            content = enc([i["host_url"], hx(i["channel_id"]), hx(i["member_public_key"])])
            msg = signing_input("member-cert", content)

            def verify():
                if not ed_verify(hx(i["identity_public_key"]), msg, hx(i["member_cert"])):
                    raise Reject("bad_member_cert")
            if c["result"] == "valid":
                ck.run_positive(c, lambda: (eq(ed_sign(hx(i["identity_seed"]), msg), hx(c["output"]["member_cert"]), "cert"), verify()))
            else:
                ck.expect_reject(c, verify)
        elif cid.startswith("keys-owner-create"):
            msg = signing_input("create", enc([i["host_url"], hx(i["channel_id"]), hx(i["member_public_key"])]))

            def verify():
                if not ed_verify(hx(i["owner_public_key"]), msg, hx(i["owner_signature"])):
                    raise Reject("forbidden")
            if c["result"] == "valid":
                ck.run_positive(c, lambda: (eq(ed_sign(hx(i["owner_seed"]), msg), hx(c["output"]["owner_signature"]), "owner signature"), verify()))
            else:
                ck.expect_reject(c, verify)
        elif cid.startswith("keys-weak-identity"):
            def f():
                if not valid_key(hx(i["identity_public_key"])):
                    raise Reject("bad_signature")
            ck.expect_reject(c, f)
        else:
            ck.ok(cid, False, "unknown keys case")


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url_decode(s):
    """§5.3.2 step 3: strict unpadded base64url."""
    if any(ch not in B64 for ch in s) or len(s) % 4 == 1:
        raise Reject("malformed", "bad_base64")
    rem = len(s) % 4
    if rem:
        last = B64.index(s[-1])
        unused = 4 if rem == 2 else 2
        if last & ((1 << unused) - 1):
            raise Reject("malformed", "bad_base64")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


PCHAR = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")
LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def check_host_url(u):
    """The canonical host URL of §8.2: character rules only (no IDNA, no IPv6 text forms)."""
    bad = Reject("malformed", "bad_uri")
    if not u or len(u.encode()) > 256:
        raise bad
    if u.startswith("https://"):
        https, rest = True, u[8:]
    elif u.startswith("http://"):
        https, rest = False, u[7:]
    else:
        raise bad
    if "/" not in rest:
        raise bad
    authority, path = rest[:rest.index("/")], rest[rest.index("/"):]
    if authority.startswith("[::1]"):
        host, port = "[::1]", authority[5:]
    elif ":" in authority:
        host, port = authority[:authority.index(":")], authority[authority.index(":"):]
    else:
        host, port = authority, ""
    if port:
        digits = port[1:]
        if not digits or not digits.isascii() or not digits.isdigit() or digits[0] == "0" or len(digits) > 5:
            raise bad
        if int(digits) > 65535 or int(digits) == (443 if https else 80):
            raise bad
    if host == "[::1]":
        loopback = True
    else:
        if not host or len(host) > 253:
            raise bad
        labels = host.split(".")
        digit = lambda l: l != "" and all(ch in "0123456789" for ch in l)
        if all(digit(l) for l in labels):
            if len(labels) != 4 or any(len(l) > 3 or (len(l) > 1 and l[0] == "0") or int(l) > 255 for l in labels):
                raise bad
            loopback = labels[0] == "127"
        else:
            for l in labels:
                if not l or len(l) > 63 or l[0] == "-" or l[-1] == "-" or any(ch not in LDH for ch in l):
                    raise bad
            if digit(labels[-1]):
                raise bad
            loopback = host == "localhost"
    if not https and not loopback:
        raise bad
    if any(ch not in PCHAR for ch in path) or any(seg in (".", "..") for seg in path.split("/")):
        raise bad


INVITE_SIZES = [None, None, "tstr", 16, 16, 16, 32, 32, None]


def parse_invite_uri(uri):
    """§5.3.2 steps 1 to 8; returns the Invite bytes and the decoded Invite."""
    if not uri.startswith("hearth:") or len(uri) == len("hearth:"):
        raise Reject("malformed", "bad_uri")
    raw = b64url_decode(uri[len("hearth:"):])
    if len(raw) < 5 or H("invite-check", enc(raw[:-4]))[:4] != raw[-4:]:
        raise Reject("malformed", "bad_checksum")
    b = raw[:-4]
    validate(b)
    v = cbor2.loads(b)
    if isinstance(v, list) and v and isinstance(v[0], int) and not isinstance(v[0], bool) and v[0] != 1:
        raise Reject("unsupported_version")
    if isinstance(v, list) and len(v) > 1 and isinstance(v[1], int) and not isinstance(v[1], bool) and v[1] != 1:
        raise Reject("unsupported_suite")
    if not isinstance(v, list):
        raise Reject("malformed", "wrong_type")
    if len(v) != 9:
        raise Reject("malformed", "missing_key" if len(v) < 9 else "length_exceeded")
    for x, n in zip(v, INVITE_SIZES):
        if n is None:
            if not isinstance(x, int) or isinstance(x, bool) or x < 0:
                raise Reject("malformed", "wrong_type")
        elif n == "tstr":
            if not isinstance(x, str):
                raise Reject("malformed", "wrong_type")
        else:
            if not isinstance(x, bytes):
                raise Reject("malformed", "wrong_type")
            if len(x) != n:
                raise Reject("malformed", "wrong_size")
    check_host_url(v[2])
    return v[2], b, v


def invite_derive(secret, cid):
    c = enc(cid)
    seed = expand_with_label(secret, "invite-auth", c, 32)
    return {"invite_id": expand_with_label(secret, "invite-id", c, 16), "invite_auth_seed": seed,
            "invite_auth_pub": ed_pub(seed), "psk": expand_with_label(secret, "invite-psk", c, 32)}


def check_invite(ck, d):
    for c in d["cases"]:
        i, cid = c["inputs"], c["id"]
        if cid.startswith("invite-derive"):
            def f():
                r = invite_derive(hx(i["secret"]), hx(i["channel_id"]))
                for k in ("invite_id", "invite_auth_seed", "invite_auth_pub", "psk"):
                    eq(r[k], hx(c["output"][k]), k)
                eq(enc([16, label("invite-id"), hx(i["channel_id"])]), hx(c["intermediates"]["invite_id_info"]), "info")
            ck.run_positive(c, f)
        elif cid == "invite-uri-roundtrip":
            def f():
                host, b, v = parse_invite_uri(i["uri"])
                o = c["output"]
                eq(b, hx(c["intermediates"]["invite_cbor"]), "invite cbor")
                eq(H("invite-check", enc(b))[:4], hx(c["intermediates"]["check"]), "check value")
                eq(v[1], o["suite"], "suite")
                eq(host, o["host_url"], "host")
                eq(v[3], hx(o["channel_id"]), "channel")
                eq(v[4], hx(o["conversation"]), "conversation")
                eq(v[5], hx(o["inviter_fpr_is_prefix_of"])[:16], "fpr prefix")
                eq(v[6], hx(o["inviter_key"]), "inviter key")
                eq(v[7], hx(o["secret"]), "secret")
                eq(v[8], o["expires"], "expires")
                frame = b + H("invite-check", enc(b))[:4]
                eq("hearth:" + base64.urlsafe_b64encode(frame).decode().rstrip("="), i["uri"], "re-encoded URI")
            ck.run_positive(c, f)
        elif cid.startswith("invite-uri-"):
            ck.expect_reject(c, lambda: parse_invite_uri(i["uri"]))
        elif cid == "invite-join-expired":
            def f():
                _, _, v = parse_invite_uri(i["uri"])
                if i["now"] > v[8]:
                    raise Reject("invite_expired")
            ck.expect_reject(c, f)
        elif cid.startswith("invite-join-"):
            check_join(ck, c)
        else:
            ck.ok(cid, False, "unknown invite case")


def check_join(ck, c):
    i, m = c["inputs"], c["intermediates"]
    cidb = hx(i["channel_id"])
    dv = invite_derive(hx(i["invite_secret"]), cidb)
    inviter_sk = hx(i["inviter_key_private"])
    pj = decode(hx(i["pending_join"]))

    def process():
        """The inviter's checks of §5.8 on a PendingJoin."""
        enc_, ct = pj[2]
        mk = pj[1]
        info = enc([label("join-seal"), [cidb, dv["invite_id"]]])
        aad = enc([cidb, dv["invite_id"], mk])
        pt = hpke_open(1, enc_, inviter_sk, info, aad, ct, dv["psk"], dv["invite_id"])
        sjr = decode(pt)
        if not isinstance(sjr, list):
            raise Reject("malformed", "wrong_type")
        jr_bytes, sig = sjr
        jr = decode(jr_bytes)
        content = enc([cidb, dv["invite_id"], jr_bytes])
        if not ed_verify(jr[1], signing_input("join", content), sig):
            raise Reject("bad_signature")
        if jr[2] != mk:
            raise Reject("malformed", "invalid_value")
        if not valid_key(jr[2]):
            raise Reject("bad_signature")
        cert_msg = signing_input("member-cert", enc([i["host_url"], cidb, jr[2]]))
        if not ed_verify(jr[1], cert_msg, jr[4]):
            raise Reject("bad_member_cert")
        if x_small_order(jr[3]):
            raise Reject("malformed", "invalid_value")
        return jr

    if c["result"] == "valid":
        def f():
            # The joiner's side with the given randomness.
            mk_seed, init_sk, ikm_e = hx(m["01_member_key_seed"]), hx(m["02_init_private_key"]), hx(m["03_ikm_e"])
            ik_seed = hx(i["joiner_identity_seed"])
            mk_pub = ed_pub(mk_seed)
            cert = ed_sign(ik_seed, signing_input("member-cert", enc([i["host_url"], cidb, mk_pub])))
            eq(cert, hx(m["04_member_cert"]), "member cert")
            jr = enc({1: ed_pub(ik_seed), 2: mk_pub, 3: x_pub(init_sk), 4: cert, 5: i["joiner_name"]})
            eq(jr, hx(m["05_join_request"]), "JoinRequest")
            jsig = ed_sign(ik_seed, signing_input("join", enc([cidb, dv["invite_id"], jr])))
            sjr = enc([jr, jsig])
            eq(sjr, hx(m["07_signed_join_request"]), "SignedJoinRequest")
            info = enc([label("join-seal"), [cidb, dv["invite_id"]]])
            aad = enc([cidb, dv["invite_id"], mk_pub])
            eq(info, hx(m["08_join_seal_info"]), "info")
            eq(aad, hx(m["09_join_seal_aad"]), "aad")
            e, ct, k = hpke_seal(1, x_pub(inviter_sk), info, aad, sjr, dv["psk"], dv["invite_id"], ikm_e)
            eq(k["key"], hx(m["13_hpke_key"]), "hpke key")
            pop = ed_sign(mk_seed, signing_input("redeem", enc([i["host_url"], cidb, dv["invite_id"], dv["invite_auth_pub"]])))
            body = enc({1: dv["invite_id"], 2: mk_pub, 3: pop, 4: [e, ct]})
            eq(body, hx(c["output"]["invite_redeem_body"]), "InviteRedeemBody")
            got = process()
            eq(H("fpr", enc(got[1])), hx(c["output"]["joiner_fingerprint"]), "fingerprint")
            # §5.8.1: the short authentication string from the exporter of the join's context.
            inv_pub = x_pub(inviter_sk)
            exp = k["exporter_secret"]
            eq(exp, hx(m["16_hpke_exporter_secret"]), "exporter secret")
            ctx_b = hx(m["17_sas_exporter_context"])
            parsed = cbor2.loads(ctx_b)
            eq(parsed[0], label("join-sas"), "sas label")
            eq(parsed[1][:3], [cidb, dv["invite_id"], inv_pub], "sas context: channel, invite id, inviter key")
            eq(len(parsed[1][3]), 16, "sas context: inviter-fpr prefix")
            eq(parsed[1][4:], [got[1], got[2]], "sas context: joiner IK and MK")
            eq(enc(parsed), ctx_b, "sas context encoding")
            sas_b = lexpand(HPKE_SUITE, exp, b"sec", ctx_b, 4)
            eq(sas_b, hx(m["18_sas_bytes"]), "sas bytes")
            sas = int.from_bytes(sas_b, "big") % 1000000
            eq(sas, c["output"]["sas"], "sas")
            eq("%03d %03d" % (sas // 1000, sas % 1000), c["output"]["sas_display"], "sas display")
        ck.run_positive(c, f)
    else:
        ck.expect_reject(c, process)


def gc_encode(cid, epoch, roster_hash, cth):
    return enc([1, 1, cid, epoch, roster_hash, cth, {}])


def epoch_values(init_prev, commit_secret, gch, cth, epoch_secret=None):
    v = {}
    if epoch_secret is None:
        prk = extract(init_prev, commit_secret)
        joiner = expand_with_label(prk, "joiner", enc(gch), 32)
        ws = derive_secret(joiner, "welcome")
        v.update({"01_extract_prk": prk, "02_joiner_secret": joiner, "03_welcome_secret": ws,
                  "04_welcome_key": expand_with_label(ws, "welcome-key", enc(b""), 32),
                  "05_welcome_nonce": expand_with_label(ws, "welcome-nonce", enc(b""), 12)})
        epoch_secret = expand_with_label(joiner, "epoch", enc(gch), 32)
    ck_ = derive_secret(epoch_secret, "confirm-key")
    v.update({"06_epoch_secret": epoch_secret, "07_app_secret": derive_secret(epoch_secret, "app"),
              "08_confirm_key": ck_, "09_exporter_secret": derive_secret(epoch_secret, "exporter"),
              "10_epoch_authenticator": derive_secret(epoch_secret, "authentication"),
              "11_init_secret": derive_secret(epoch_secret, "init"),
              "12_confirmation_tag": mac(ck_, "confirm", enc(cth))})
    return v


def check_schedule(ck, d):
    for c in d["cases"]:
        i, m = c["inputs"], c["intermediates"]
        cid = hx(i["channel_id"])
        n = i["epoch"]
        roster = hx(i["roster_cbor"])
        # §6.2: the roster hash covers the roster and the needs_update leaves.
        rh = H("roster", enc([Raw(roster), i["needs_update_leaves"]]))
        if n == 0:
            cth = hx(i["cth"])
            vals = None

            def f():
                eq(rh, hx(m["00_roster_hash"]), "roster hash")
                gc = gc_encode(cid, 0, rh, cth)
                eq(gc, hx(m["00_group_context"]), "GroupContext")
                eq(H("gc", gc), hx(m["00_gc_hash"]), "gc_hash")
                v = epoch_values(None, None, None, cth, hx(i["epoch_secret"]))
                # §6.5: epoch 0 has no confirmation tag, so the case must not give one.
                if "12_confirmation_tag" in m:
                    raise AssertionError("epoch 0 carries a confirmation tag")
                del v["12_confirmation_tag"]
                for k, x in v.items():
                    eq(x, hx(m[k]), k)
            ck.run_positive(c, f)
            continue
        cth = H("cth", enc([hx(i["cth_prev"]), hx(i["tbs_bytes"])]))
        gc = gc_encode(cid, n, rh, cth)
        gch = H("gc", gc)
        v = epoch_values(hx(i["init_secret_prev"]), hx(i["commit_secret"]), gch, cth)
        if c["result"] == "valid":
            def f():
                eq(cth, hx(m["00_cth"]), "cth")
                eq(gc, hx(m["00_group_context"]), "GroupContext")
                eq(gch, hx(m["00_gc_hash"]), "gc_hash")
                for k, x in v.items():
                    eq(x, hx(m[k]), k)
                ctx = enc([cid, n - 1])
                eq(expand_with_label(hx(i["commit_secret"]), "commit-key", ctx, 32), hx(m["13_commit_key"]), "commit key")
                eq(expand_with_label(hx(i["commit_secret"]), "commit-nonce", ctx, 12), hx(m["14_commit_nonce"]), "commit nonce")
                der = expand_with_label(v["09_exporter_secret"], "exporter-" + i["exporter_label"], enc(b""), 32)
                eq(der, hx(m["15_exporter_derived_secret"]), "exporter secret")
                eq(expand_with_label(der, "exported", enc(hx(i["exporter_context"])), i["exporter_length"]), hx(c["output"]["exported"]), "exported")
                eq(v["12_confirmation_tag"], hx(c["output"]["confirmation_tag"]), "tag")
            ck.run_positive(c, f)
        else:
            def f():
                if not hmac.compare_digest(v["12_confirmation_tag"], hx(i["received_confirmation_tag"])):
                    raise Reject("bad_confirmation_tag")
            ck.expect_reject(c, f)


def sender_chain(app, leaf, upto):
    s = expand_with_label(app, "sender", enc(leaf), 32)
    base = s
    out = []
    for g in range(upto + 1):
        out.append({"generation": g, "chain_secret": s, "key": expand_with_label(s, "ratchet-key", enc(g), 32),
                    "nonce": expand_with_label(s, "ratchet-nonce", enc(g), 12)})
        s = expand_with_label(s, "ratchet-next", enc(g), 32)
    return base, out


def check_ratchet(ck, d):
    for c in d["cases"]:
        i = c["inputs"]

        def f():
            base, out = sender_chain(hx(i["app_secret"]), i["leaf"], i["generations"] - 1)
            eq(base, hx(c["intermediates"]["sender_base_secret"]), "base")
            for got, want in zip(out, c["output"]["chain"]):
                for k in ("chain_secret", "key", "nonce"):
                    eq(got[k], hx(want[k]), f"g{got['generation']} {k}")
        ck.run_positive(c, f)


def pad_len(n):
    if n <= 32:
        return 32
    nxt = 1 << (n - 1).bit_length()
    chunk = 32 if nxt <= 256 else nxt // 8
    return chunk * ((n - 1) // chunk + 1)


def new_window():
    """Receiver state of one epoch (§6.15): opened generations, chain positions, skipped store."""
    return {"opened": set(), "next": {}, "store": []}


def open_envelope(i, b, w):
    """The receiver's steps of §7.5 (and the window rules of §6.15); updates `w` on success."""
    v = decode(b)
    if not isinstance(v, list):
        raise Reject("malformed", "wrong_type")
    if len(v) != 8:
        raise Reject("malformed", "missing_key" if len(v) < 8 else "length_exceeded")
    ver, suite, ch, epoch, sender, g, guard, ct = v
    if ver != 1:
        raise Reject("unsupported_version")
    if suite != 1:
        raise Reject("unsupported_suite")
    if ch != hx(i["channel_id"]):
        raise Reject("malformed", "invalid_value")
    if epoch != i["epoch"]:
        raise Reject("wrong_epoch")
    roster = [hx(k) for k in i["roster_member_keys"]]
    if sender >= len(roster):
        raise Reject("unknown_sender")
    highest = max([x[1] for x in w["opened"] if x[0] == sender], default=-1)
    if g > highest + 1000:
        raise Reject("generation_too_far")
    nxt = w["next"].get(sender, 0)
    if g < nxt:
        if (sender, g) in w["store"]:
            pass
        elif (sender, g) in w["opened"]:
            raise Reject("duplicate_message")
        else:
            raise Reject("generation_expired")
    _, chain = sender_chain(hx(i["app_secret"]), sender, g)
    key, nonce = chain[-1]["key"], chain[-1]["nonce"]
    nonce = bytes(a ^ b for a, b in zip(nonce, guard + bytes(8)))
    aad = b"\x87" + b"".join(items_raw(b, 7))
    pt = aes_open(key, nonce, aad, ct)
    end = item_end(pt, 0)
    sc = cbor2.loads(pt[:end])
    if not isinstance(sc, list):
        raise Reject("malformed", "wrong_type")
    if len(pt) != pad_len(end) or any(pt[end:]):
        raise Reject("bad_padding")
    content_bytes, sig = sc
    content = decode(content_bytes)
    if not isinstance(content, dict):
        raise Reject("malformed", "wrong_type")
    if any(k not in (1, 2, 3, 4, 5, 6, 7) for k in content):
        raise Reject("malformed", "unknown_key")
    if content[4] == 0 and len(content[5]) != 0 or content[4] != 0 and len(content[5]) == 0:
        raise Reject("malformed", "invalid_value")
    msg = signing_input("msg", enc([hx(i["gc_hash"]), sender, g, content_bytes]))
    if not ed_verify(roster[sender], msg, sig):
        raise Reject("bad_signature")
    if sender in i.get("needs_update_leaves", []):
        raise Reject("update_required")
    body = content[2]
    if content[1] == 0 and (not isinstance(body, dict) or 1 not in body):
        raise Reject("malformed", "missing_key")
    # Accepted: record, and move the chain (skipped keys into the store, oldest dropped first).
    if g < nxt:
        w["store"].remove((sender, g))
    else:
        w["store"].extend((sender, h) for h in range(nxt, g))
        w["next"][sender] = g + 1
        while len(w["store"]) > 2000:
            w["store"].pop(0)
    w["opened"].add((sender, g))
    return sender, g, content, pt, key, nonce, aad


def check_envelope(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        b = hx(i["envelope"])
        w = new_window()

        def prior():
            for p in i["previously_opened"]:
                open_envelope(i, hx(p), w)
        if c["result"] == "valid":
            def f():
                prior()
                s, g, content, pt, key, nonce, aad = open_envelope(i, b, w)
                m = c["intermediates"]
                if "02_key" in m:
                    eq(key, hx(m["02_key"]), "key")
                    eq(nonce, hx(m["05_aead_nonce"]), "aead nonce")
                    eq(aad, hx(m["06_aad"]), "aad")
                if "07_plaintext" in m:
                    eq(pt, hx(m["07_plaintext"]), "plaintext")
                eq(s, c["output"]["sender"], "sender")
                eq(g, c["output"]["generation"], "generation")
                eq(content[1], c["output"]["content_type"], "content type")
                if "text" in c["output"]:
                    eq(content[2][1], c["output"]["text"], "text")
                if "seen_seq" in c["output"]:
                    eq(content[4], c["output"]["seen_seq"], "seen_seq")
                    eq(content[5], hx(c["output"]["seen_head"]), "seen_head")
                    prev = c["output"]["prev"]
                    eq(content.get(6), None if prev is None else hx(prev), "prev")
                    eq(content[3], c["output"]["sent_at_ms"], "sent_at_ms")
                eq(H("msgref", enc(b)), hx(c["output"]["msg_ref"]), "msg-ref")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: (prior(), open_envelope(i, b, w)))


def next_head(prev, seq, kind, b):
    return H("log", enc([prev, seq, kind, H("entry", enc(b))]))


def verify_page(st, page, tip, head_at_tip):
    """§9.5 steps 1 to 5."""
    if not (len(head_at_tip) == 32 or (tip == 0 and len(head_at_tip) == 0)):
        raise Reject("malformed", "wrong_size")
    if tip < st["T"]:
        raise Reject("rollback_detected")
    if not page and st["V"] < tip:
        raise Reject("withheld_detected")
    for k, e in enumerate(page):
        if e["seq"] > tip:
            raise Reject("fork_detected")
        if e["seq"] != st["V"] + 1 + k:
            raise Reject("withheld_detected")
    held = {s: hx(h) for s, h in st["held_heads"]}
    claims = {s: hx(h) for s, h in st["claims"]}
    own = {s: (k, hx(b)) for s, k, b in st["own_posts"]}
    prev = hx(st["head_V"])
    heads = []
    for e in page:
        h = next_head(prev, e["seq"], e["kind"], hx(e["bytes"]))
        if hx(e["head"]) != h:
            raise Reject("fork_detected")
        ref = held.get(e["seq"], claims.get(e["seq"]))
        if ref is not None and ref != h:
            raise Reject("fork_detected")
        if e["seq"] in own and own[e["seq"]] != (e["kind"], hx(e["bytes"])):
            raise Reject("fork_detected")
        prev = h
        heads.append(h)
    if page and page[-1]["seq"] == tip and head_at_tip != prev:
        raise Reject("fork_detected")
    if not page and st["V"] == tip and head_at_tip != hx(st["head_V"]):
        raise Reject("fork_detected")
    reached = page[-1]["seq"] if page else st["V"]
    if tip > reached:
        ref = held.get(tip, claims.get(tip))
        if ref is not None and ref != head_at_tip:
            raise Reject("fork_detected")
    return heads


def check_log_chain(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        if c["id"] == "log-chain-full":
            def f():
                prev = hx(i["head_0"])
                for e, m in zip(i["entries"], c["intermediates"]["chain"]):
                    eq(H("entry", enc(hx(e["bytes"]))), hx(m["entry_hash"]), "entry hash")
                    prev = next_head(prev, e["seq"], e["kind"], hx(e["bytes"]))
                    eq(prev, hx(m["head"]), f"head {e['seq']}")
                eq(prev, hx(c["output"]["head_at_tip"]), "head at tip")
            ck.run_positive(c, f)
            continue
        args = (i["client_state"], i["page"], i["tip"], hx(i["head_at_tip"]))
        if c["result"] == "valid":
            ck.run_positive(c, lambda: eq(verify_page(*args), [hx(h) for h in c["output"]["verified_heads"]], "heads"))
        else:
            ck.expect_reject(c, lambda: verify_page(*args))


def code_json(r):
    def one(name):
        return {"code": CODES[name], "name": name}
    return {"status": one(r.status), "detail": None if r.detail is None else one(r.detail)}


def process_entries(ms, st, page, anchor_seq=1):
    """A member processing verified entries in seq order (§9.5 step 6, §9.7, §9.8).

    `prev` is judged against every msg entry whose link verified, rejected ones included; a
    receiver anchored after seq 1 does not judge each member's first message (HRT-LOG-43); a
    claim mismatch is the per-entry result bad_claim and processing goes on (HRT-LOG-45)."""
    ms = dict(ms)
    ms["roster"] = cbor2.loads(hx(ms["roster_cbor"]))
    ms["left"] = set(ms["left_leaves"])
    ms["window"] = new_window()
    heads = {s_: hx(h) for s_, h in st["held_heads"]}
    own = {hx(b) for _, _, b in st["own_posts"]}
    verified, author, out = set(), {}, []
    # HRT-LOG-43's pre-anchor exception: one unverified prev value per member, closed for a
    # member once a message of theirs names a verified entry.
    pre_anchor, closed = {}, set()
    own_ident = ms["roster"][ms["leaf"]][3]
    for e in page:
        seq, kind, b = e["seq"], e["kind"], hx(e["bytes"])
        heads[seq] = hx(e["head"])
        item = {"seq": seq}
        try:
            if kind == 1:
                inp = {"channel_id": ms["channel_id"], "base_epoch": ms["epoch"], "host_url": ms["host_url"],
                       "base_roster_cbor": enc(ms["roster"]).hex(), "base_group_context": ms["group_context"],
                       "base_cth": ms["cth"], "init_secret_prev": ms["init_secret"], "receiver_leaf": ms["leaf"],
                       "receiver_init_private_key": ms["init_private_key"], "left_leaves": sorted(ms["left"]),
                       "base_needs_update_leaves": ms["needs_update_leaves"]}
                v, new_roster = process_commit(inp, b)
                me = ms["roster"][ms["leaf"]][0]
                old_mks = [x[0] for x in ms["roster"]]
                new_mks = [x[0] for x in new_roster]
                if me not in new_mks:
                    item["result"] = "removed"
                    out.append(item)
                    continue
                ms["left"] = {new_mks.index(old_mks[l]) for l in ms["left"] if old_mks[l] in new_mks}
                ms.update({"roster": new_roster, "leaf": new_mks.index(me), "epoch": ms["epoch"] + 1,
                           "group_context": v["00_group_context"].hex(), "gc_hash": v["00_gc_hash"].hex(),
                           "cth": v["00_cth"].hex(), "app_secret": v["07_app_secret"].hex(),
                           "init_secret": v["11_init_secret"].hex(), "window": new_window(),
                           "needs_update_leaves": v["nu"]})
                item.update({"result": "commit", "epoch": ms["epoch"]})
            elif kind == 3:
                sr = decode(b)
                key, req_b, sig = sr[1], sr[2], sr[3]
                req = decode(req_b)
                if not ed_verify(key, signing_input("request", enc(req_b)), sig) or req[1] != 12 \
                        or req.get(3) != hx(ms["channel_id"]) or req[2] != ms["host_url"]:
                    raise Reject("malformed", "invalid_value")
                leaf = [x[0] for x in ms["roster"]].index(key)
                ms["left"].add(leaf)
                item.update({"result": "leave", "leaf": leaf})
            elif kind == 2 and b in own:
                mref = H("msgref", enc(b))
                verified.add(mref)
                author[mref] = own_ident
                item["result"] = "own_message"
            elif kind == 2:
                i = {"channel_id": ms["channel_id"], "epoch": ms["epoch"], "app_secret": ms["app_secret"],
                     "gc_hash": ms["gc_hash"], "roster_member_keys": [x[0].hex() for x in ms["roster"]],
                     "needs_update_leaves": ms["needs_update_leaves"]}
                mref = H("msgref", enc(b))
                try:
                    sender, g, content, *_ = open_envelope(i, b, ms["window"])
                except Reject:
                    verified.add(mref)  # rejected, but its link verified: not withheld
                    raise
                ident = ms["roster"][sender][3]
                seen_seq, seen_head, prev = content[4], content[5], content.get(6)
                seen_ok = seen_seq < seq
                head_ok = seen_seq == 0 or seen_seq not in heads or heads[seen_seq] == seen_head
                if prev is None:
                    prev_ok = True
                elif prev in verified:
                    prev_ok = author.get(prev, ident) == ident
                    if prev_ok:
                        closed.add(ident)
                else:
                    prev_ok = anchor_seq > 1 and ident not in closed and pre_anchor.setdefault(ident, prev) == prev
                verified.add(mref)
                author[mref] = ident
                ok = seen_ok and head_ok and prev_ok
                item.update({"result": "message" if ok else "bad_claim", "sender": sender, "msg_ref": mref.hex()})
                if not ok:
                    item["error"] = code_json(Reject("bad_claim"))
                if content[1] == 0:
                    item["text"] = content[2][1]
            else:
                item["result"] = "other"
        except Reject as r:
            if r.status in ("fork_detected", "withheld_detected", "rollback_detected"):
                return out, r
            item.update({"result": "rejected", "error": code_json(r)})
        out.append(item)
    return out, None


def check_passive(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        args = (i["client_state"], i["page"], i["tip"], hx(i["head_at_tip"]))

        def run():
            verify_page(*args)
            out, det = process_entries(i["member_state"], i["client_state"], i["page"], i["anchor_seq"])
            want = c["intermediates"].get("processed")
            if want is not None:
                eq(out, want, "processed entries")
            if det is not None:
                raise det
            return out
        if c["result"] == "valid":
            ck.run_positive(c, lambda: eq(run(), c["output"]["processed"], "processed"))
        else:
            ck.expect_reject(c, run)


def check_host(ck, d):
    for c in d["cases"]:
        cfg = c["inputs"]["config"]
        raw = hx(c["inputs"]["request"])
        ops = set(range(15))

        def verdict():
            if len(raw) > cfg["max_request"]:
                raise Reject("too_large")
            sr = decode(raw)
            if not isinstance(sr, list):
                raise Reject("malformed", "wrong_type")
            if len(sr) != 4:
                raise Reject("malformed", "missing_key" if len(sr) < 4 else "length_exceeded")
            if sr[0] != 1:
                raise Reject("unsupported_version")
            key, req_b, sig = sr[1], sr[2], sr[3]
            if not valid_key(key) or not ed_verify(key, signing_input("request", enc(req_b)), sig):
                raise Reject("bad_signature")
            req = decode(req_b)
            if not isinstance(req, dict):
                raise Reject("malformed", "wrong_type")
            for k in req:
                if k not in (1, 2, 3, 4, 5, 6, 7):
                    raise Reject("malformed", "unknown_key")
            ext = req.get(7, {})
            crit = ext.get(1, [])
            if any(k not in cfg["critical_extensions_implemented"] for k in crit):
                raise Reject("unsupported_extension", "unknown_critical")
            if req[1] not in ops:
                raise Reject("unsupported_op")
            if req[2] != cfg["host_url"]:
                raise Reject("wrong_host")
            if abs(req[4] - cfg["now"]) > 300:
                raise Reject("stale_timestamp")
            for ns in cfg["nonce_store"]:
                if hx(ns["key"]) == key and hx(ns["nonce"]) == req[5]:
                    if hx(ns["signed_request"]) == raw:
                        return ("stored", hx(ns["response"]))
                    raise Reject("replay")
            if 3 not in req:
                raise Reject("malformed", "missing_key")
            body = req[6]
            if not isinstance(body, dict):
                raise Reject("malformed", "wrong_type")
            if any(k not in (1, 2) for k in body):
                raise Reject("malformed", "unknown_key")
            ch = cfg["channel"]
            member = key.hex() in ch["members"] and key.hex() not in ch["left"]
            if req[3] != hx(ch["channel_id"]) or not member:
                raise Reject("not_found")
            if body[1] > ch["tip"] or body[2] == 0 or body[2] > cfg["max_log_page"]:
                raise Reject("malformed", "invalid_value")
            return ("ok", None)
        if c["result"] == "valid":
            def f():
                kind, resp = verdict()
                if c["output"]["status_name"] == "stored_response":
                    eq(kind, "stored", "verdict")
                    eq(resp, hx(c["output"]["response"]), "stored response")
                    # The stored bytes are one valid Response (spec §8.4): version 1, a status,
                    # server_time, and for status ok a LogFetchResult.
                    r = decode(resp)
                    eq(sorted(r.keys()), [1, 2, 3, 4], "stored Response keys")
                    eq((r[1], r[2]), (1, 0), "stored Response version and status")
                    eq(isinstance(r[3], int), True, "stored Response server_time")
                    eq(sorted(r[4].keys()), [1, 2, 3, 4], "stored LogFetchResult keys")
                else:
                    eq(kind, "ok", "verdict")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, verdict)


def map_raw(b):
    """The raw value bytes of each key of the (validated) map `b`."""
    major, n, pos = _head(b, 0)
    out = {}
    for _ in range(n):
        _, k, pos = _head(b, pos)
        end = item_end(b, pos)
        out[k] = b[pos:end]
        pos = end
    return out


def typed_map(v, required, allowed):
    if not isinstance(v, dict):
        raise Reject("malformed", "wrong_type")
    for k in v:
        if k not in allowed:
            raise Reject("malformed", "unknown_key")
    for k in required:
        if k not in v:
            raise Reject("malformed", "missing_key")


def process_welcome(i, wb, gi_ct, anchor):
    """The joiner's steps of §6.12 (the GroupInfo ciphertext served with the Welcome), then the
    anchor check of HRT-LOG-26."""
    inv = cbor2.loads(hx(i["invite_cbor"]))
    suite, cid, conversation, inviter_fpr = inv[1], inv[3], inv[4], inv[5]
    w = decode(wb)
    typed_map(w, (1, 2, 3, 4, 5), (1, 2, 3, 4, 5, 7))
    if w[1] != 1:
        raise Reject("unsupported_version")
    if w[2] != 1:
        raise Reject("unsupported_suite")
    if w[2] != suite or w[3] != cid:
        raise Reject("welcome_mismatch")
    e = w[4]
    info = enc([label("welcome-seal"), [cid, e]])
    joiner = hpke_open(0, w[5][0], hx(i["joiner_init_private_key"]), info, b"", w[5][1], b"", b"")
    if len(joiner) != 32:
        raise Reject("decrypt_failed")
    ws = derive_secret(joiner, "welcome")
    wk = expand_with_label(ws, "welcome-key", enc(b""), 32)
    wn = expand_with_label(ws, "welcome-nonce", enc(b""), 12)
    sgi_b = aes_open(wk, wn, enc([cid, e]), gi_ct)
    sgi = decode(sgi_b)
    if not isinstance(sgi, list):
        raise Reject("malformed", "wrong_type")
    if len(sgi) != 2:
        raise Reject("malformed", "missing_key" if len(sgi) < 2 else "length_exceeded")
    gi_b, sig = sgi
    gi = decode(gi_b)
    typed_map(gi, (1, 2, 3, 4, 6, 7), (1, 2, 3, 4, 5, 6, 7))
    gc = gi[1]
    if gc[0] != 1:
        raise Reject("unsupported_version")
    if gc[1] != 1:
        raise Reject("unsupported_suite")
    roster, tag, s = gi[2], gi[3], gi[4]
    if s >= len(roster) or H("fpr", enc(roster[s][3]))[:16] != inviter_fpr:
        raise Reject("wrong_inviter")
    host = i["host_url"]

    def cert_ok(entry):
        return ed_verify(entry[3], signing_input("member-cert", enc([host, cid, entry[0]])), entry[4])
    if not cert_ok(roster[s]):
        raise Reject("bad_member_cert")
    if not ed_verify(roster[s][0], signing_input("group-info", enc(gi_b)), sig):
        raise Reject("bad_signature")
    gc_raw = map_raw(gi_b)[1]
    gch = H("gc", gc_raw)
    epoch_secret = expand_with_label(joiner, "epoch", enc(gch), 32)
    confirm_key = derive_secret(epoch_secret, "confirm-key")
    if not hmac.compare_digest(mac(confirm_key, "confirm", enc(gc[5])), tag):
        raise Reject("bad_confirmation_tag")
    own_mk, own_ik = hx(i["joiner_member_public_key"]), hx(i["joiner_identity_public_key"])
    own = [x for x in roster if x[0] == own_mk]
    nu = gi[7]
    own_leaf = [l for l, x in enumerate(roster) if x[0] == own_mk]
    consistent = (
        all(a < b for a, b in zip(nu, nu[1:])) and all(l < len(roster) for l in nu)
        and len(own_leaf) == 1 and own_leaf[0] in nu and
        gc[0] == w[1] and gc[1] == w[2] and gc[2] == cid and gc[3] == e and e >= 1 and len(gc[5]) == 32
        and gc[4] == H("roster", enc([Raw(map_raw(gi_b)[2]), nu]))
        and len({x[0] for x in roster}) == len(roster) and any(x[2] == 1 for x in roster)
        and len(own) == 1 and own[0][1] == x_pub(hx(i["joiner_init_private_key"])) and own[0][3] == own_ik
        and gi[6] == conversation
    )
    if not consistent:
        raise Reject("welcome_mismatch")
    if not all(valid_key(x[0]) and valid_key(x[3]) for x in roster):
        raise Reject("bad_signature")
    if not all(cert_ok(x) for x in roster):
        raise Reject("bad_member_cert")
    if anchor is not None:
        commit = decode(anchor)
        tbs = decode(commit[0])
        if tbs[4] + 1 != e or commit[2] != tag:
            raise Reject("welcome_mismatch")
    return e, epoch_secret, gch, gc_raw, sgi_b, roster


def check_welcome(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        anchor = None if i["anchor_commit"] is None else hx(i["anchor_commit"])
        if c["result"] == "valid":
            def f():
                e, es, gch, gc_raw, sgi_b, roster = process_welcome(i, hx(i["welcome"]), hx(i["group_info_ct"]), anchor)
                m = c["intermediates"]
                eq(es, hx(m["06_epoch_secret"]), "epoch secret")
                eq(gch, hx(m["00_gc_hash"]), "gc_hash")
                eq(gc_raw, hx(m["00_group_context"]), "GroupContext")
                eq(sgi_b, hx(m["00_signed_group_info"]), "SignedGroupInfo")
                eq(e, c["output"]["epoch"], "epoch")
                eq(derive_secret(es, "authentication"), hx(c["output"]["epoch_authenticator"]), "authenticator")
                eq(len(roster), c["output"]["roster_size"], "roster size")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: process_welcome(i, hx(i["welcome"]), hx(i["group_info_ct"]), anchor))


def process_commit(i, cb, recovery=None):
    """A member's steps of §6.9 on a commit, with the rules of §6.6 and §6.7.

    With `recovery` ({"seq", "must_remove"}, from `recovery_base`), the commit is a recovery
    commit of §6.9.3: key 11 is allowed, HRT-GRP-94 is checked after step 4, and a receiver the
    commit removes gets ("removed", None)."""
    cid, n, host = hx(i["channel_id"]), i["base_epoch"], i["host_url"]
    roster = cbor2.loads(hx(i["base_roster_cbor"]))
    commit = decode(cb)
    if not isinstance(commit, list):
        raise Reject("malformed", "wrong_type")
    if len(commit) != 3:
        raise Reject("malformed", "missing_key" if len(commit) < 3 else "length_exceeded")
    tbs_b, sig, tag = commit
    tbs = decode(tbs_b)
    typed_map(tbs, range(1, 10), range(1, 11) if recovery is None else range(1, 12))
    if tbs[1] != 1:
        raise Reject("unsupported_version")
    if tbs[2] != 1:
        raise Reject("unsupported_suite")
    if tbs[3] != cid:
        raise Reject("malformed", "invalid_value")
    if tbs[4] != n:
        raise Reject("wrong_epoch")
    c = tbs[5]
    if c >= len(roster):
        raise Reject("unknown_sender")
    if not ed_verify(roster[c][0], signing_input("commit", enc(tbs_b)), sig):
        raise Reject("bad_signature")
    ops = tbs[6]
    removes = [op[1] for op in ops if op[0] == 1]
    roles = {op[1]: op[2] for op in ops if op[0] == 3}
    rotates = [op[1] for op in ops if op[0] == 2]
    exts = [op[1] for op in ops if op[0] == 4]
    adds = [op for op in ops if op[0] == 0]
    touched = removes + [op[1] for op in ops if op[0] == 3]
    new_mks = [(rotates[0] if rotates and l == c else e[0]) for l, e in enumerate(roster) if l not in removes]
    new_mks += [a[1] for a in adds]
    well_formed = (
        all(l < len(roster) for l in touched) and len(rotates) <= 1 and len(exts) <= 1
        and len(set(touched)) == len(touched) and len(set(new_mks)) == len(new_mks) and len(new_mks) <= 256
        and not any(x_small_order(k) for k in [a[2] for a in adds] + [tbs[7]])
    )
    if not well_formed:
        raise Reject("malformed", "invalid_value")
    left = set(i["left_leaves"])
    new_roles = [roles.get(l, e[2]) for l, e in enumerate(roster) if l not in removes] + [a[3] for a in adds]
    authorised = (
        (roster[c][2] == 1 or all(op[0] == 2 or (op[0] == 1 and op[1] in left) for op in ops))
        and c not in removes and 1 in new_roles and all(l in removes for l in left)
    )
    if not authorised:
        raise Reject("forbidden")
    if recovery is not None:
        recovery_rules(tbs, roster[c], removes, recovery)
        if i["receiver_leaf"] in removes:
            return "removed", None
    kept = [l for l in range(len(roster)) if l not in removes]
    new_leaf = {l: j for j, l in enumerate(kept)}
    remaining = [new_leaf[l] for l in kept if l != c]
    if len(tbs[8]) != len(remaining):
        raise Reject("bad_sealed_secrets")
    me = new_leaf[i["receiver_leaf"]]
    enc_, ct = tbs[8][remaining.index(me)]
    info = enc([label("commit-seal"), [cid, n + 1, me]])
    cs = hpke_open(0, enc_, hx(i["receiver_init_private_key"]), info, b"", ct, b"", b"")
    if len(cs) != 32:
        raise Reject("decrypt_failed")
    ck_ = expand_with_label(cs, "commit-key", enc([cid, n]), 32)
    cn_ = expand_with_label(cs, "commit-nonce", enc([cid, n]), 12)
    priv = decode(aes_open(ck_, cn_, enc([cid, n, c]), tbs[9]))
    typed_map(priv, (1,), (1, 2, 3))
    if len(priv[1]) != len(adds) or (2 in priv) != bool(rotates):
        raise Reject("malformed", "invalid_value")
    if not all(valid_key(a[1]) and valid_key(p[0]) for a, p in zip(adds, priv[1])) or not all(valid_key(k) for k in rotates):
        raise Reject("bad_signature")
    cert_ok = lambda ik, mk, cert: ed_verify(ik, signing_input("member-cert", enc([host, cid, mk])), cert)
    if not all(cert_ok(p[0], a[1], p[1]) for a, p in zip(adds, priv[1])):
        raise Reject("bad_member_cert")
    if rotates and not cert_ok(roster[c][3], rotates[0], priv[2]):
        raise Reject("bad_member_cert")
    out = []
    for l, e in enumerate(roster):
        if l in removes:
            continue
        e = list(e)
        e[2] = roles.get(l, e[2])
        if l == c:
            e[1] = tbs[7]
            if rotates:
                e[0], e[4] = rotates[0], priv[2]
        out.append(e)
    for a, p in zip(adds, priv[1]):
        out.append([a[1], a[2], a[3], p[0], p[1]])
    base_gc = cbor2.loads(hx(i["base_group_context"]))
    ext = exts[0] if exts else base_gc[6]
    cth = H("cth", enc([hx(i["base_cth"]), tbs_b]))
    # §6.9 step 9: flags move with their entry; the committer's clears, added leaves are set.
    base_nu = set(i["base_needs_update_leaves"])
    kept = [l for l in range(len(roster)) if l not in removes]
    nu = [j for j, l in enumerate(kept) if l in base_nu and l != c] + list(range(len(kept), len(out)))
    gc = enc([1, 1, cid, n + 1, H("roster", enc([out, nu])), cth, ext])
    gch = H("gc", gc)
    v = epoch_values(hx(i["init_secret_prev"]), cs, gch, cth)
    if not hmac.compare_digest(v["12_confirmation_tag"], tag):
        raise Reject("bad_confirmation_tag")
    v.update({"00_commit_secret": cs, "00_commit_key": ck_, "00_commit_nonce": cn_, "00_cth": cth,
              "00_group_context": gc, "00_gc_hash": gch, "00_tbs_bytes": tbs_b, "nu": nu})
    return v, out


def check_commit(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        if c["result"] == "valid":
            def f():
                v, out = process_commit(i, hx(i["commit"]))
                for k, x in v.items():
                    if k != "nu":
                        eq(x, hx(c["intermediates"][k]), k)
                eq(v["10_epoch_authenticator"], hx(c["output"]["epoch_authenticator"]), "authenticator")
                eq(len(out), c["output"]["roster_size"], "roster size")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: process_commit(i, hx(i["commit"])))


def open_attachment(body_b, served):
    """The receiver's checks of §7.9 (HRT-MSG-41 to HRT-MSG-44)."""
    b = decode(body_b)
    typed_map(b, (1, 2, 3, 4, 6), (1, 2, 3, 4, 5, 6))
    ids, key, size, digest = b[1], b[2], b[3], b[6]
    n = len(ids)
    if n != max(1, -(-size // 65536)):
        raise Reject("malformed", "invalid_value")
    out = b""
    for k, bid in enumerate(ids):
        if k >= len(served) or H("blob", enc(served[k])) != bid:
            raise Reject("decrypt_failed")
        nonce = bytes(8) + k.to_bytes(4, "big")
        pt = aes_open(key, nonce, enc([label("attachment"), k, k == n - 1]), served[k])
        if k < n - 1 and len(pt) != 65536:
            raise Reject("decrypt_failed")
        out += pt
    if len(out) != size or sha256(out) != digest:
        raise Reject("decrypt_failed")
    return out


def check_attachment(ck, d):
    for c in d["cases"]:
        i = c["inputs"]
        served = [hx(x) for x in i["served_blobs"]]
        if c["result"] == "valid":
            def f():
                out = open_attachment(hx(i["attachment_body"]), served)
                eq(out, bytes((7 * k + 3) % 256 for k in range(len(out))), "plaintext pattern")
                eq(len(out), c["output"]["size"], "size")
                eq(sha256(out), hx(c["output"]["plaintext_sha256"]), "sha256")
                eq([H("blob", enc(s_)) for s_ in served], [hx(x) for x in c["intermediates"]["blob_ids"]], "blob ids")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: open_attachment(hx(i["attachment_body"]), served))


def check_host_url_family(ck, d):
    for c in d["cases"]:
        u = c["inputs"]["url"]
        if c["result"] == "valid":
            ck.run_positive(c, lambda: check_host_url(u))
        else:
            ck.expect_reject(c, lambda: check_host_url(u))


# --------------------------------------------------------------------------- ed25519 (§3.5.5)

def _lax_decode(b):
    """The point a lax decoder finds: y reduced mod p, "negative zero" read as x = 0."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    if y % P in (1, P - 1) and (b[31] & 0x80):
        return (0, y % P, 1, 0)
    yb = (y % P).to_bytes(32, "little")
    return _decompress(yb[:31] + bytes([yb[31] | (b[31] & 0x80)]))


def ed_class(b):
    """order-l, mixed-order, small-order, non-canonical or off-curve (the vectors' words)."""
    pt = _lax_decode(b)
    if pt is None:
        return "off-curve"
    if _decompress(b) is None:
        return "non-canonical"
    if _is_identity(_pt_mul(8, pt)):
        return "small-order"
    return "order-l" if _is_identity(_pt_mul(L, pt)) else "mixed-order"


def ed_equations(pub, msg, sig):
    """(cofactored, cofactorless) on the laxly decoded points; 'n/a' if S >= L or no point."""
    A, R = _lax_decode(pub), _lax_decode(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if A is None or R is None or s >= L:
        return ("n/a", "n/a")
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % L
    neg = lambda p: ((-p[0]) % P, p[1], p[2], (-p[3]) % P)
    d = _pt_add(_pt_add(_pt_mul(s, BASE), neg(R)), neg(_pt_mul(k, A)))
    word = lambda ok: "holds" if ok else "fails"
    return (word(_is_identity(_pt_mul(8, d))), word(_is_identity(d)))


def ed_verify_strict(pub, msg, sig):
    """A host's strict cofactorless verify (§3.5.5): conditions 1 to 3, then [S]B = R + [k]A."""
    return (ed_verify(pub, msg, sig)
            and ed_equations(pub, msg, sig)[1] == "holds")


def check_ed25519(ck, d):
    for c in d["cases"]:
        cid, i, m = c["id"], c["inputs"], c["intermediates"]
        pub = hx(i["public_key"])
        valid = c["result"] == "valid"
        if cid.startswith("ed25519-sig-"):
            msg, sig = hx(i["message"]), hx(i["signature"])
            a, r = ed_class(pub), ed_class(sig[:32])
            cof, cofless = ed_equations(pub, msg, sig)
            client = ed_verify(pub, msg, sig)
            mixed = "mixed-order" in (a, r)
        else:
            a = ed_class(pub)
            client = valid_key(pub)
            mixed = a == "mixed-order"
        host = "reject" if not client else ("either" if mixed else "accept")
        ck.ok(cid, client == valid, f"client rule (§3.5.1) says {client}, vector says {c['result']}")
        ck.ok(cid, m["host"] == host, f"host verdict {m['host']}, expected {host}")
        if cid.startswith("ed25519-sig-"):
            ck.ok(cid, (m["a_class"], m["r_class"]) == (a, r), f"classes {a}, {r}")
            ck.ok(cid, (m["cofactored_equation"], m["cofactorless_equation"]) == (cof, cofless),
                  f"equations {cof}, {cofless}")
            strict = ed_verify_strict(pub, msg, sig)
            ck.ok(cid, {"accept": strict, "reject": not strict, "either": True}[host],
                  "a strict cofactorless host verdict is not allowed")
        else:
            ck.ok(cid, m["class"] == a, f"class {a}")
        if valid:
            ck.ok(cid, c["output"] == {"client": "accept", "host": host}, "output")


# --------------------------------------------------------------------------- accumulated (§14.2.1)

class Stream:
    """SHAKE128 over "hearth/1 accumulated " || name, read in order (§14.2.1)."""

    def __init__(self, name):
        self.seed = b"hearth/1 accumulated " + name.encode()
        self.buf = hashlib.shake_128(self.seed).digest(1 << 20)
        self.pos = 0

    def take(self, n):
        while self.pos + n > len(self.buf):
            self.buf = hashlib.shake_128(self.seed).digest(2 * len(self.buf))
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def byte(self):
        return self.take(1)[0]

    def below(self, n):
        return int.from_bytes(self.take(2), "big") % max(n, 1)


def acc_item(s, depth):
    k = s.below(6 if depth < 3 else 4)
    if k == 0:
        cls = s.below(5)
        return int.from_bytes(s.take(8), "big") >> (59, 56, 48, 32, 0)[cls]
    if k == 1:
        return s.take(s.below(24))
    if k == 2:
        return "".join(chr(0x20 + b % 95) for b in s.take(s.below(24)))
    if k == 3:
        return (False, True, None)[s.below(3)]
    if k == 4:
        return [acc_item(s, depth + 1) for _ in range(s.below(4))]
    n = s.below(4)
    m, key = {}, s.below(8)
    for i in range(n):
        if i > 0:
            key += 1 + s.below(8)
        m[key] = acc_item(s, depth + 1)
    return m


def acc_wire_input(s):
    b = bytearray(enc(acc_item(s, 0)))
    m = s.below(4)
    if m == 1 and b:
        pos = s.below(len(b))
        b[pos] ^= 1 + s.below(255)
    elif m == 2 and b:
        del b[s.below(len(b)):]
    elif m == 3:
        b.append(s.byte())
    return bytes(b)


def acc_verdict(b):
    try:
        validate(b)
        return "ok"
    except Reject as r:
        return r.detail or r.status


def acc_wire(count):
    s, h, accepted = Stream("wire"), hashlib.sha256(), 0
    for _ in range(count):
        b = acc_wire_input(s)
        v = acc_verdict(b).encode()
        accepted += v == b"ok"
        h.update(len(b).to_bytes(2, "big") + b + bytes([len(v)]) + v)
    return h.hexdigest(), accepted


def acc_log(count):
    s, h = Stream("log"), hashlib.sha256()
    for _ in range(count):
        prev = b"" if s.below(8) == 0 else s.take(32)
        seq = 1 + s.below(65535)
        kind = s.below(5)
        b = s.take(s.below(64))
        h.update(next_head(prev, seq, kind, b))
    return h.hexdigest()


def acc_schedule(count):
    s, h = Stream("schedule"), hashlib.sha256()
    for _ in range(count):
        init_prev, commit_secret, gch, cth = s.take(32), s.take(32), s.take(32), s.take(32)
        v = epoch_values(init_prev, commit_secret, gch, cth)
        for k in sorted(v):
            h.update(v[k])
    return h.hexdigest()


def acc_ratchet(count):
    s, h = Stream("ratchet"), hashlib.sha256()
    for _ in range(count):
        app, leaf, g = s.take(32), s.byte(), s.below(16)
        _, out = sender_chain(app, leaf, g)
        last = out[-1]
        h.update(last["chain_secret"] + last["key"] + last["nonce"])
    return h.hexdigest()


ACCUMULATED = {"wire": acc_wire, "log": acc_log, "schedule": acc_schedule, "ratchet": acc_ratchet}


def check_accumulated(ck, d):
    for c in d["cases"]:
        fam = c["id"].removeprefix("accumulated-")

        def f(fam=fam, c=c):
            eq(c["inputs"]["stream"], f'SHAKE128("hearth/1 accumulated {fam}")', "stream")
            got = ACCUMULATED[fam](c["inputs"]["count"])
            if fam == "wire":
                got, accepted = got
                eq(accepted, c["output"]["accepted"], "accepted inputs")
                eq(c["inputs"]["count"] - accepted, c["output"]["rejected"], "rejected inputs")
            eq(got, c["output"]["sha256"], f"{fam} accumulated hash")
        ck.run_positive(c, f)
# --------------------------------------------------------------------------- recovery (§6.9.3)
#
# A member that rejected the named commit B holds epoch n and computes the recovery commit's
# base from B's clear-text ops; one that accepted B holds epoch n+1 and only reads B's ops to
# find its committer's and added leaves. Either way the recovery commit is then processed as
# any commit (process_commit) on that base, with the salt 0x00 * 32 for init_secret and the
# rules of HRT-GRP-94.


def recovery_rules(tbs, committer_entry, removes, recovery):
    """HRT-GRP-94: names the latest commit, removes its committer and every leaf it added, and
    comes from an admin of the base roster; each violation is forbidden."""
    if tbs.get(11) != recovery["seq"] or committer_entry[2] != 1 \
            or not all(l in removes for l in recovery["must_remove"]):
        raise Reject("forbidden")


def _clear_ops(tbs):
    ops = tbs[6]
    return ([op[1] for op in ops if op[0] == 1], {op[1]: op[2] for op in ops if op[0] == 3},
            [op[1] for op in ops if op[0] == 2], [op for op in ops if op[0] == 0],
            [op[1] for op in ops if op[0] == 4])


def recovery_base(i, named):
    """The base of a recovery commit naming `named` (§6.9.3): roster, needs_update leaves, left
    leaves, cth, ext, the receiver's leaf, and the leaves the recovery commit must remove."""
    cid = hx(i["channel_id"])
    roster = cbor2.loads(hx(i["roster_cbor"]))
    gc = cbor2.loads(hx(i["group_context"]))
    commit = decode(named)
    tbs_b = commit[0]
    tbs = decode(tbs_b)
    c = tbs[5]
    removes, roles, rotates, adds, exts = _clear_ops(tbs)
    nu, left, me = set(i["needs_update_leaves"]), set(i["left_leaves"]), i["receiver_leaf"]
    if i["receiver_accepted_named_commit"]:
        # Holds B's epoch: B's committer moved down by the removed leaves below it; B's added
        # leaves are the last ones; both must match the installed roster.
        if tbs[4] + 1 != i["epoch"]:
            raise Reject("forbidden")
        c_new = c - len([l for l in removes if l < c])
        first_added = len(roster) - len(adds)
        if c_new >= first_added or roster[c_new][1] != tbs[7] or (rotates and roster[c_new][0] != rotates[0]) \
                or any(roster[first_added + k][:3] != [a[1], a[2], a[3]] for k, a in enumerate(adds)):
            raise Reject("forbidden")
        return {"epoch": i["epoch"], "roster": roster, "nu": sorted(nu), "left": sorted(left), "cth": hx(i["cth"]),
                "ext": gc[6], "me": me, "must_remove": sorted([c_new] + list(range(first_added, len(roster))))}
    # Rejected B at steps 5 to 8: B passed steps 1 to 4 at epoch n; check that again (HRT-GRP-104),
    # with the codes of §6.9.
    if tbs[3] != cid:
        raise Reject("malformed", "invalid_value")
    if tbs[4] != i["epoch"]:
        raise Reject("wrong_epoch")
    if c >= len(roster):
        raise Reject("unknown_sender")
    if not ed_verify(roster[c][0], signing_input("commit", enc(tbs_b)), commit[1]):
        raise Reject("bad_signature")
    out, origin = [], []
    for l, e in enumerate(roster):
        if l in removes:
            continue
        e = list(e)
        e[2] = roles.get(l, e[2])
        if l == c:
            e[1] = tbs[7]
            if rotates:
                e[0] = rotates[0]
        out.append(e)
        origin.append(l)
    # The identities and certificates of B's added leaves are in B's CommitPrivate, which this
    # member cannot read; the recovery commit removes these entries, so any value does.
    for a in adds:
        out.append([a[1], a[2], a[3], a[1], bytes(64)])
    c_new = origin.index(c)
    added = list(range(len(origin), len(out)))
    return {"epoch": i["epoch"] + 1, "roster": out,
            "nu": [j for j, l in enumerate(origin) if l in nu and l != c] + added,
            "left": [j for j, l in enumerate(origin) if l in left], "cth": H("cth", enc([hx(i["cth"]), tbs_b])),
            "ext": exts[0] if exts else gc[6], "me": origin.index(me), "must_remove": sorted([c_new] + added)}


def process_recovery(i):
    base = recovery_base(i, hx(i["named_commit"]))
    cid = hx(i["channel_id"])
    inp = {"channel_id": i["channel_id"], "base_epoch": base["epoch"], "host_url": i["host_url"],
           "base_roster_cbor": enc(base["roster"]).hex(),
           "base_group_context": enc([1, 1, cid, base["epoch"], b"", base["cth"], base["ext"]]).hex(),
           "base_cth": base["cth"].hex(), "init_secret_prev": bytes(32).hex(), "receiver_leaf": base["me"],
           "receiver_init_private_key": i.get("receiver_init_private_key", ""), "left_leaves": base["left"],
           "base_needs_update_leaves": base["nu"]}
    v, out = process_commit(inp, hx(i["recovery_commit"]), {"seq": i["named_seq"], "must_remove": base["must_remove"]})
    return base, v, out


def verify_report(i, b):
    """A `report` entry (§6.13): a commit.report SignedRequest of this channel and host, signed
    by a member key of the verifier's roster; returns (leaf, seq, code)."""
    sr = decode(b)
    key, req_b, sig = sr[1], sr[2], sr[3]
    keys = [hx(k) for k in i["roster_member_keys"]]
    if key not in keys:
        raise Reject("unknown_sender")
    if not ed_verify(key, signing_input("request", enc(req_b)), sig):
        raise Reject("bad_signature")
    req = decode(req_b)
    if req[1] != 8 or req.get(3) != hx(i["channel_id"]) or req[2] != i["host_url"]:
        raise Reject("malformed", "invalid_value")
    body = req[6]
    return keys.index(key), body[1], body[2]


def check_recovery(ck, d):
    for c in d["cases"]:
        i, want = c["inputs"], c.get("output", {})
        if "report" in i:
            if c["result"] == "valid":
                def f():
                    eq(verify_report(i, hx(i["report"])), (want["reporter_leaf"], want["seq"], want["code"]), "report")
                ck.run_positive(c, f)
            else:
                ck.expect_reject(c, lambda: verify_report(i, hx(i["report"])))
        elif "commit" in i:  # the named commit B at a member of its base epoch
            if c["result"] == "valid":
                def f():
                    v, out = process_commit(i, hx(i["commit"]))
                    for k, x in v.items():
                        if k != "nu":
                            eq(x, hx(c["intermediates"][k]) if k in c["intermediates"] else x, k)
                    eq(enc(out), hx(want["roster_cbor"]), "roster")
                    eq(v["nu"], want["needs_update_leaves"], "needs_update")
                    eq(v["10_epoch_authenticator"], hx(want["epoch_authenticator"]), "authenticator")
                ck.run_positive(c, f)
            else:
                ck.expect_reject(c, lambda: process_commit(i, hx(i["commit"])))
        elif c["result"] == "valid":
            def f():
                base, v, out = process_recovery(i)
                if want["removed"]:
                    eq(v, "removed", "removed")
                    return
                m = c["intermediates"]
                eq(base["epoch"], m["00_base_epoch"], "base epoch")
                eq([e[0] for e in base["roster"]], [hx(k) for k in m["00_base_member_keys"]], "base roster")
                eq(base["cth"], hx(m["00_base_cth"]), "base cth")
                eq(base["nu"], m["00_base_needs_update_leaves"], "base needs_update")
                eq(base["must_remove"], m["00_must_remove"], "must remove")
                for k, x in v.items():
                    if k in m:
                        eq(x, hx(m[k]), k)
                eq(v["01_extract_prk"], extract(hx(m["00_salt"]), v["00_commit_secret"]), "salt")
                eq(enc(out), hx(want["roster_cbor"]), "roster")
                eq(v["nu"], want["needs_update_leaves"], "needs_update")
                eq([e[0] for e in out].index(cbor2.loads(hx(i["roster_cbor"]))[i["receiver_leaf"]][0]),
                   want["receiver_leaf"], "leaf")
                eq(v["12_confirmation_tag"], hx(want["confirmation_tag"]), "tag")
                eq(v["10_epoch_authenticator"], hx(want["epoch_authenticator"]), "authenticator")
            ck.run_positive(c, f)
        else:
            ck.expect_reject(c, lambda: process_recovery(i))
# --------------------------------------------------------------------------- suite 2 (X-Wing)
# X-Wing (draft-connolly-cfrg-xwing-kem) from ML-KEM-768 of the pure-Python kyber-py package
# (FIPS 203), X25519 of `cryptography` and SHA3 of hashlib; HPKE over it with kem_id 0x647a
# (draft-ietf-hpke-pq). Independent of the Rust code: only the published constructions.

XWING_LABEL = b"\\.//^\\"
XWING_HPKE_SUITE = b"HPKE\x64\x7a\x00\x01\x00\x02"


def mlkem768():
    from kyber_py.ml_kem import ML_KEM_768  # imported here: only suite 2 needs it
    return ML_KEM_768


def x25519_raw(sk, pk):
    """X25519 without the all-zero check: X-Wing does not reject it (draft §5.3)."""
    try:
        return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
    except ValueError:
        return bytes(32)


def xwing_expand(seed):
    ex = hashlib.shake_256(seed).digest(96)
    ek, dk = mlkem768()._keygen_internal(ex[:32], ex[32:64])
    sk_x = ex[64:96]
    return ek, dk, sk_x, x_pub(sk_x)


def xwing_combiner(ss_m, ss_x, ct_x, pk_x):
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()


def mlkem_ek_ok(ek):
    """FIPS 203 §7.2: every 12-bit coefficient of the encapsulation key is below q = 3329."""
    if len(ek) != 1184:
        return False
    t = ek[:1152]
    for i in range(0, len(t), 3):
        a, b, c = t[i], t[i + 1], t[i + 2]
        if (a | (b & 0x0F) << 8) >= 3329 or (b >> 4 | c << 4) >= 3329:
            return False
    return True


def xwing_encap(pk, eseed):
    if len(pk) != 1216 or not mlkem_ek_ok(pk[:1184]):
        raise Reject("malformed", "invalid_value")
    ek_m, pk_x = pk[:1184], pk[1184:]
    ss_m, ct_m = mlkem768()._encaps_internal(ek_m, eseed[:32])
    ek_x = eseed[32:64]
    ct_x = x_pub(ek_x)
    ss_x = x25519_raw(ek_x, pk_x)
    return xwing_combiner(ss_m, ss_x, ct_x, pk_x), ct_m + ct_x


def xwing_decap(ct, seed):
    if len(ct) != 1120:
        raise Reject("malformed", "wrong_size")
    _, dk, sk_x, pk_x = xwing_expand(seed)
    ss_m = mlkem768().decaps(dk, ct[:1088])
    ct_x = ct[1088:]
    return xwing_combiner(ss_m, x25519_raw(sk_x, ct_x), ct_x, pk_x)


def xwing_schedule(shared, info):
    """RFC 9180 §5.1 KeySchedule, Base mode, under suite 2's HPKE suite_id."""
    sid = XWING_HPKE_SUITE
    ctx = bytes([0]) + lextract(sid, b"", b"psk_id_hash", b"") + lextract(sid, b"", b"info_hash", info)
    secret = lextract(sid, shared, b"secret", b"")
    return lexpand(sid, secret, b"key", ctx, 32), lexpand(sid, secret, b"base_nonce", ctx, 12)


def kem_enc_len_ok(b):
    """A kem-enc decodes at 32 or 1,120 bytes (HRT-WIRE-29)."""
    v = decode(b)
    if not isinstance(v, bytes):
        raise Reject("malformed", "wrong_type")
    if len(v) > 1120:
        raise Reject("malformed", "length_exceeded")
    if len(v) not in (32, 1120):
        raise Reject("malformed", "wrong_size")
    return v


def check_hpke_suite2(ck, d):
    ck.ok("hpke_suite2:suite", d["suite"] == 2, "the family is suite 2's")
    for c in d["cases"]:
        i, cid = c["inputs"], c["id"]
        if cid == "suite2-init-key-of-seed":
            def f():
                ek, _, _, pk_x = xwing_expand(hx(i["seed"]))
                eq(ek + pk_x, hx(c["output"]["public_key"]), "public key")
            ck.run_positive(c, f)
        elif cid == "suite2-init-key-modulus":
            ck.expect_reject(c, lambda: xwing_encap(hx(i["public_key"]), bytes(64)))
        elif cid == "suite2-kem-enc-wrong-size":
            ck.expect_reject(c, lambda: kem_enc_len_ok(hx(i["kem_enc"])))
        elif c["result"] == "valid":
            def f():
                ek, _, _, pk_x = xwing_expand(hx(i["seed_r"]))
                eq(ek + pk_x, hx(i["pk_r"]), "pk_r")
                ss, enc_ = xwing_encap(hx(i["pk_r"]), hx(i["eseed"]))
                eq(ss, hx(c["intermediates"]["shared_secret"]), "shared_secret")
                eq(enc_, hx(c["output"]["enc"]), "enc")
                key, nonce = xwing_schedule(ss, hx(i["info"]))
                eq(AESGCM(key).encrypt(nonce, hx(i["pt"]), hx(i["aad"])), hx(c["output"]["ct"]), "ct")
                ss2 = xwing_decap(enc_, hx(i["seed_r"]))
                eq(ss2, ss, "decapsulation")
            ck.run_positive(c, f)
        else:
            def f():
                ss = xwing_decap(hx(i["enc"]), hx(i["seed_r"]))
                key, nonce = xwing_schedule(ss, hx(i["info"]))
                aes_open(key, nonce, hx(i["aad"]), hx(i["ct"]))
            ck.expect_reject(c, f)


CHECKERS = {
    "wire": check_wire, "structures": check_wire, "labelled": check_labelled, "hpke": check_hpke,
    "keys": check_keys, "ed25519": check_ed25519, "invite": check_invite, "schedule": check_schedule, "ratchet": check_ratchet,
    "envelope": check_envelope, "log_chain": check_log_chain, "passive_client": check_passive,
    "host_verdict": check_host, "welcome": check_welcome,
    "commit": check_commit, "attachment": check_attachment, "host_url": check_host_url_family,
    "accumulated": check_accumulated,
    "recovery": check_recovery,
    "hpke_suite2": check_hpke_suite2,
}

NOT_IMPLEMENTED = {
}


def manifest_check(ck, root):
    path = os.path.join(root, "MANIFEST")
    with open(path) as f:
        for line in f:
            h, name = line.rstrip("\n").split("  ", 1)
            with open(os.path.join(root, name), "rb") as g:
                ck.ok(f"MANIFEST:{name}", hashlib.sha256(g.read()).hexdigest() == h, "SHA-256 differs")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    ck = Checker()
    manifest_check(ck, root)
    for name in sorted(os.listdir(root)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(root, name)) as f:
            d = json.load(f)
        fam = d["family"]
        before = (ck.passed, ck.failed)
        if fam in CHECKERS:
            CHECKERS[fam](ck, d)
            print(f"  {name:22s} passed {ck.passed - before[0]:4d}  failed {ck.failed - before[1]:4d}")
        else:
            why = NOT_IMPLEMENTED.get(fam, "no checker for this family")
            ck.not_checked.append((fam, why, len(d["cases"])))
    for f in ck.failures:
        print("FAIL", f)
    print("Not checked by this program (listed, not skipped silently):")
    for fam, why, n in ck.not_checked:
        print(f"  {fam}: {n} cases: {why}")
    print(f"{ck.passed} passed, {ck.failed} failed")
    sys.exit(1 if ck.failed else 0)


if __name__ == "__main__":
    main()
