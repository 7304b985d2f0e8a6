-- vigil's embedded schema, version 1.
-- Times are INTEGER nanoseconds since the Unix epoch (UTC); NULL means "not set".
-- Columns named "sealed_*" hold AES-256-GCM sealed values (package seal) whose associated
-- data is "table.column" NUL row id, so a value cannot be moved to another row or column.

CREATE TABLE transactions (
    id                TEXT PRIMARY KEY,
    occurred_at       INTEGER NOT NULL,
    amount            REAL NOT NULL,
    currency          TEXT NOT NULL,
    customer_id       TEXT NOT NULL, -- pseudonym
    terminal_id       TEXT NOT NULL,
    merchant_category TEXT NOT NULL,
    channel           TEXT NOT NULL,
    country           TEXT NOT NULL,
    sealed_sensitive  BLOB NOT NULL  -- card token, device id, IP, attributes
) STRICT;
CREATE INDEX transactions_customer ON transactions (customer_id);

CREATE TABLE decisions (
    id                 TEXT PRIMARY KEY,
    transaction_id     TEXT NOT NULL UNIQUE REFERENCES transactions (id) ON DELETE CASCADE,
    customer_id        TEXT NOT NULL, -- the transaction's, for filtering
    outcome            TEXT NOT NULL,
    score              REAL NOT NULL,
    model_version      TEXT NOT NULL,
    rules_version      TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    latency_us         INTEGER NOT NULL,
    sealed_explanation BLOB NOT NULL  -- reasons, rule hits, feature names and values
) STRICT;
CREATE INDEX decisions_created ON decisions (created_at, id);
CREATE INDEX decisions_outcome_created ON decisions (outcome, created_at, id);
CREATE INDEX decisions_customer_created ON decisions (customer_id, created_at, id);

CREATE TABLE labels (
    seq            INTEGER PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
    fraud          INTEGER NOT NULL,
    source         TEXT NOT NULL,
    labelled_at    INTEGER NOT NULL,
    UNIQUE (transaction_id, labelled_at, source, fraud)
) STRICT;
CREATE INDEX labels_labelled ON labels (labelled_at);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE, -- hash of the secret; the secret is never stored
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
) STRICT;

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE cases (
    id             TEXT PRIMARY KEY,
    decision_id    TEXT NOT NULL UNIQUE REFERENCES decisions (id) ON DELETE CASCADE,
    transaction_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    assignee       TEXT NOT NULL,
    resolution     TEXT NOT NULL,
    sealed_note    BLOB NOT NULL, -- the analyst's free text
    opened_at      INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_opened ON cases (opened_at, id);

CREATE TABLE lists (
    name       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE list_items (
    list TEXT NOT NULL REFERENCES lists (name) ON DELETE CASCADE,
    item TEXT NOT NULL,
    PRIMARY KEY (list, item)
) STRICT, WITHOUT ROWID;
