-- Who owns a registration's deal in the vendor's CRM (the HubSpot deal owner, the Salesforce
-- Lead or Opportunity owner): read back after approval, shown on the deal page. The id is the
-- CRM's; the name is as the CRM gave it (empty while HubSpot's owners API has not named it).
ALTER TABLE deals ADD COLUMN crm_owner_id TEXT;
ALTER TABLE deals ADD COLUMN crm_owner_name TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN crm_owner_source TEXT;

-- The stages of a HubSpot account's deal pipelines, as read from its pipelines API, and the
-- portal stage an admin chose for each. Closed stages carry HubSpot's own verdict (won or
-- lost, from the stage's metadata); open stages map to the admin's choice, or to nothing
-- (the portal's stage then stays as it is).
CREATE TABLE crm_stage_map (
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    pipeline_id TEXT NOT NULL,
    pipeline_label TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    stage_label TEXT NOT NULL,
    display_order INTEGER NOT NULL,
    closed TEXT NOT NULL CHECK (closed IN ('open', 'won', 'lost')),
    portal_stage TEXT CHECK (portal_stage IN ('qualify', 'discover', 'propose', 'negotiate', 'won', 'lost')),
    read_at INTEGER NOT NULL,
    PRIMARY KEY (connection_id, pipeline_id, stage_id)
);
