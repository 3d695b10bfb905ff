-- HubSpot webhooks v3: the app's client secret (sealed like the token), every signed
-- delivery received (a replay of one is refused), and each event until the worker has read
-- its deal back. Instants are UTC milliseconds.
ALTER TABLE crm_connections ADD COLUMN webhook_secret_sealed TEXT;
ALTER TABLE crm_connections ADD COLUMN webhook_secret_hint TEXT NOT NULL DEFAULT '';
-- The latest refused delivery (one row's worth, overwritten: refusals cannot fill the disk).
ALTER TABLE crm_connections ADD COLUMN webhook_last_refusal TEXT;
ALTER TABLE crm_connections ADD COLUMN webhook_last_refusal_at BIGINT;

CREATE TABLE crm_webhook_deliveries (
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    events BIGINT NOT NULL,
    new_events BIGINT NOT NULL,
    PRIMARY KEY (connection_id, signature)
);
CREATE INDEX crm_webhook_deliveries_by_time ON crm_webhook_deliveries (connection_id, received_at);

CREATE TABLE crm_webhook_events (
    id BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    portal_id BIGINT NOT NULL,
    subscription_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    subscription_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    property_name TEXT,
    change_source TEXT,
    received_at BIGINT NOT NULL,
    -- NULL until the worker has read the deal back (or set the event aside).
    processed_at BIGINT,
    outcome TEXT
);
-- HubSpot retries a delivery it thinks failed: the same event is stored once.
CREATE UNIQUE INDEX crm_webhook_events_once ON crm_webhook_events (connection_id, portal_id, subscription_id, event_id, occurred_at);
CREATE INDEX crm_webhook_events_pending ON crm_webhook_events (connection_id, processed_at);
