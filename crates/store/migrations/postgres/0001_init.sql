-- Flywheel store, schema 1 (PostgreSQL). Keep equivalent to ../sqlite/0001_init.sql: the same
-- tables, columns, keys and indexes; only the type names differ. Money and quantities are
-- TEXT in exact decimal form; times are BIGINT milliseconds since the epoch.

-- The lock owner: one row, rewritten by each instance that takes the exclusive lock.
CREATE TABLE instance (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    owner       TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    started_at  BIGINT  NOT NULL,
    pid         BIGINT  NOT NULL,
    host        TEXT    NOT NULL
);

CREATE TABLE snapshots (
    kind  TEXT    NOT NULL CHECK (kind IN ('grid', 'maker')),
    step  BIGINT  NOT NULL,
    at    BIGINT  NOT NULL,
    body  TEXT    NOT NULL,
    PRIMARY KEY (kind, step)
);

CREATE TABLE orders (
    cl_ord_id   TEXT    PRIMARY KEY,
    step        BIGINT  NOT NULL,
    slot        BIGINT,
    role        TEXT,
    side        TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price       TEXT    NOT NULL,
    qty         TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('intent', 'sent', 'acked', 'partially_filled',
                    'filled', 'cancelled', 'expired', 'rejected', 'unknown', 'never_placed',
                    'cancel_requested')),
    txid        TEXT,
    filled      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    last_event  TEXT
);
CREATE INDEX orders_state ON orders (state);
CREATE INDEX orders_step ON orders (step);

CREATE TABLE fills (
    exec_id    TEXT    PRIMARY KEY,
    cl_ord_id  TEXT    NOT NULL,
    txid       TEXT,
    side       TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price      TEXT    NOT NULL,
    qty        TEXT    NOT NULL,
    fee        TEXT    NOT NULL,
    liquidity  TEXT    NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    ts         BIGINT  NOT NULL,
    step       BIGINT  NOT NULL
);
CREATE INDEX fills_ts ON fills (ts);
CREATE INDEX fills_step ON fills (step);
CREATE INDEX fills_cl_ord_id ON fills (cl_ord_id);

-- An identity column: a sequence number is never handed out twice (gaps after a rollback).
CREATE TABLE journal (
    seq   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step  BIGINT  NOT NULL,
    at    BIGINT  NOT NULL,
    kind  TEXT    NOT NULL,
    body  TEXT    NOT NULL
);
CREATE INDEX journal_step ON journal (step);

CREATE TABLE balance_audits (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step           BIGINT  NOT NULL,
    at             BIGINT  NOT NULL,
    asset          TEXT    NOT NULL,
    ours           TEXT    NOT NULL,
    exchange       TEXT    NOT NULL,
    held_ours      TEXT    NOT NULL,
    held_exchange  TEXT    NOT NULL,
    ok             BOOLEAN NOT NULL
);
CREATE INDEX balance_audits_at ON balance_audits (at);

CREATE TABLE operator_actions (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step    BIGINT  NOT NULL,
    at      BIGINT  NOT NULL,
    source  TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    params  TEXT    NOT NULL,
    result  TEXT    NOT NULL
);
CREATE INDEX operator_actions_at ON operator_actions (at);

CREATE TABLE kv (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
