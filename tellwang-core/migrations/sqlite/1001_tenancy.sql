-- tellwang-core tenancy tables (SQLite). Version numbers 1000-1999 belong to
-- tellwang-core, so several tellwang crates can migrate one database.
CREATE TABLE tw_teams (
    id          TEXT    PRIMARY KEY NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE tw_principals (
    id          TEXT    PRIMARY KEY NOT NULL,
    team_id     TEXT    NOT NULL REFERENCES tw_teams (id),
    kind        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tw_principals_team ON tw_principals (team_id);

CREATE TABLE tw_tokens (
    id           TEXT    PRIMARY KEY NOT NULL,
    principal_id TEXT    NOT NULL REFERENCES tw_principals (id),
    secret_hash  BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX tw_tokens_principal ON tw_tokens (principal_id);

CREATE TABLE tw_woks (
    id          TEXT    PRIMARY KEY NOT NULL,
    team_id     TEXT    NOT NULL REFERENCES tw_teams (id),
    name        TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (team_id, name)
) STRICT;
