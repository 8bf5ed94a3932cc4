-- tellwang-vault: wrapped per-Wok data keys, sealed secret versions, shred tombstones.
-- No column holds a plaintext value or an unwrapped key; see docs/vault-format.md.
-- A secret's data key must exist when it is inserted; that is checked by the
-- insert itself rather than by a foreign key, which in PostgreSQL would lock
-- the key row on every insert.
CREATE TABLE tw_vault_data_keys (
    wok_id      TEXT COLLATE "C" NOT NULL,
    generation  BIGINT  NOT NULL,
    kek_id      TEXT    NOT NULL,
    kek_version BIGINT  NOT NULL,
    wrapped     BYTEA   NOT NULL,
    commitment  BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL,
    encryptions BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (wok_id, generation)
);

CREATE TABLE tw_vault_secrets (
    wok_id         TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    version        BIGINT  NOT NULL,
    kind           TEXT    NOT NULL,
    key_generation BIGINT  NOT NULL,
    nonce          BYTEA   NOT NULL,
    ciphertext     BYTEA   NOT NULL,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (wok_id, name, version)
);

CREATE TABLE tw_vault_shredded (
    wok_id      TEXT COLLATE "C" PRIMARY KEY,
    shredded_at BIGINT  NOT NULL
);
