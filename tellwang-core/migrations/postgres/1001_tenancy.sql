-- tellwang-core tenancy tables (PostgreSQL). Version numbers 1000-1999 belong
-- to tellwang-core, so several tellwang crates can migrate one database.
CREATE TABLE tw_teams (
    id          TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE tw_principals (
    id          TEXT   PRIMARY KEY,
    team_id     TEXT   NOT NULL REFERENCES tw_teams (id),
    kind        TEXT   NOT NULL,
    role        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX tw_principals_team ON tw_principals (team_id);

CREATE TABLE tw_tokens (
    id           TEXT   PRIMARY KEY,
    principal_id TEXT   NOT NULL REFERENCES tw_principals (id),
    secret_hash  BYTEA  NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX tw_tokens_principal ON tw_tokens (principal_id);

CREATE TABLE tw_woks (
    id          TEXT   PRIMARY KEY,
    team_id     TEXT   NOT NULL REFERENCES tw_teams (id),
    name        TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (team_id, name)
);
