#!/usr/bin/env python3
"""An implementation of docs/vault-format.md, written from that page alone.

    independent_decrypt.py read  DB KEK_DIR WOK NAME VERSION EXPECTED_HEX
    independent_decrypt.py write DB KEK_DIR WOK NAME VALUE_HEX

`read` decrypts one stored secret version from a tellwang-vault SQLite
database with the KEK files in KEK_DIR and checks it equals EXPECTED_HEX.
`write` seals VALUE_HEX as version 1 of a new secret NAME (kind env_var) in
the new Wok WOK, under a new data key (generation 1) wrapped under the
newest KEK version, so that the vault itself must read it back.
Exit status 0 on success; anything else is a failure.
"""

import hashlib
import os
import sqlite3
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"
KINDS = {"env_var": 1, "jwt_secret": 2, "oauth_client_secret": 3, "llm_api_key": 4}


def wok_bytes(wok):
    assert wok.startswith("wok_") and len(wok) == 36
    return bytes.fromhex(wok[4:])


def dk_aad(wok, generation, commitment, created_at):
    return (FORMAT + b"tellwang/vault/data-key\x00" + wok_bytes(wok) + struct.pack(">I", generation)
            + commitment + struct.pack(">q", created_at))


def secret_aad(wok, name, version, kind, generation, created_at):
    name = name.encode("ascii")
    return (FORMAT + b"tellwang/vault/secret\x00" + wok_bytes(wok) + bytes([len(name)]) + name
            + struct.pack(">I", version) + bytes([KINDS[kind]]) + struct.pack(">I", generation)
            + struct.pack(">q", created_at))


def commit(key):
    return hashlib.sha256(b"tellwang/vault/key-commitment/v1\x00" + key).digest()


def kek(kek_dir, version):
    with open(os.path.join(kek_dir, "kek-v%d.key" % version), "rb") as f:
        key = f.read()
    assert len(key) == 32
    return key


def read(db, kek_dir, wok, name, version, expected):
    con = sqlite3.connect(db)
    row = con.execute(
        "SELECT version, kind, key_generation, nonce, ciphertext, created_at FROM tw_vault_secrets "
        "WHERE wok_id = ? AND name = ? AND version = ?", (wok, name, version)).fetchone()
    assert row is not None, "no such secret"
    version, kind, generation, nonce, ciphertext, created_at = row
    key_row = con.execute(
        "SELECT kek_id, kek_version, wrapped, commitment, created_at FROM tw_vault_data_keys "
        "WHERE wok_id = ? AND generation = ?", (wok, generation)).fetchone()
    assert key_row is not None, "no data key: shredded"
    kek_id, kek_version, wrapped, commitment, key_created_at = key_row
    assert kek_id == "local", kek_id
    assert len(wrapped) == 60
    data_key = AESGCM(kek(kek_dir, kek_version)).decrypt(
        wrapped[:12], wrapped[12:], dk_aad(wok, generation, commitment, key_created_at))
    assert commit(data_key) == commitment, "commitment mismatch"
    value = AESGCM(data_key).decrypt(
        nonce, ciphertext, secret_aad(wok, name, version, kind, generation, created_at))
    assert value == expected, "decrypted to a different value"


def write(db, kek_dir, wok, name, value):
    versions = sorted(int(f[5:-4]) for f in os.listdir(kek_dir) if f.startswith("kek-v") and f.endswith(".key"))
    kek_version = versions[-1]
    data_key = AESGCM.generate_key(bit_length=256)
    commitment = commit(data_key)
    now = int(time.time() * 1_000_000)
    wrap_nonce = os.urandom(12)
    wrapped = wrap_nonce + AESGCM(kek(kek_dir, kek_version)).encrypt(
        wrap_nonce, data_key, dk_aad(wok, 1, commitment, now))
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, value, secret_aad(wok, name, 1, "env_var", 1, now))
    con = sqlite3.connect(db)
    with con:
        con.execute(
            "INSERT INTO tw_vault_data_keys (wok_id, generation, kek_id, kek_version, wrapped, commitment, "
            "created_at, encryptions) VALUES (?, 1, 'local', ?, ?, ?, ?, 1)",
            (wok, kek_version, wrapped, commitment, now))
        con.execute(
            "INSERT INTO tw_vault_secrets (wok_id, name, version, kind, key_generation, nonce, ciphertext, "
            "created_at) VALUES (?, ?, 1, 'env_var', 1, ?, ?, ?)",
            (wok, name, nonce, ciphertext, now))


def main(argv):
    if argv[1] == "read":
        _, _, db, kek_dir, wok, name, version, expected = argv
        read(db, kek_dir, wok, name, int(version), bytes.fromhex(expected))
    elif argv[1] == "write":
        _, _, db, kek_dir, wok, name, value = argv
        write(db, kek_dir, wok, name, bytes.fromhex(value))
    else:
        raise SystemExit("unknown mode")
    print("ok")


if __name__ == "__main__":
    main(sys.argv)
