-- Salesforce with client credentials (a server-to-server flow: the admin pastes the External
-- Client App's consumer key and secret; the portal mints sessions itself, one at a time),
-- and room for the other authorisation modes in auth_mode.
ALTER TABLE crm_connections DROP CONSTRAINT crm_connections_auth_mode_check;
ALTER TABLE crm_connections ADD CONSTRAINT crm_connections_auth_mode_check
    CHECK (auth_mode IN ('static_token', 'client_credentials', 'jwt_bearer', 'oauth_refresh'));
-- The client id (consumer key); not a secret, shown to admins.
ALTER TABLE crm_connections ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
-- The current session minted with the client credentials, sealed; its generation counts
-- mints, so a worker that saw generation g being refused re-mints only if no one else has
-- since (one mint for any number of concurrent workers or instances).
ALTER TABLE crm_connections ADD COLUMN session_sealed TEXT;
ALTER TABLE crm_connections ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE crm_connections ADD COLUMN session_minted_at BIGINT;
-- Held by the one worker minting a session; others wait for the next generation.
ALTER TABLE crm_connections ADD COLUMN session_mint_until BIGINT NOT NULL DEFAULT 0;
-- Where the session's REST calls go (the token answer's instance_url).
ALTER TABLE crm_connections ADD COLUMN instance_url TEXT;
-- Salesforce's Sforce-Limit-Info, last seen: API calls used of the rolling daily allocation.
ALTER TABLE crm_connections ADD COLUMN api_used BIGINT;
ALTER TABLE crm_connections ADD COLUMN api_limit BIGINT;
-- The last field check: what is missing or wrong in Salesforce, with how to fix it (JSON).
ALTER TABLE crm_connections ADD COLUMN field_problems_json TEXT;
