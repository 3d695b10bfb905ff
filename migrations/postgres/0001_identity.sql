-- Identity and access. Instants are UTC milliseconds since the Unix epoch.
CREATE TABLE vendor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE partner_orgs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    partner_type TEXT NOT NULL CHECK (partner_type IN ('reseller', 'referral', 'implementation', 'distributor')),
    tier TEXT NOT NULL CHECK (tier IN ('registered', 'silver', 'gold', 'platinum')),
    region TEXT NOT NULL,
    vertical TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('vendor_admin', 'partner_manager', 'partner_user')),
    job_role TEXT CHECK (job_role IN ('sales', 'technical', 'support')),
    partner_org_id BIGINT REFERENCES partner_orgs (id),
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    -- A partner user belongs to exactly one org; vendor staff to none.
    CHECK ((role = 'partner_user') = (partner_org_id IS NOT NULL))
);
CREATE INDEX users_by_org ON users (partner_org_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE magic_links (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX magic_links_by_user ON magic_links (user_id);

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX email_outbox_pending ON email_outbox (sent_at, next_attempt_at);

CREATE TABLE rate_limit_events (
    id BIGSERIAL PRIMARY KEY,
    bucket TEXT NOT NULL,
    occurred_at BIGINT NOT NULL
);
CREATE INDEX rate_limit_events_by_bucket ON rate_limit_events (bucket, occurred_at);
