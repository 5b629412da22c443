-- Partner Desk local cache, schema v13: a partner's logo (`Partner::logo`), the SVG the platform
-- keeps for it (checked there: at most 32 KiB, self-contained), placed on its review deck. A cache
-- made before this version holds no logos: it forgets its cursor, so the next sync pulls every
-- record again.
ALTER TABLE partners ADD COLUMN logo TEXT CHECK (logo IS NULL OR length(CAST(logo AS BLOB)) <= 32768);
DELETE FROM sync_state WHERE key = 'cursor';
