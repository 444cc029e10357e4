-- 0008 crawl run statuses follow etl/steps/plan.py: 'stored' after the load step, 'loaded' after the near-duplicate step; a failed step keeps the status its run reached.

ALTER TABLE crawl_runs DROP CONSTRAINT crawl_runs_status_check;
ALTER TABLE crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('crawling', 'crawled', 'archived', 'extracted', 'stored', 'loaded', 'failed'));

-- Loaded runs whose near-duplicate step never ran (backfilled before this migration: no near_duplicates count)
-- are only stored, so `newsarchive backfill` resumes them at that step.
UPDATE crawl_runs SET status = 'stored' WHERE status = 'loaded' AND NOT counts ? 'near_duplicates';

-- A run that failed after its crawl goes back to the last status it reached, keeping its error.
UPDATE crawl_runs r SET status = CASE
        WHEN r.counts ? 'staged_key' THEN 'extracted'
        WHEN EXISTS (SELECT 1 FROM raw_archives a WHERE a.crawl_run_id = r.id) THEN 'archived'
        ELSE 'crawled' END
WHERE r.status = 'failed' AND r.counts ? 'warc_key';

COMMENT ON COLUMN crawl_runs.status IS 'The last pipeline step the run finished (etl/steps/plan.py): crawling, crawled, archived, extracted, stored, loaded (finished); failed = its crawl failed. A later step that fails keeps the status and sets error.';
