-- 0013 pipeline locks the read-only role cannot take: one row per held lock (a source's day, a backfill job), owned by a live database session.

-- A lock is held while the session that wrote its row is alive (pg_stat_activity has its pid and start time);
-- a holder that dies frees it with its connection. newsarchive_reader may read the table but never write it,
-- so unlike advisory locks (which any role can take) a reader cannot block a crawl or a backfill.
CREATE TABLE pipeline_locks (
    name          text        PRIMARY KEY,
    holder        text        NOT NULL,
    backend_pid   integer     NOT NULL,
    backend_start timestamptz NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pipeline_locks IS 'Locks of the pipeline (day:<source>:<YYYY-MM-DD>, backfill-job:<id>): held while the session backend_pid started at backend_start is alive.';
COMMENT ON COLUMN pipeline_locks.holder IS 'host and pid of the process holding the lock, for people.';
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON pipeline_locks FROM newsarchive_reader;

-- Every transaction of the read-only role is read-only by default (`newsarchive query` also asks for it).
-- Changing a role needs CREATEROLE: a migrator without it leaves the default as it was, with a notice.
DO $do$
BEGIN
    ALTER ROLE newsarchive_reader SET default_transaction_read_only = on;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not allowed to ALTER ROLE newsarchive_reader; its transactions are read-only only when asked';
END
$do$;
