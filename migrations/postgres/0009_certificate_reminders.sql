-- When the holder was told their certificate expires in 30 and in 7 days (each once).
ALTER TABLE certificates ADD COLUMN expiry_30_reminded_at BIGINT;
ALTER TABLE certificates ADD COLUMN expiry_7_reminded_at BIGINT;
