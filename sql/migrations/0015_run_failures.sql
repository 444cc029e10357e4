-- 0015 failed items of a run: an article page that could not be extracted or loaded is recorded here (URL,
-- reason, WARC offset) instead of failing the run; the rest of the run loads.

CREATE TABLE run_failures (
    id           bigserial   PRIMARY KEY,
    crawl_run_id bigint      NOT NULL REFERENCES crawl_runs (id) ON DELETE CASCADE,
    step         text        NOT NULL CHECK (step IN ('extract', 'load')),
    url          text        NOT NULL,
    warc_key     text,
    warc_offset  bigint,
    reason       text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (crawl_run_id, step, url)
);
CREATE INDEX run_failures_run ON run_failures (crawl_run_id);
COMMENT ON TABLE run_failures IS
    'Articles of a crawl run that could not be extracted or loaded (one line each, by step); the run''s other articles are loaded. Re-running a step replaces its rows.';
GRANT SELECT ON run_failures TO newsarchive_reader;

COMMENT ON COLUMN crawl_runs.extract_errors IS
    'Failed items of the run: articles that could not be extracted or loaded (the rows of run_failures).';
