-- Identity and access. Instants are UTC milliseconds since the Unix epoch.
CREATE TABLE vendor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE partner_orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    partner_type TEXT NOT NULL CHECK (partner_type IN ('reseller', 'referral', 'implementation', 'distributor')),
    tier TEXT NOT NULL CHECK (tier IN ('registered', 'silver', 'gold', 'platinum')),
    region TEXT NOT NULL,
    vertical TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('vendor_admin', 'partner_manager', 'partner_user')),
    job_role TEXT CHECK (job_role IN ('sales', 'technical', 'support')),
    partner_org_id INTEGER REFERENCES partner_orgs (id),
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER,
    -- A partner user belongs to exactly one org; vendor staff to none.
    CHECK ((role = 'partner_user') = (partner_org_id IS NOT NULL))
);
CREATE INDEX users_by_org ON users (partner_org_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE magic_links (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX magic_links_by_user ON magic_links (user_id);

CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX email_outbox_pending ON email_outbox (sent_at, next_attempt_at);

CREATE TABLE rate_limit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    occurred_at INTEGER NOT NULL
);
CREATE INDEX rate_limit_events_by_bucket ON rate_limit_events (bucket, occurred_at);
