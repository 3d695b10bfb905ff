-- Where the CRM poll got to: the latest CRM modification time it has applied (UTC ms).
ALTER TABLE crm_connections ADD COLUMN inbound_watermark BIGINT NOT NULL DEFAULT 0;
