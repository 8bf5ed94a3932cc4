-- tellwang-audit ledger tables (SQLite). Version numbers 2000-2999 belong to
-- tellwang-audit, so several tellwang crates can migrate one database.

-- One row per team: the chain's last sequence number and hash. Created with
-- the chain, before any entry, and locked by every append.
CREATE TABLE tw_audit_heads (
    team_id TEXT    PRIMARY KEY NOT NULL,
    seq     INTEGER NOT NULL CHECK (seq >= 0),
    hash    BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- Times are integer microseconds and the payload is the exact canonical
-- JSON text that was hashed: nothing here is re-encoded on the way back.
CREATE TABLE tw_audit_entries (
    team_id    TEXT    NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    at         INTEGER NOT NULL,
    actor_id   TEXT    NOT NULL,
    actor_kind TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    request_id TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL,
    PRIMARY KEY (team_id, seq)
) STRICT, WITHOUT ROWID;
