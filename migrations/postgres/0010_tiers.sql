-- Program tiers: requirements and benefits per tier, the rights each organisation holds,
-- and a log of every change to an organisation's tier or rights. Instants are UTC ms.

CREATE TABLE tier_policies (
    tier TEXT PRIMARY KEY CHECK (tier IN ('registered', 'silver', 'gold', 'platinum')),
    -- Closed won in the last 12 months, in cents; NULL: not required.
    min_revenue_cents BIGINT CHECK (min_revenue_cents >= 0),
    mdf_eligible BIGINT NOT NULL DEFAULT 0 CHECK (mdf_eligible IN (0, 1)),
    lead_distribution TEXT NOT NULL DEFAULT 'none' CHECK (lead_distribution IN ('none', 'shared', 'priority')),
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO tier_policies (tier) VALUES ('registered'), ('silver'), ('gold'), ('platinum');

-- At least `min_people` people (of `job_role`, if set) holding a valid certificate (of
-- `certification_id`, if set; otherwise of any certification).
CREATE TABLE tier_requirements (
    id BIGSERIAL PRIMARY KEY,
    tier TEXT NOT NULL REFERENCES tier_policies (tier),
    min_people BIGINT NOT NULL CHECK (min_people BETWEEN 1 AND 1000),
    job_role TEXT CHECK (job_role IN ('sales', 'technical', 'support')),
    certification_id BIGINT REFERENCES certifications (id) ON DELETE CASCADE
);
CREATE INDEX tier_requirements_by_tier ON tier_requirements (tier);

-- The rights (e.g. 'sell:Lumen Connect', 'deliver') an organisation was last told it holds,
-- so a gained or lost right is logged and announced once.
CREATE TABLE org_rights (
    org_id BIGINT NOT NULL REFERENCES partner_orgs (id) ON DELETE CASCADE,
    right_key TEXT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (org_id, right_key)
);

-- Set once the first evaluation has recorded the rights held at installation, silently.
CREATE TABLE standing_baseline (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    rights_recorded_at BIGINT
);
INSERT INTO standing_baseline (id) VALUES (1);

-- Append-only: tier changes and rights gained or lost, with the reason in words.
CREATE TABLE standing_changes (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES partner_orgs (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tier', 'right_gained', 'right_lost')),
    from_value TEXT NOT NULL DEFAULT '',
    to_value TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL,
    trigger_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX standing_changes_by_org ON standing_changes (org_id, at);
CREATE INDEX standing_changes_by_time ON standing_changes (at);
