-- Articles of one local (Asia/Almaty) day, every source, originals only, in publication order.
-- params: day (YYYY-MM-DD)
-- newsarchive query -f sql/queries/articles_of_day.sql -p day=2026-01-01
SELECT source, article_id, published_at, language, title, canonical_url
FROM current_articles
WHERE published_date = %(day)s::date
ORDER BY published_at, source, article_id;
