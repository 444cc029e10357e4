-- 0020 articles found by the run that loaded them: the neardup and summary steps list a run's articles (and the
-- copies linked to them) once per run; without this index each run read the whole articles table, a cost that
-- grew with the archive.

CREATE INDEX articles_crawl_run ON articles (crawl_run_id);
