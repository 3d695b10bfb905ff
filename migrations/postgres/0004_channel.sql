-- Channel conflict: customer accounts, deals and registrations, appeals, and the audit trail.
-- Instants are UTC milliseconds; money is in cents.

-- One row: the program's rules (protection window, SLA, extensions, ...), as JSON.
CREATE TABLE program_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    settings_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    normalized_name TEXT NOT NULL,
    country TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    vertical TEXT NOT NULL DEFAULT '',
    -- The partner of record from the install base.
    incumbent_org_id BIGINT REFERENCES partner_orgs (id),
    renewal_at BIGINT,
    renewal_owner_confirmed_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX accounts_by_normalized_name ON accounts (normalized_name);

-- Registrable domains (e.g. acme.co.uk), each belonging to one account.
CREATE TABLE account_domains (
    domain TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX account_domains_by_account ON account_domains (account_id);

-- Lookup keys of normalised names (words and word prefixes), so the uniqueness check
-- reads a few index entries instead of scanning every account.
CREATE TABLE account_name_keys (
    name_key TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (name_key, account_id)
);

CREATE TABLE deals (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    -- NULL: a direct deal of the vendor's own sales team.
    partner_org_id BIGINT REFERENCES partner_orgs (id),
    owner_user_id BIGINT REFERENCES users (id),
    owner_name TEXT NOT NULL DEFAULT '',
    motion TEXT NOT NULL CHECK (motion IN ('referral', 'resale', 'marketplace', 'si', 'direct')),
    kind TEXT NOT NULL CHECK (kind IN ('net_new', 'expansion', 'renewal')),
    product_line TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    requested_discount_pct DOUBLE PRECISION NOT NULL DEFAULT 0,
    stage TEXT NOT NULL,
    close_at BIGINT,
    registration_status TEXT NOT NULL CHECK (registration_status IN
        ('not_registered', 'pending', 'info_requested', 'approved', 'declined', 'duplicate', 'expired')),
    submitted_at BIGINT,
    decided_at BIGINT,
    protected_until BIGINT,
    extensions_used BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL,
    next_step TEXT NOT NULL DEFAULT '',
    proof_of_work TEXT NOT NULL DEFAULT '',
    private_notes TEXT NOT NULL DEFAULT '',
    -- The conflict engine's verdict and rationale at submission, as JSON.
    decision_json TEXT NOT NULL DEFAULT '{}',
    -- Copied from the account, so pipeline filters and totals read the deals table alone.
    region TEXT NOT NULL DEFAULT '',
    sla_escalated_at BIGINT,
    expiry_reminded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deals_by_account ON deals (account_id);
CREATE INDEX deals_by_org ON deals (partner_org_id, updated_at);
CREATE INDEX deals_by_status ON deals (registration_status, submitted_at);
CREATE INDEX deals_by_protection ON deals (protected_until);
CREATE INDEX deals_by_update ON deals (updated_at);

CREATE TABLE appeals (
    id BIGSERIAL PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    appellant_org_id BIGINT REFERENCES partner_orgs (id),
    filed_by BIGINT NOT NULL REFERENCES users (id),
    filed_at BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'rejected')),
    resolved_by BIGINT REFERENCES users (id),
    resolved_at BIGINT,
    resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX appeals_by_deal ON appeals (deal_id);

-- Append-only: who changed what on a deal, when, from what to what, and why.
CREATE TABLE deal_events (
    id BIGSERIAL PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    actor_user_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL,
    field TEXT NOT NULL,
    from_value TEXT NOT NULL DEFAULT '',
    to_value TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deal_events_by_deal ON deal_events (deal_id, at);
