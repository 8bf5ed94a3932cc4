-- tellwang-vault: wrapped per-Wok data keys, sealed secret versions, shred tombstones.
-- No column holds a plaintext value or an unwrapped key; see docs/vault-format.md.
-- A secret's data key must exist when it is inserted; that is checked by the
-- insert itself rather than by a foreign key, which in PostgreSQL would lock
-- the key row on every insert.
CREATE TABLE tw_vault_data_keys (
    wok_id      TEXT    NOT NULL,
    generation  INTEGER NOT NULL,
    kek_id      TEXT    NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    commitment  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    encryptions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (wok_id, generation)
);

CREATE TABLE tw_vault_secrets (
    wok_id         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    key_generation INTEGER NOT NULL,
    nonce          BLOB    NOT NULL,
    ciphertext     BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (wok_id, name, version)
);

CREATE TABLE tw_vault_shredded (
    wok_id      TEXT    PRIMARY KEY,
    shredded_at INTEGER NOT NULL
);
