-- Links straight to one module or deal: the session such a link starts is limited to that
-- place (`scope`, a path prefix such as /learn/12) until the person signs in fully.
ALTER TABLE magic_links ADD COLUMN scope TEXT;
ALTER TABLE sessions ADD COLUMN scope TEXT;
