-- Partner Desk local cache, schema v3: indexes that answer a partner's screens by themselves.
--
-- A partner's ledger lines are spread over the whole table (rows arrive in time order, every
-- partner's interleaved): reading one partner's balance or consumption through an index of keys
-- alone touched a table page per line. With the columns those queries read in the index, one
-- partner's lines are one contiguous run of index pages. The same for NPS responses.
DROP INDEX ledger_partner_at;
CREATE INDEX ledger_partner_at
    ON ledger_entries (partner_id, at, id, kind, credits_minor, deployment_id);
DROP INDEX nps_partner_on;
CREATE INDEX nps_partner_on ON nps_responses (partner_id, answered_on, score);
