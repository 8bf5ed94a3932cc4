#!/usr/bin/env python3
"""Independent verifier for the tellwang audit chain, format version 1.

Written from docs/audit-chain.md alone (no Rust code was read), using only
the Python standard library.

Usage:
    python3 verify_chain.py --vectors     check the document's test vectors
    python3 verify_chain.py CHAIN.json    verify an exported chain

CHAIN.json holds
    {"team": "team_<32 hex>",
     "entries": [{"seq", "team", "at", "actor": {"id", "kind"}, "action",
                  "target", "request_id", "payload" (a string),
                  "prev_hash", "hash" (lowercase hex)}, ...],
     "head": {"seq": N, "hash": "<hex>"}}          ("head" is optional)
and the verifier prints one JSON line
    {"ok": bool, "entries_checked": n, "first_break": null | {"seq": n, "kind": k}}
Exit status: 0 intact, 1 break found, 2 unusable input.

Interpretation choices where the document is silent (see the report that
accompanies this file):
  * entries are stably sorted by seq before walking ("Read the team's
    entries in increasing seq order"); file order is otherwise ignored;
  * genesis is computed from the top-level "team"; each entry's own "team"
    field is hashed as stored;
  * "the entry two before" seq 2 is the genesis value (the hash of "entry 0");
  * reported seq: missing -> the expected (absent) seq; out_of_order from
    step 1 -> the repeated seq of the offending entry; inserted (step 2) ->
    seq - 1; out_of_order (step 2), content_changed, link_broken -> the
    entry's seq; truncated -> the first absent seq (last seq + 1);
    inserted after the head record -> head.seq + 1; head_mismatch -> head.seq;
  * the head record is checked during the walk (steps 5 and 7) and for
    truncation after it, as the document's table now specifies;
  * entries_checked = number of entries found intact before the first break.
"""

import hashlib
import hmac
import json
import sys

U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1

ENTRY_TAG = b"tellwang/audit/v1" + b"\x00"
GENESIS_TAG = b"tellwang/audit/v1/genesis" + b"\x00"
CHECKPOINT_TAG = b"tellwang/audit/checkpoint/v1" + b"\x00"
assert len(ENTRY_TAG) == 18 and len(GENESIS_TAG) == 26 and len(CHECKPOINT_TAG) == 29


class Unusable(Exception):
    """Input that cannot be verified at all (exit status 2)."""


# --------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------

def u32(n: int) -> bytes:
    if not 0 <= n <= U32_MAX:
        raise Unusable(f"u32 out of range: {n}")
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    if not 0 <= n <= U64_MAX:
        raise Unusable(f"u64 out of range: {n}")
    return n.to_bytes(8, "big")


def i64(n: int) -> bytes:
    if not I64_MIN <= n <= I64_MAX:
        raise Unusable(f"i64 out of range: {n}")
    return n.to_bytes(8, "big", signed=True)


def text(s: str) -> bytes:
    try:
        b = s.encode("utf-8")  # strict: lone surrogates are refused
    except UnicodeEncodeError as e:
        raise Unusable(f"text is not encodable as UTF-8: {e}") from None
    return u32(len(b)) + b


def genesis(team: str) -> bytes:
    return hashlib.sha256(GENESIS_TAG + text(team)).digest()


def canonical_bytes(e: dict, seq: int | None = None) -> bytes:
    """Canonical bytes of entry e; `seq` overrides e["seq"] (for diagnosis)."""
    return b"".join([
        ENTRY_TAG,
        e["prev_hash"],
        u64(e["seq"] if seq is None else seq),
        text(e["team"]),
        i64(e["at"]),
        text(e["actor_id"]),
        text(e["actor_kind"]),
        text(e["action"]),
        text(e["target"]),
        text(e["request_id"]),
        text(e["payload"]),
    ])


def entry_hash(e: dict, seq: int | None = None) -> bytes:
    return hashlib.sha256(canonical_bytes(e, seq)).digest()


