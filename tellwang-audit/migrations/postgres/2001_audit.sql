-- tellwang-audit ledger tables (PostgreSQL). Version numbers 2000-2999 belong
-- to tellwang-audit, so several tellwang crates can migrate one database.

-- One row per team: the chain's last sequence number and hash. Created with
-- the chain, before any entry, and locked by every append.
CREATE TABLE tw_audit_heads (
    team_id TEXT   PRIMARY KEY,
    seq     BIGINT NOT NULL CHECK (seq >= 0),
    hash    BYTEA  NOT NULL CHECK (octet_length(hash) = 32)
);

-- Times are integer microseconds (BIGINT, not TIMESTAMPTZ) and the payload
-- is TEXT (not JSONB): the database must give back the exact bytes hashed.
CREATE TABLE tw_audit_entries (
    team_id    TEXT   NOT NULL,
    seq        BIGINT NOT NULL CHECK (seq >= 1),
    at         BIGINT NOT NULL,
    actor_id   TEXT   NOT NULL,
    actor_kind TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    request_id TEXT   NOT NULL,
    payload    TEXT   NOT NULL,
    prev_hash  BYTEA  NOT NULL,
    hash       BYTEA  NOT NULL,
    PRIMARY KEY (team_id, seq)
);
