-- Partner Desk local cache, schema v11: places carry their first-level subdivision (ISO 3166-2:
-- a state, province or región, `program::Subdivision`). A customer names its own where its country
-- has them; an exclusive territory of a Regional partner is a list of them (a JSON array of codes,
-- empty for a whole country), and so is its claim on the territory map. Deals carry theirs in
-- their JSON. A cache made before this version holds none of them: it forgets its cursor, so the
-- next sync pulls every record again.
ALTER TABLE customers ADD COLUMN subdivision TEXT;
ALTER TABLE territories ADD COLUMN subdivisions TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(subdivisions) AND json_type(subdivisions) = 'array');
ALTER TABLE territory_claims ADD COLUMN subdivisions TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(subdivisions) AND json_type(subdivisions) = 'array');
DELETE FROM sync_state WHERE key = 'cursor';
