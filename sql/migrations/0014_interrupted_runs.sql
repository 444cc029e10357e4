-- 0014 crawl runs can be `interrupted`: a crawl stopped by a signal or by the death of its process (a new run crawls the day again).

ALTER TABLE crawl_runs DROP CONSTRAINT crawl_runs_status_check;
ALTER TABLE crawl_runs ADD CONSTRAINT crawl_runs_status_check
    CHECK (status IN ('crawling', 'crawled', 'archived', 'extracted', 'stored', 'loaded', 'failed', 'interrupted'));

COMMENT ON COLUMN crawl_runs.status IS 'The last pipeline step the run finished (etl/steps/plan.py): crawling, crawled, archived, extracted, stored, loaded (finished); failed = its crawl failed, interrupted = its crawl was stopped (signal, process died). A later step that fails or is interrupted keeps the status and sets error.';
