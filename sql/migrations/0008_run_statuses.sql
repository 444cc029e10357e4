-- 0008 crawl run statuses follow etl/steps/plan.py: 'linked' after the near-duplicate step; a failed step keeps the status its run reached.

ALTER TABLE crawl_runs DROP CONSTRAINT crawl_runs_status_check;
ALTER TABLE crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('crawling', 'crawled', 'archived', 'extracted', 'loaded', 'linked', 'failed'));

-- Runs whose near-duplicate step ran (it records near_duplicates) are linked; loaded runs without it (backfilled
-- before this migration) stay 'loaded', so `newsarchive backfill` resumes them at that step.
UPDATE crawl_runs SET status = 'linked' WHERE status = 'loaded' AND counts ? 'near_duplicates';

-- A run that failed after its crawl goes back to the last status it reached, keeping its error.
UPDATE crawl_runs r SET status = CASE
        WHEN r.counts ? 'staged_key' THEN 'extracted'
        WHEN EXISTS (SELECT 1 FROM raw_archives a WHERE a.crawl_run_id = r.id) THEN 'archived'
        ELSE 'crawled' END
WHERE r.status = 'failed' AND r.counts ? 'warc_key';

COMMENT ON COLUMN crawl_runs.status IS 'The last pipeline step the run finished (etl/steps/plan.py): crawling, crawled, archived, extracted, loaded, linked (done); failed = its crawl failed. A failed later step keeps the status and sets error.';
