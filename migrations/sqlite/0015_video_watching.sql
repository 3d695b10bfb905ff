-- The parts of a video the server can vouch for having been watched: stretches between two
-- position reports that real elapsed time accounts for (see domain::video). Completion needs
-- 90 % of the video covered, not just a reported position near the end.
ALTER TABLE step_progress ADD COLUMN watched_json TEXT NOT NULL DEFAULT '[]';
