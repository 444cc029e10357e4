-- Articles mentioning a person in any inflected form (Тоқаев finds Тоқаевтың, Тоқаевқа), newest first.
-- Every word of the name must start a word of the text (title or body); duplicates are left out.
-- params: person (e.g. "Қасым-Жомарт Тоқаев" or just "Тоқаев")
-- newsarchive query -f sql/queries/articles_mentioning_person.sql -p person=Тоқаев
SELECT a.id, a.source, a.article_id, archive_local_date(a.published_at) AS published_date, a.title,
       ts_headline(article_search_config(coalesce(a.detected_language, a.language)), a.body,
                   search_prefix_query(article_search_config(coalesce(a.detected_language, a.language)), %(person)s),
                   'StartSel=[, StopSel=], MaxWords=25, MinWords=8') AS snippet
FROM articles a
WHERE a.duplicate_of IS NULL
  -- Each article in its own configuration; both branches can use the GIN index on search_vector.
  AND ((a.search_vector @@ search_prefix_query('pg_catalog.simple', %(person)s)
        AND article_search_config(coalesce(a.detected_language, a.language)) = 'pg_catalog.simple'::regconfig)
    OR (a.search_vector @@ search_prefix_query('pg_catalog.russian', %(person)s)
        AND article_search_config(coalesce(a.detected_language, a.language)) = 'pg_catalog.russian'::regconfig))
ORDER BY a.published_at DESC NULLS LAST, a.id;
