-- Partner Desk local cache, schema v15: a partner marked for a refresh because only its search
-- document changed (a customer renamed, its holder the same) has `figures` 0, and its figures
-- are left as they are; any change that counts in them marks it with 1. Figures read a customer's
-- holder and migrations, never its name, founder or country; the search document reads those.
ALTER TABLE figures_dirty ADD COLUMN figures INTEGER NOT NULL DEFAULT 1;
