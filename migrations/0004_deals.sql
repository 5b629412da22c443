-- Partner Desk local cache, schema v4: territory deals and the territory map.
--
-- `deals` mirrors the platform's deals as the feed brings them; the columns the screens filter
-- and match on are kept beside the deal's wire JSON (`data`: money as decimal strings, the whole
-- history). Local changes never write here: they wait in the outbox, and the app shows each deal
-- as the platform's copy with the user's pending changes on top, so a refused change simply
-- falls away and a download never overwrites what the user typed.
DROP TABLE deals;
CREATE TABLE deals (
    id          TEXT PRIMARY KEY NOT NULL,
    partner_id  TEXT NOT NULL,
    company_key TEXT NOT NULL,  -- program::deals::normalize_company
    domain_key  TEXT,           -- program::deals::normalize_domain
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused', 'expired')),
    stage       TEXT NOT NULL CHECK (stage IN ('registered', 'qualified', 'proposal', 'won', 'lost')),
    registered_at TEXT NOT NULL,
    data        TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX deals_partner ON deals (partner_id, registered_at);
CREATE INDEX deals_company ON deals (company_key);
CREATE INDEX deals_domain ON deals (domain_key) WHERE domain_key IS NOT NULL;

-- The territory map: every territory someone holds exclusively, seen by every partner.
CREATE TABLE territory_claims (
    id          TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    holder_tier TEXT NOT NULL CHECK (holder_tier IN ('authorized', 'specialist', 'regional', 'strategic')),
    region      TEXT NOT NULL CHECK (region IN ('latam', 'usa_can', 'eu_es')),
    country     TEXT,
    exclusivity TEXT NOT NULL CHECK (exclusivity IN ('none', 'regional', 'country_level')),
    version     INTEGER NOT NULL DEFAULT 0
) STRICT;
