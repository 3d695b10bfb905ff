-- HubSpot through OAuth 2 with an app the vendor owns. The connection's sealed secret then
-- holds the app's client secret and the refresh token; the access token is its session
-- (sealed, with a generation so one worker refreshes for all), which expires.
ALTER TABLE crm_connections ADD COLUMN session_expires_at INTEGER;

-- An admin's pending consent: the state sent to HubSpot (only its hash is kept), whose it
-- is, the app's credentials and the PKCE verifier (sealed). Used once, within minutes.
CREATE TABLE crm_oauth_starts (
    state_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL,
    placement_json TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX crm_oauth_starts_user ON crm_oauth_starts (user_id, created_at);
