-- A source's daily output over a date range, days without articles included (0), with a 7-day average.
-- params: source, since (YYYY-MM-DD), until (YYYY-MM-DD)
-- newsarchive query -f sql/queries/source_output_over_time.sql -p source=kazinform -p since=2025-12-30 -p until=2026-01-03
WITH days AS (
    SELECT d::date AS day
    FROM generate_series(%(since)s::date, %(until)s::date, interval '1 day') AS d
), counts AS (
    SELECT day, sum(articles)::integer AS articles, sum(originals)::integer AS originals,
           sum(exact_duplicates + near_duplicates)::integer AS duplicates
    FROM daily_counts
    WHERE source = %(source)s AND day BETWEEN %(since)s::date AND %(until)s::date
    GROUP BY day
)
SELECT days.day,
       coalesce(c.articles, 0) AS articles,
       coalesce(c.originals, 0) AS originals,
       coalesce(c.duplicates, 0) AS duplicates,
       round(avg(coalesce(c.articles, 0)) OVER (ORDER BY days.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 1)
           AS articles_7day_avg
FROM days LEFT JOIN counts c USING (day)
ORDER BY days.day;
