-- Partner Desk local cache, schema v12: a partner's tier history (`Partner::tier_history`), a JSON
-- array of `{"tier", "on"}` steps, oldest first: Authorized on the day it joined, then each change
-- on the day it took effect. A review of a past quarter reads the tier in force then. A cache made
-- before this version holds no history: it forgets its cursor, so the next sync pulls every record
-- again.
ALTER TABLE partners ADD COLUMN tier_history TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(tier_history) AND json_type(tier_history) = 'array');
DELETE FROM sync_state WHERE key = 'cursor';