def eq(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# --------------------------------------------------------------------------
# Verification (docs/audit-chain.md, "Verifying a chain")
# --------------------------------------------------------------------------

def verify(team: str, entries: list[dict], head: dict | None = None) -> dict:
    """entries: normalised dicts (see parse_entry). Returns the report dict."""
    entries = sorted(entries, key=lambda e: e["seq"])  # stable
    expected = 1
    prev = genesis(team)
    # verified hashes by position; index 0 is the genesis value ("entry 0")
    good = [prev]
    checked = 0

    def brk(seq, kind):
        return {"ok": False, "entries_checked": checked,
                "first_break": {"seq": seq, "kind": kind}}

    for e in entries:
        seq = e["seq"]
        # step 1
        if seq > expected:
            return brk(expected, "missing")
        if seq < expected:
            return brk(seq, "out_of_order")
        # step 2
        if not eq(entry_hash(e), e["hash"]):
            if seq >= 2 and eq(entry_hash(e, seq - 1), e["hash"]) \
                    and eq(e["prev_hash"], good[seq - 2]):
                # the entry accepted just before is the inserted one
                return {"ok": False, "entries_checked": checked - 1,
                        "first_break": {"seq": seq - 1, "kind": "inserted"}}
            if seq < U64_MAX and eq(entry_hash(e, seq + 1), e["hash"]):
                return brk(seq, "out_of_order")
            return brk(seq, "content_changed")
        # step 3
        if not eq(e["prev_hash"], prev):
            return brk(seq, "link_broken")
        # steps 5 and 7 (no checkpoints here: Ed25519 is not in the standard library)
        if head is not None and seq > head["seq"]:
            return brk(seq, "inserted")
        if head is not None and seq == head["seq"] and not eq(e["hash"], head["hash"]):
            return brk(seq, "head_mismatch")
        # intact
        prev = e["hash"]
        good.append(prev)
        expected += 1
        checked += 1

    if head is not None and expected - 1 < head["seq"]:
        return brk(expected, "truncated")

    return {"ok": True, "entries_checked": checked, "first_break": None}


# --------------------------------------------------------------------------
# Input parsing
# --------------------------------------------------------------------------

HEX = set("0123456789abcdef")


def want_int(v, what, lo, hi):
    if type(v) is not int:  # rejects bool and float
        raise Unusable(f"{what} must be a JSON integer, got {v!r}")
    if not lo <= v <= hi:
        raise Unusable(f"{what} out of range: {v}")
    return v


def want_str(v, what):
    if type(v) is not str:
        raise Unusable(f"{what} must be a JSON string, got {type(v).__name__}")
    text(v)  # must be encodable
    return v


def want_hash(v, what):
    want_str(v, what)
    if len(v) != 64 or not set(v) <= HEX:
        raise Unusable(f"{what} must be 64 lowercase hex digits, got {v!r}")
    return bytes.fromhex(v)


def want_obj(v, what):
    if type(v) is not dict:
        raise Unusable(f"{what} must be a JSON object")
    return v


def field(o, k, what):
    if k not in o:
        raise Unusable(f"{what}: missing field {k!r}")
    return o[k]


def parse_entry(o, i) -> dict:
    w = f"entries[{i}]"
    want_obj(o, w)
    actor = want_obj(field(o, "actor", w), w + ".actor")
    return {
        "seq": want_int(field(o, "seq", w), w + ".seq", 0, U64_MAX),
        "team": want_str(field(o, "team", w), w + ".team"),
        "at": want_int(field(o, "at", w), w + ".at", I64_MIN, I64_MAX),
        "actor_id": want_str(field(actor, "id", w + ".actor"), w + ".actor.id"),
        "actor_kind": want_str(field(actor, "kind", w + ".actor"), w + ".actor.kind"),
        "action": want_str(field(o, "action", w), w + ".action"),
        "target": want_str(field(o, "target", w), w + ".target"),
        "request_id": want_str(field(o, "request_id", w), w + ".request_id"),
        "payload": want_str(field(o, "payload", w), w + ".payload"),
        "prev_hash": want_hash(field(o, "prev_hash", w), w + ".prev_hash"),
        "hash": want_hash(field(o, "hash", w), w + ".hash"),
    }


def load_chain(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Unusable(f"cannot read {path}: {e}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise Unusable(f"not JSON: {e}") from None
    return parse_chain(doc)


def parse_chain(doc):
    want_obj(doc, "top level")
    team = want_str(field(doc, "team", "top level"), "team")
    raw_entries = field(doc, "entries", "top level")
    if type(raw_entries) is not list:
        raise Unusable("entries must be a JSON array")
    entries = [parse_entry(o, i) for i, o in enumerate(raw_entries)]
    head = doc.get("head")
    if head is not None:
        want_obj(head, "head")
        head = {"seq": want_int(field(head, "seq", "head"), "head.seq", 0, U64_MAX),
                "hash": want_hash(field(head, "hash", "head"), "head.hash")}
    return team, entries, head


def main_many(path) -> int:
    """A JSON array of chain documents: one report line per chain (for tests)."""
    try:
        with open(path, "rb") as f:
            docs = json.loads(f.read().decode("utf-8"))
        if type(docs) is not list:
            raise Unusable("--many wants a JSON array of chains")
        chains = [parse_chain(doc) for doc in docs]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, Unusable) as e:
        print(f"unusable input: {e}", file=sys.stderr)
        return 2
    for team, entries, head in chains:
        print(json.dumps(verify(team, entries, head)))
    return 0


def main_chain(path) -> int:
    try:
        team, entries, head = load_chain(path)
    except Unusable as e:
        print(f"unusable input: {e}", file=sys.stderr)
        return 2
    report = verify(team, entries, head)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


# --------------------------------------------------------------------------
# Test vectors (docs/audit-chain.md, "Test vectors"), hard-coded
# --------------------------------------------------------------------------

V_TEAM = "team_00112233445566778899aabbccddeeff"
V_GENESIS = "b2672940181c3f568de176cafcd940eadeb288d16ea87711085733edcd8e8b77"
V_WOK = "wok_fedcba9876543210fedcba9876543210"
V_ROWS = [
    # seq, at, actor.id, actor.kind, action, target, request_id, payload
    (1, 1767225600000000, "prn_0123456789abcdef0123456789abcdef", "user",
     "wok.create", V_WOK, "req-0001",
     '{"name":"billing","region":"ca-central-1"}'),
    (2, 1767225601500000, "prn_aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb", "agent",
     "secret.put", V_WOK, "req-0002",
     '{"kind":"env_var","name":"DATABASE_URL","version":1}'),
    (3, 1767225662000001, "ops@example.com", "operator",
     "wok.delete", "", "",
     # NFC: u-umlaut U+00FC, i-diaeresis U+00EF, o-umlaut U+00F6,
     # e-acute U+00E9, check mark U+2713 (as the bytes in the .md file)
     '{"n":-7,"note":"\u00fcn\u00efc\u00f6d\u00e9 \u2713"}'),
]
V_HASHES = [
    "9dae010ffd1bd3e49665b3571cefae1b3e6d506f0493d350c24c3aa7b95f7536",
    "7ac48e7b1efbfaf70197091565ccebb56e3decc390014c44066fb0e38644ac91",
    "f0ef4c599f1d404ed2a8e5d9e8c9ed7eb9f6c8d51e25b5896eb75d40b8393cec",
]
V_CANONICAL_1 = (
    "74656c6c77616e672f61756469742f763100b2672940181c3f568de176cafcd940eadeb2"
    "88d16ea87711085733edcd8e8b770000000000000001000000257465616d5f3030313132"
    "3233333434353536363737383839396161626263636464656566660006474846204000"
    "0000002470726e5f30313233343536373839616263646566303132333435363738396162"
    "636465660000000475736572" "0000000a776f6b2e637265617465"
    "00000024776f6b5f6665646362613938373635343332313066656463626139383736353433"
    "323130000000087265712d303030310000002a7b226e616d65223a2262696c6c696e6722"
    "2c22726567696f6e223a2263612d63656e7472616c2d31227d"
)
V_TAMPERED_PAYLOAD = '{"kind":"env_var","name":"DATABASE_URL","version":2}'
V_TAMPERED_HASH = "2b91a66924f2641bfc8d5f90e6c3cd3b6412bc272a0bc05003cc7e4bfb249a51"


def vector_entries() -> list[dict]:
    out = []
    prev = bytes.fromhex(V_GENESIS)
    for (seq, at, aid, akind, action, target, rid, payload), h in zip(V_ROWS, V_HASHES):
        out.append({"seq": seq, "team": V_TEAM, "at": at, "actor_id": aid,
                    "actor_kind": akind, "action": action, "target": target,
                    "request_id": rid, "payload": payload,
                    "prev_hash": prev, "hash": bytes.fromhex(h)})
        prev = bytes.fromhex(h)
    return out


def main_vectors() -> int:
    failures = 0

    def check(name, got, want):
        nonlocal failures
        ok = got == want
        failures += not ok
        print(f"[{'ok' if ok else 'FAIL'}] {name}: {got}")
        if not ok:
            print(f"       expected: {want}")

    check("genesis(team)", genesis(V_TEAM).hex(), V_GENESIS)

    entries = vector_entries()
    prev = genesis(V_TEAM)
    for e, want in zip(entries, V_HASHES):
        # compute with the prev_hash *we* derived, not the hard-coded one
        e2 = dict(e, prev_hash=prev)
        cb = canonical_bytes(e2)
        if e["seq"] == 1:
            check("canonical bytes of entry 1", cb.hex(), V_CANONICAL_1)
            check("canonical bytes of entry 1, length", len(cb), len(V_CANONICAL_1) // 2)
        h = hashlib.sha256(cb).digest()
        check(f"hash of entry {e['seq']}", h.hex(), want)
        prev = h

    check("verify(intact vector chain)", verify(V_TEAM, entries),
          {"ok": True, "entries_checked": 3, "first_break": None})
    check("verify(intact vector chain, head = entry 3)",
          verify(V_TEAM, entries, {"seq": 3, "hash": bytes.fromhex(V_HASHES[2])}),
          {"ok": True, "entries_checked": 3, "first_break": None})

    tampered = vector_entries()
    tampered[1]["payload"] = V_TAMPERED_PAYLOAD  # stored hash left as it was
    check("recomputed hash of tampered entry 2", entry_hash(tampered[1]).hex(),
          V_TAMPERED_HASH)
    check("verify(tampered chain)", verify(V_TEAM, tampered),
          {"ok": False, "entries_checked": 1,
           "first_break": {"seq": 2, "kind": "content_changed"}})
    print("       (content changed at seq 2; trusted head is entry 1)")

    print(f"{'all checks passed' if failures == 0 else f'{failures} check(s) FAILED'}")
    return 0 if failures == 0 else 1


def main(argv) -> int:
    if len(argv) == 2 and argv[1] == "--vectors":
        return main_vectors()
    if len(argv) == 3 and argv[1] == "--many":
        return main_many(argv[2])
    if len(argv) == 2:
        return main_chain(argv[1])
    print("usage: verify_chain.py --vectors | verify_chain.py CHAIN.json | verify_chain.py --many CHAINS.json",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
