-- Flywheel store, schema 1 (SQLite). Keep equivalent to ../postgres/0001_init.sql: the same
-- tables, columns, keys and indexes; only the type names differ. Money and quantities are
-- TEXT in exact decimal form; times are INTEGER milliseconds since the epoch.

-- The lock owner: one row, rewritten by each instance that takes the exclusive lock.
CREATE TABLE instance (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    owner       TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    pid         INTEGER NOT NULL,
    host        TEXT    NOT NULL
);

CREATE TABLE snapshots (
    kind  TEXT    NOT NULL CHECK (kind IN ('grid', 'maker')),
    step  INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    body  TEXT    NOT NULL,
    PRIMARY KEY (kind, step)
);

CREATE TABLE orders (
    cl_ord_id   TEXT    PRIMARY KEY,
    step        INTEGER NOT NULL,
    slot        INTEGER,
    role        TEXT,
    side        TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price       TEXT    NOT NULL,
    qty         TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('intent', 'sent', 'acked', 'partially_filled',
                    'filled', 'cancelled', 'expired', 'rejected', 'unknown', 'never_placed',
                    'cancel_requested')),
    txid        TEXT,
    filled      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
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
    ts         INTEGER NOT NULL,
    step       INTEGER NOT NULL
);
CREATE INDEX fills_ts ON fills (ts);
CREATE INDEX fills_step ON fills (step);
CREATE INDEX fills_cl_ord_id ON fills (cl_ord_id);

-- AUTOINCREMENT: a sequence number is never handed out twice, even after rows are deleted.
CREATE TABLE journal (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    step  INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    kind  TEXT    NOT NULL,
    body  TEXT    NOT NULL
);
CREATE INDEX journal_step ON journal (step);

CREATE TABLE balance_audits (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    step           INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    asset          TEXT    NOT NULL,
    ours           TEXT    NOT NULL,
    exchange       TEXT    NOT NULL,
    held_ours      TEXT    NOT NULL,
    held_exchange  TEXT    NOT NULL,
    ok             BOOLEAN NOT NULL
);
CREATE INDEX balance_audits_at ON balance_audits (at);

CREATE TABLE operator_actions (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    step    INTEGER NOT NULL,
    at      INTEGER NOT NULL,
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
