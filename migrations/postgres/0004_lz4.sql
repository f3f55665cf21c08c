-- The raw message (about 17 kB for a declaration) and the outgoing XML are compressed on every
-- insert: lz4 costs a fraction of the CPU of the default pglz, which was the dearest single
-- step of storing a declaration in PostgreSQL. Applies to rows written from now on. Servers
-- built without lz4 keep pglz.
DO $$
BEGIN
    ALTER TABLE messages ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE outbox ALTER COLUMN xml SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: messages.raw and outbox.xml stay compressed with pglz';
END
$$;
