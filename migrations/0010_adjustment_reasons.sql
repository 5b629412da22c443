-- Partner Desk local cache, schema v10: an adjustment of credits says why, from the program's
-- closed list (`program::contract::AdjustmentReason`): credits are not money, so no reason
-- transfers them to another partner or refunds them. Lines of other kinds have none.
ALTER TABLE ledger_entries ADD COLUMN reason TEXT
    CHECK (reason IS NULL OR reason IN ('correction', 'goodwill', 'expiry'));
