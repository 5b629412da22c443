-- Partner Desk local cache, schema v7: a change the platform applied stays in the outbox until
-- the round's download has brought the platform's copy, so nothing the user made vanishes from
-- the screen if the download fails after the upload (it is not sent again: `applied` = 1).
ALTER TABLE outbox ADD COLUMN applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1));
