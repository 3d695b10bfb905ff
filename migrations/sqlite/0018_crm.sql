-- CRM sync: connections to a vendor's HubSpot or Salesforce, the admin's choice of direction
-- per mapped field, an outbox of records to sync (written in the same transaction as the
-- change), the CRM id of each synced record, and a log of every sync attempt.
-- Instants are UTC milliseconds.

CREATE TABLE crm_connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('hubspot', 'salesforce')),
    -- Configuration, so tests point at local fakes with no code branches.
    api_base TEXT NOT NULL,
    api_version TEXT NOT NULL,
    auth_mode TEXT NOT NULL CHECK (auth_mode IN ('static_token')),
    -- The token, sealed with a key derived from the deployment secret; never shown again.
    secret_sealed TEXT NOT NULL,
    secret_hint TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('connected', 'needs_reauth', 'disconnected')),
    -- Where new deals go (JSON: pipeline, stage).
    placement_json TEXT NOT NULL DEFAULT '{}',
    -- Rate limits hold the whole queue until then.
    paused_until INTEGER NOT NULL DEFAULT 0,
    installed_at INTEGER,
    last_success_at INTEGER,
    last_error TEXT,
    backfill_requested_at INTEGER,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One live connection per CRM.
CREATE UNIQUE INDEX crm_connections_one_per_kind ON crm_connections (kind) WHERE state <> 'disconnected';

CREATE TABLE crm_field_directions (
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    property TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('to_crm', 'from_crm', 'off')),
    PRIMARY KEY (connection_id, kind, property)
);

-- One pending row per (connection, record): a second change before the sync bumps its
-- version instead of adding a row, so ten edits produce one upsert of the latest state.
CREATE TABLE crm_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company', 'registration')),
    entity_id INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Also the lease: a worker moves it forward while it sends.
    next_attempt_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    crm_request_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE UNIQUE INDEX crm_outbox_one_pending ON crm_outbox (connection_id, kind, entity_id) WHERE state = 'pending';
CREATE INDEX crm_outbox_due ON crm_outbox (connection_id, state, next_attempt_at);

CREATE TABLE crm_links (
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    crm_id TEXT NOT NULL,
    last_sent_hash TEXT NOT NULL DEFAULT '',
    last_sent_at INTEGER NOT NULL,
    PRIMARY KEY (connection_id, kind, entity_id)
);

-- Append-only: each attempt at a record, for its sync history.
CREATE TABLE crm_sync_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX crm_sync_log_by_record ON crm_sync_log (connection_id, kind, entity_id, at);
