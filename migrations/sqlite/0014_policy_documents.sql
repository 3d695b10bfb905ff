-- The program's policy documents (rules of engagement, pricing bands, territories): every
-- published version is kept, with who published it, when, and what changed. A new version
-- is the current one plus one; the unique key stops two editors publishing the same number.
CREATE TABLE policy_document_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('rules-of-engagement', 'pricing-bands', 'territories')),
    version INTEGER NOT NULL CHECK (version >= 1),
    body_markdown TEXT NOT NULL,
    change_summary TEXT NOT NULL,
    published_by INTEGER NOT NULL REFERENCES users (id),
    published_at INTEGER NOT NULL,
    -- The announcement that asked partners to acknowledge this version, if any.
    announcement_id INTEGER REFERENCES announcements (id),
    UNIQUE (kind, version)
);
