-- 0017 bulk mode: the indexes a bulk import dropped, with the definition to build each again (etl/store/bulk.py).

CREATE TABLE deferred_indexes (
    name        text        PRIMARY KEY,
    table_name  text        NOT NULL,
    definition  text        NOT NULL,
    dropped_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE deferred_indexes IS
    'Indexes dropped for a bulk import and not yet built again (definition as pg_indexes gave it); a row left here '
    'after the import ended means the archive lacks that index: `newsarchive backfill` builds it on its next start.';
GRANT SELECT ON deferred_indexes TO newsarchive_reader;
