-- CRM sync: connections to a vendor's HubSpot or Salesforce, the admin's choice of direction
-- per mapped field, an outbox of records to sync (written in the same transaction as the
-- change), the CRM id of each synced record, and a log of every sync attempt.
-- Instants are UTC milliseconds.

CREATE TABLE crm_connections (
    id BIGSERIAL PRIMARY KEY,
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
    paused_until BIGINT NOT NULL DEFAULT 0,
    installed_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    backfill_requested_at BIGINT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One live connection per CRM.
CREATE UNIQUE INDEX crm_connections_one_per_kind ON crm_connections (kind) WHERE state <> 'disconnected';

CREATE TABLE crm_field_directions (
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    property TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('to_crm', 'from_crm', 'off')),
    PRIMARY KEY (connection_id, kind, property)
);

-- One pending row per (connection, record): a second change before the sync bumps its
-- version instead of adding a row, so ten edits produce one upsert of the latest state.
CREATE TABLE crm_outbox (
    id BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company', 'registration')),
    entity_id BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead', 'skipped')),
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Also the lease: a worker moves it forward while it sends.
    next_attempt_at BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    crm_request_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE UNIQUE INDEX crm_outbox_one_pending ON crm_outbox (connection_id, kind, entity_id) WHERE state = 'pending';
CREATE INDEX crm_outbox_due ON crm_outbox (connection_id, state, next_attempt_at);

CREATE TABLE crm_links (
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    crm_id TEXT NOT NULL,
    last_sent_hash TEXT NOT NULL DEFAULT '',
    last_sent_at BIGINT NOT NULL,
    PRIMARY KEY (connection_id, kind, entity_id)
);

-- Append-only: each attempt at a record, for its sync history.
CREATE TABLE crm_sync_log (
    id BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX crm_sync_log_by_record ON crm_sync_log (connection_id, kind, entity_id, at);
