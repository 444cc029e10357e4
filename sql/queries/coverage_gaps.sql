-- Days of a range where a source's archive has a gap: the coverage ledger (newsarchive coverage) says the day is
-- not complete, or no run loaded it, or it holds no article. Without ledger rows the status is derived from
-- crawl_runs: loaded -> complete, only failed runs -> failed, no run -> never-run.
-- params: source, since (YYYY-MM-DD), until (YYYY-MM-DD)
-- newsarchive query -f sql/queries/coverage_gaps.sql -p source=kazinform -p since=2025-12-30 -p until=2026-01-03
WITH days AS (
    SELECT d::date AS day
    FROM generate_series(%(since)s::date, %(until)s::date, interval '1 day') AS d
), run_days AS (
    SELECT partition_date AS day, count(*)::integer AS runs,
           (count(*) FILTER (WHERE status IN ('stored', 'loaded')))::integer AS loaded_runs,
           (count(*) FILTER (WHERE error IS NOT NULL))::integer AS failed_runs
    FROM crawl_runs
    WHERE source = %(source)s AND partition_date BETWEEN %(since)s::date AND %(until)s::date
    GROUP BY partition_date
), article_days AS (
    SELECT day, sum(articles)::integer AS articles
    FROM daily_counts
    WHERE source = %(source)s AND day BETWEEN %(since)s::date AND %(until)s::date
    GROUP BY day
), judged AS (
    SELECT days.day,
           coalesce(c.status, CASE WHEN r.loaded_runs > 0 THEN 'complete'
                                   WHEN r.failed_runs = r.runs THEN 'failed'
                                   WHEN r.runs > 0 THEN 'partial'
                                   ELSE 'never-run' END) AS status,
           coalesce(r.runs, 0) AS runs,
           coalesce(a.articles, 0) AS articles,
           c.detail
    FROM days
    LEFT JOIN coverage c ON c.source = %(source)s AND c.day = days.day
    LEFT JOIN run_days r ON r.day = days.day
    LEFT JOIN article_days a ON a.day = days.day
)
SELECT day, status, runs, articles,
       coalesce(detail, CASE WHEN status = 'complete' THEN 'no articles published that day' END) AS detail
FROM judged
WHERE status <> 'complete' OR articles = 0
ORDER BY day;
