-- Salesforce with client credentials (a server-to-server flow: the admin pastes the External
-- Client App's consumer key and secret; the portal mints sessions itself, one at a time),
-- and room for the other authorisation modes in auth_mode.
--
-- SQLite cannot alter a CHECK, so crm_connections is rebuilt. The migrator runs SQLite
-- migrations with foreign keys off (as SQLite's own procedure for a rebuild requires), so
-- dropping the old table neither cascades to the outbox, links and logs nor rewrites their
-- references; it checks the foreign keys afterwards.
CREATE TABLE crm_connections_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('hubspot', 'salesforce')),
    -- HubSpot: the API base. Salesforce: the org's My Domain URL (where sessions are minted).
    api_base TEXT NOT NULL,
    api_version TEXT NOT NULL,
    auth_mode TEXT NOT NULL CHECK (auth_mode IN ('static_token', 'client_credentials', 'jwt_bearer', 'oauth_refresh')),
    -- The token or client secret, sealed with a key derived from the deployment secret.
    secret_sealed TEXT NOT NULL,
    secret_hint TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('connected', 'needs_reauth', 'disconnected')),
    placement_json TEXT NOT NULL DEFAULT '{}',
    paused_until INTEGER NOT NULL DEFAULT 0,
    installed_at INTEGER,
    last_success_at INTEGER,
    last_error TEXT,
    backfill_requested_at INTEGER,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    inbound_watermark INTEGER NOT NULL DEFAULT 0,
    webhook_secret_sealed TEXT,
    webhook_secret_hint TEXT NOT NULL DEFAULT '',
    webhook_last_refusal TEXT,
    webhook_last_refusal_at INTEGER,
    -- The client id (consumer key); not a secret, shown to admins.
    client_id TEXT NOT NULL DEFAULT '',
    -- The current session minted with the client credentials, sealed; its generation counts
    -- mints, so a worker that saw generation g being refused re-mints only if no one else
    -- has since (one mint for any number of concurrent workers).
    session_sealed TEXT,
    session_generation INTEGER NOT NULL DEFAULT 0,
    session_minted_at INTEGER,
    -- Held by the one worker minting a session; others wait for the next generation.
    session_mint_until INTEGER NOT NULL DEFAULT 0,
    -- Where the session's REST calls go (the token answer's instance_url).
    instance_url TEXT,
    -- Salesforce's Sforce-Limit-Info, last seen: API calls used of the rolling daily allocation.
    api_used INTEGER,
    api_limit INTEGER,
    -- The last field check: what is missing or wrong in Salesforce, with how to fix it (JSON).
    field_problems_json TEXT
);
INSERT INTO crm_connections_next (id, kind, api_base, api_version, auth_mode, secret_sealed, secret_hint, state,
    placement_json, paused_until, installed_at, last_success_at, last_error, backfill_requested_at, created_by,
    created_at, updated_at, inbound_watermark, webhook_secret_sealed, webhook_secret_hint, webhook_last_refusal,
    webhook_last_refusal_at)
SELECT id, kind, api_base, api_version, auth_mode, secret_sealed, secret_hint, state,
    placement_json, paused_until, installed_at, last_success_at, last_error, backfill_requested_at, created_by,
    created_at, updated_at, inbound_watermark, webhook_secret_sealed, webhook_secret_hint, webhook_last_refusal,
    webhook_last_refusal_at
FROM crm_connections;
DROP TABLE crm_connections;
ALTER TABLE crm_connections_next RENAME TO crm_connections;
CREATE UNIQUE INDEX crm_connections_one_per_kind ON crm_connections (kind) WHERE state <> 'disconnected';
