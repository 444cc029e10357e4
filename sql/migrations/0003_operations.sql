-- 0003 operations: the coverage ledger (one row per source and local day) and resumable backfill jobs.

CREATE TABLE coverage (
    source               text        NOT NULL REFERENCES sources (name),
    day                  date        NOT NULL,
    status               text        NOT NULL DEFAULT 'never-run'
        CHECK (status IN ('complete', 'partial', 'failed', 'never-run')),
    detail               text,
    runs                 integer     NOT NULL DEFAULT 0,
    last_run_id          bigint      REFERENCES crawl_runs (id) ON DELETE SET NULL,
    discovered           integer     NOT NULL DEFAULT 0,
    fetched              integer     NOT NULL DEFAULT 0,
    blocked              integer     NOT NULL DEFAULT 0,
    failed               integer     NOT NULL DEFAULT 0,
    archived             integer     NOT NULL DEFAULT 0,
    extracted            integer     NOT NULL DEFAULT 0,
    extract_errors       integer     NOT NULL DEFAULT 0,
    expected             integer     NOT NULL DEFAULT 0,
    loaded               integer     NOT NULL DEFAULT 0,
    duplicates           integer     NOT NULL DEFAULT 0,
    fallback_extractions integer     NOT NULL DEFAULT 0,
    health               text        NOT NULL DEFAULT 'unknown' CHECK (health IN ('ok', 'unhealthy', 'unknown')),
    health_message       text,
    health_metrics       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    health_checked_at    timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, day)
);
COMMENT ON TABLE coverage IS 'Coverage ledger: what the archive holds for each source and local day, derived from crawl_runs and articles.';
COMMENT ON COLUMN coverage.status IS 'complete: a run loaded and every article it loaded is present; partial: loaded articles missing or a run stopped between steps; failed: every run failed; never-run: no run.';
COMMENT ON COLUMN coverage.fetched IS 'Article pages fetched over all runs of the day; blocked and failed are those of the latest run.';
COMMENT ON COLUMN coverage.archived IS 'Article pages fetched by runs whose WARC is verified in raw_archives.';
COMMENT ON COLUMN coverage.expected IS 'Largest number of distinct articles one loaded run of the day loaded (what must be present).';
COMMENT ON COLUMN coverage.loaded IS 'Articles present now whose row came from a run of this day.';
COMMENT ON COLUMN coverage.fallback_extractions IS 'Present articles whose body came from the generic extractor.';
COMMENT ON COLUMN coverage.health IS 'Result of the last health check of the day (etl/health.py); health_message names the source and field.';

CREATE TABLE backfill_jobs (
    id          bigserial PRIMARY KEY,
    source      text        NOT NULL REFERENCES sources (name),
    start_day   date        NOT NULL,
    end_day     date        NOT NULL CHECK (end_day >= start_day),
    only_gaps   boolean     NOT NULL DEFAULT false,
    refetch     boolean     NOT NULL DEFAULT false,
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE UNIQUE INDEX backfill_jobs_one_open ON backfill_jobs (source, start_day, end_day, only_gaps, refetch)
    WHERE status = 'open';
COMMENT ON TABLE backfill_jobs IS 'One `newsarchive backfill` request; an open job with the same arguments is resumed, not repeated.';

CREATE TABLE backfill_days (
    job_id       bigint      NOT NULL REFERENCES backfill_jobs (id) ON DELETE CASCADE,
    day          date        NOT NULL,
    status       text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed')),
    crawl_run_id bigint      REFERENCES crawl_runs (id) ON DELETE SET NULL,
    error        text,
    seconds      real,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, day)
);
COMMENT ON TABLE backfill_days IS 'Each day of a backfill job and the crawl run doing it, so an interrupted job continues at the step it stopped.';
