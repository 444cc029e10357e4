-- 0004 query interface: documented views, Kazakh/Russian full-text + trigram search, read-only role.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Full-text configuration of one article: PostgreSQL has no Kazakh stemmer, so everything but Russian uses
-- `simple` (lower-cased words, no stemming, no stop words); inflected Kazakh forms are found by prefix and
-- trigram matching instead.
CREATE FUNCTION article_search_config(lang text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN lang = 'ru' THEN 'pg_catalog.russian'::regconfig ELSE 'pg_catalog.simple'::regconfig END;
COMMENT ON FUNCTION article_search_config(text) IS
    'Text search configuration for a language code: russian for ru, simple (no stemming) for everything else.';

ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(article_search_config(coalesce(detected_language, language)), title), 'A')
    || setweight(to_tsvector(article_search_config(coalesce(detected_language, language)),
                             coalesce(normalized_body, body)), 'B')
) STORED;
COMMENT ON COLUMN articles.search_vector IS
    'Full-text vector of title (weight A) and normalized body (weight B), in article_search_config(language).';
CREATE INDEX articles_search_vector ON articles USING gin (search_vector);
CREATE INDEX articles_search_trgm ON articles
    USING gin ((title || ' ' || coalesce(normalized_body, body)) gin_trgm_ops);
CREATE INDEX articles_published_at ON articles (published_at);

-- Local (Asia/Almaty) calendar day of a timestamp: the day the archive files an article under.
CREATE FUNCTION archive_local_date(ts timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (ts AT TIME ZONE 'Asia/Almaty')::date;
COMMENT ON FUNCTION archive_local_date(timestamptz) IS
    'Calendar day of a timestamp in Asia/Almaty, the day an article is filed under (crawl_runs.partition_date).';

-- ---------------------------------------------------------------------------------------------------------
CREATE VIEW current_articles AS
SELECT a.id,
       a.source,
       a.article_id,
       a.url,
       a.canonical_url,
       coalesce(a.detected_language, a.language) AS language,
       a.script,
       a.title,
       a.published_at,
       archive_local_date(a.published_at) AS published_date,
       a.modified_at,
       a.body,
       coalesce(a.normalized_body, a.body) AS normalized_body,
       a.dateline_place,
       a.author,
       a.tags,
       a.image_url,
       a.content_hash,
       a.cluster_id,
       a.warc_key,
       a.warc_offset,
       a.extractor_version,
       a.first_seen_at,
       a.last_seen_at,
       a.updated_at
FROM articles a
WHERE a.duplicate_of IS NULL;
COMMENT ON VIEW current_articles IS
    'The current version of every article that is not a duplicate of another one (one row per original).';
COMMENT ON COLUMN current_articles.id IS 'Article primary key (articles.id); stable, use it to join.';
COMMENT ON COLUMN current_articles.source IS 'Source name (sources.name), e.g. kazinform.';
COMMENT ON COLUMN current_articles.article_id IS 'The source''s own id of the article, taken from its URL.';
COMMENT ON COLUMN current_articles.url IS 'URL the current version was fetched from.';
COMMENT ON COLUMN current_articles.canonical_url IS 'Canonical URL of the article as the page declares it.';
COMMENT ON COLUMN current_articles.language IS 'Detected language code when known, else the source''s declared language.';
COMMENT ON COLUMN current_articles.script IS 'Writing system of the text (e.g. Cyrl, Latn), when detected.';
COMMENT ON COLUMN current_articles.title IS 'Cleaned headline.';
COMMENT ON COLUMN current_articles.published_at IS 'Publication time (timestamptz, UTC in storage).';
COMMENT ON COLUMN current_articles.published_date IS 'Local (Asia/Almaty) publication day, the day the article is filed under.';
COMMENT ON COLUMN current_articles.modified_at IS 'Last modification time the page declared, if any.';
COMMENT ON COLUMN current_articles.body IS 'Cleaned paragraphs in page order joined by newlines (the corpus text).';
COMMENT ON COLUMN current_articles.normalized_body IS 'Normalized copy of the body used for search and hashing (the body when not yet computed).';
COMMENT ON COLUMN current_articles.dateline_place IS 'Place named in the dateline (e.g. АСТАНА), if any.';
COMMENT ON COLUMN current_articles.author IS 'Author as printed, if any.';
COMMENT ON COLUMN current_articles.tags IS 'Tags/rubrics of the page.';
COMMENT ON COLUMN current_articles.image_url IS 'Lead image URL, if any.';
COMMENT ON COLUMN current_articles.content_hash IS 'sha256 of the cleaned body.';
COMMENT ON COLUMN current_articles.cluster_id IS 'Near-duplicate cluster the article belongs to, when clustered.';
COMMENT ON COLUMN current_articles.warc_key IS 'S3 key of the WARC holding the response this version came from.';
COMMENT ON COLUMN current_articles.warc_offset IS 'Byte offset of that response record in the gzipped WARC.';
COMMENT ON COLUMN current_articles.extractor_version IS 'Version of the parser that extracted this version.';
COMMENT ON COLUMN current_articles.first_seen_at IS 'When the archive first fetched the article.';
COMMENT ON COLUMN current_articles.last_seen_at IS 'When the archive last fetched the article.';
COMMENT ON COLUMN current_articles.updated_at IS 'When the row last changed.';

-- ---------------------------------------------------------------------------------------------------------
CREATE VIEW article_history AS
SELECT v.id AS version_id,
       v.article_pk,
       a.source,
       a.article_id,
       a.canonical_url,
       (row_number() OVER (PARTITION BY v.article_pk ORDER BY v.first_seen_at, v.id))::integer AS version_number,
       (v.content_hash = a.content_hash) AS is_current,
       v.content_hash,
       v.title,
       v.body,
       v.published_at,
       v.modified_at,
       v.extractor_version,
       v.warc_key,
       v.warc_offset,
       v.crawl_run_id,
       v.first_seen_at,
       v.last_seen_at
FROM article_versions v
JOIN articles a ON a.id = v.article_pk;
COMMENT ON VIEW article_history IS
    'Every distinct content each article has had (duplicates included), numbered from the first seen.';
COMMENT ON COLUMN article_history.version_id IS 'article_versions.id.';
COMMENT ON COLUMN article_history.article_pk IS 'The article (articles.id / current_articles.id).';
COMMENT ON COLUMN article_history.source IS 'Source name.';
COMMENT ON COLUMN article_history.article_id IS 'The source''s own id of the article.';
COMMENT ON COLUMN article_history.canonical_url IS 'Canonical URL of the article (current version).';
COMMENT ON COLUMN article_history.version_number IS '1 for the first content seen, 2 for the next, ...';
COMMENT ON COLUMN article_history.is_current IS 'True for the version the articles row holds now.';
COMMENT ON COLUMN article_history.content_hash IS 'sha256 of this version''s cleaned body.';
COMMENT ON COLUMN article_history.title IS 'Headline of this version.';
COMMENT ON COLUMN article_history.body IS 'Cleaned body of this version.';
COMMENT ON COLUMN article_history.published_at IS 'Publication time this version declared.';
COMMENT ON COLUMN article_history.modified_at IS 'Modification time this version declared.';
COMMENT ON COLUMN article_history.extractor_version IS 'Parser version that extracted this version.';
COMMENT ON COLUMN article_history.warc_key IS 'S3 key of the WARC holding the response of this version.';
COMMENT ON COLUMN article_history.warc_offset IS 'Byte offset of that response record in the gzipped WARC.';
COMMENT ON COLUMN article_history.crawl_run_id IS 'Crawl run (crawl_runs.id) that first fetched this version.';
COMMENT ON COLUMN article_history.first_seen_at IS 'First fetch that returned this content.';
COMMENT ON COLUMN article_history.last_seen_at IS 'Last fetch that returned this content.';

-- ---------------------------------------------------------------------------------------------------------
CREATE VIEW daily_counts AS
SELECT a.source,
       archive_local_date(a.published_at) AS day,
       coalesce(a.detected_language, a.language, 'und') AS language,
       count(*)::integer AS articles,
       (count(*) FILTER (WHERE a.duplicate_of IS NULL))::integer AS originals,
       (count(*) FILTER (WHERE a.duplicate_kind = 'exact'))::integer AS exact_duplicates,
       (count(*) FILTER (WHERE a.duplicate_kind = 'near'))::integer AS near_duplicates,
       sum(length(a.body))::bigint AS characters
FROM articles a
GROUP BY 1, 2, 3;
COMMENT ON VIEW daily_counts IS
    'Articles per source, local publication day and language; days without articles have no row.';
COMMENT ON COLUMN daily_counts.source IS 'Source name.';
COMMENT ON COLUMN daily_counts.day IS 'Local (Asia/Almaty) publication day; NULL for articles without a date.';
COMMENT ON COLUMN daily_counts.language IS 'Detected language, else the declared one, else und.';
COMMENT ON COLUMN daily_counts.articles IS 'All articles of that day, duplicates included.';
COMMENT ON COLUMN daily_counts.originals IS 'Articles that are not duplicates (the rows of current_articles).';
COMMENT ON COLUMN daily_counts.exact_duplicates IS 'Republications with the same cleaned body as an earlier article.';
COMMENT ON COLUMN daily_counts.near_duplicates IS 'Republications whose text is nearly the same as an earlier article.';
COMMENT ON COLUMN daily_counts.characters IS 'Total characters of the bodies (all articles).';

-- ---------------------------------------------------------------------------------------------------------
CREATE VIEW duplicate_cluster_members AS
SELECT coalesce(a.duplicate_of, a.id) AS cluster_original_id,
       a.id,
       a.source,
       a.article_id,
       a.canonical_url,
       a.title,
       a.published_at,
       (a.duplicate_of IS NULL) AS is_original,
       a.duplicate_kind,
       a.similarity
FROM articles a
WHERE a.duplicate_of IS NOT NULL
   OR EXISTS (SELECT 1 FROM articles d WHERE d.duplicate_of = a.id);
COMMENT ON VIEW duplicate_cluster_members IS
    'Every article that has or is a duplicate, with the original of its cluster (exact and near duplicates).';
COMMENT ON COLUMN duplicate_cluster_members.cluster_original_id IS 'The original (earliest) article of the cluster; identifies the cluster.';
COMMENT ON COLUMN duplicate_cluster_members.id IS 'This member (articles.id).';
COMMENT ON COLUMN duplicate_cluster_members.source IS 'Source name of this member.';
COMMENT ON COLUMN duplicate_cluster_members.article_id IS 'The source''s own id of this member.';
COMMENT ON COLUMN duplicate_cluster_members.canonical_url IS 'Canonical URL of this member.';
COMMENT ON COLUMN duplicate_cluster_members.title IS 'Headline of this member.';
COMMENT ON COLUMN duplicate_cluster_members.published_at IS 'Publication time of this member.';
COMMENT ON COLUMN duplicate_cluster_members.is_original IS 'True for the cluster''s original.';
COMMENT ON COLUMN duplicate_cluster_members.duplicate_kind IS 'exact or near for copies, NULL for the original.';
COMMENT ON COLUMN duplicate_cluster_members.similarity IS 'Similarity of a copy to the original (1 for exact copies).';

CREATE VIEW duplicate_clusters AS
SELECT m.cluster_original_id,
       o.source AS original_source,
       o.article_id AS original_article_id,
       o.title AS original_title,
       o.published_at AS original_published_at,
       count(*)::integer AS members,
       (count(*) FILTER (WHERE m.duplicate_kind = 'exact'))::integer AS exact_copies,
       (count(*) FILTER (WHERE m.duplicate_kind = 'near'))::integer AS near_copies,
       array_agg(DISTINCT m.source ORDER BY m.source) AS sources,
       min(m.similarity) AS min_similarity,
       max(m.published_at) AS last_published_at
FROM duplicate_cluster_members m
JOIN articles o ON o.id = m.cluster_original_id
GROUP BY m.cluster_original_id, o.source, o.article_id, o.title, o.published_at;
COMMENT ON VIEW duplicate_clusters IS
    'One row per group of republications: the original and how many copies point at it.';
COMMENT ON COLUMN duplicate_clusters.cluster_original_id IS 'The original article (articles.id) the copies point at.';
COMMENT ON COLUMN duplicate_clusters.original_source IS 'Source of the original.';
COMMENT ON COLUMN duplicate_clusters.original_article_id IS 'The source''s own id of the original.';
COMMENT ON COLUMN duplicate_clusters.original_title IS 'Headline of the original.';
COMMENT ON COLUMN duplicate_clusters.original_published_at IS 'Publication time of the original.';
COMMENT ON COLUMN duplicate_clusters.members IS 'Articles in the cluster, the original included.';
COMMENT ON COLUMN duplicate_clusters.exact_copies IS 'Copies with the same cleaned body.';
COMMENT ON COLUMN duplicate_clusters.near_copies IS 'Copies with nearly the same text.';
COMMENT ON COLUMN duplicate_clusters.sources IS 'Distinct sources in the cluster.';
COMMENT ON COLUMN duplicate_clusters.min_similarity IS 'Lowest similarity of a copy to the original.';
COMMENT ON COLUMN duplicate_clusters.last_published_at IS 'Publication time of the latest member.';

-- ---------------------------------------------------------------------------------------------------------
-- A lexeme quoted for tsquery input (quotes and backslashes escaped).
CREATE FUNCTION search_quote_lexeme(lexeme text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''';
COMMENT ON FUNCTION search_quote_lexeme(text) IS 'A lexeme quoted for tsquery input.';

-- Every word of `query` as a prefix, AND-ed: 'астана:*' finds астанада, астананың. A word ending in a
-- voiceless қ/к/п (Latin q/k/p) also matches its voiced stem (балық -> балығы, кітап -> кітабы), as Kazakh
-- suffixes starting with a vowel voice it.
CREATE FUNCTION search_prefix_query(config regconfig, query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce((
        SELECT string_agg(
                   '(' || search_quote_lexeme(t.lexeme) || ':*'
                   || CASE WHEN t.lexeme ~ '[қкпqkp]$' AND char_length(t.lexeme) > 2
                           THEN ' | ' || search_quote_lexeme(left(t.lexeme, -1)
                                         || translate(right(t.lexeme, 1), 'қкпqkp', 'ғгбǵgb')) || ':*'
                           ELSE '' END
                   || ')', ' & ')
        FROM unnest(to_tsvector(config, query)) AS t), '')::tsquery;
COMMENT ON FUNCTION search_prefix_query(regconfig, text) IS
    'tsquery matching every word of a query as a word prefix, with the voiced stem of words ending in қ/к/п.';

-- Search. Tiers, best first: 1 phrase (the words adjacent and in order, exact forms), 2 all words (exact
-- forms, any order), 3 prefix (every word starts a word: астана finds астанада, астананың), 4 trigram, for
-- one-word queries only (similar spelling: карағанды typed for қарағанды). Within a tier: ts_rank_cd, or the
-- strict trigram word similarity.
CREATE FUNCTION search_articles(
    query text,
    max_results integer DEFAULT 20,
    source_name text DEFAULT NULL,
    lang text DEFAULT NULL,
    since date DEFAULT NULL,
    until date DEFAULT NULL,
    include_duplicates boolean DEFAULT false
) RETURNS TABLE (
    id bigint,
    source text,
    article_id text,
    title text,
    published_at timestamptz,
    language text,
    match_kind text,
    tier integer,
    score real,
    snippet text,
    url text
)
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.strict_word_similarity_threshold = 0.5
AS $fn$
WITH q AS (
    SELECT lower(btrim(search_articles.query)) AS raw,
           phraseto_tsquery('pg_catalog.simple', search_articles.query) AS phrase_s,
           plainto_tsquery('pg_catalog.simple', search_articles.query) AS words_s,
           phraseto_tsquery('pg_catalog.russian', search_articles.query) AS phrase_r,
           plainto_tsquery('pg_catalog.russian', search_articles.query) AS words_r,
           search_prefix_query('pg_catalog.simple', search_articles.query) AS prefix_s,
           search_prefix_query('pg_catalog.russian', search_articles.query) AS prefix_r
), candidates AS (
    SELECT a.id FROM articles a, q WHERE a.search_vector @@ (q.prefix_s || q.prefix_r)
    UNION
    SELECT a.id FROM articles a, q
    WHERE char_length(q.raw) >= 4 AND q.raw !~ '\s' AND q.raw <<% (a.title || ' ' || coalesce(a.normalized_body, a.body))
), scored AS (
    SELECT a.*,
           coalesce(a.detected_language, a.language) AS lang_code,
           article_search_config(coalesce(a.detected_language, a.language)) AS cfg,
           CASE WHEN article_search_config(coalesce(a.detected_language, a.language)) = 'pg_catalog.russian'::regconfig
                THEN ARRAY[q.phrase_r, q.words_r, q.prefix_r] ELSE ARRAY[q.phrase_s, q.words_s, q.prefix_s] END AS tq,
           q.raw
    FROM candidates c JOIN articles a ON a.id = c.id CROSS JOIN q
    WHERE (search_articles.include_duplicates OR a.duplicate_of IS NULL)
      AND (search_articles.source_name IS NULL OR a.source = search_articles.source_name)
      AND (search_articles.lang IS NULL OR coalesce(a.detected_language, a.language) = search_articles.lang)
      AND (search_articles.since IS NULL OR archive_local_date(a.published_at) >= search_articles.since)
      AND (search_articles.until IS NULL OR archive_local_date(a.published_at) <= search_articles.until)
), tiered AS (
    SELECT s.*,
           CASE WHEN numnode(s.tq[1]) > 0 AND s.search_vector @@ s.tq[1] THEN 1
                WHEN numnode(s.tq[2]) > 0 AND s.search_vector @@ s.tq[2] THEN 2
                WHEN numnode(s.tq[3]) > 0 AND s.search_vector @@ s.tq[3] THEN 3
                ELSE 4 END AS t
    FROM scored s
), ranked AS (
    SELECT t.*,
           CASE WHEN t.t = 4 THEN strict_word_similarity(t.raw, t.title || ' ' || coalesce(t.normalized_body, t.body))
                ELSE ts_rank_cd(t.search_vector, t.tq[t.t]) END::real AS sc
    FROM tiered t
    WHERE t.t < 4 OR t.raw <<% (t.title || ' ' || coalesce(t.normalized_body, t.body))
    ORDER BY t.t, sc DESC, t.published_at DESC NULLS LAST, t.id
    LIMIT greatest(search_articles.max_results, 0)
)
SELECT r.id, r.source, r.article_id, r.title, r.published_at, r.lang_code,
       (ARRAY['phrase', 'words', 'prefix', 'trigram'])[r.t],
       r.t, r.sc,
       ts_headline(r.cfg, r.body, r.tq[least(r.t, 3)],
                   'StartSel=[, StopSel=], MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" ... "'),
       r.canonical_url
FROM ranked r
ORDER BY r.t, r.sc DESC, r.published_at DESC NULLS LAST, r.id
$fn$;
COMMENT ON FUNCTION search_articles(text, integer, text, text, date, date, boolean) IS
    'Full-text + trigram search: phrase matches first, then all words, prefixes (inflected Kazakh forms), '
    'similar spellings; with ts_headline snippets ([match]). Duplicates excluded unless include_duplicates.';

-- ---------------------------------------------------------------------------------------------------------
-- Read-only role for `newsarchive query` and analysts. Roles are cluster-wide: create it once, tolerate a
-- concurrent creator, then grant on this database only.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newsarchive_reader') THEN
        BEGIN
            CREATE ROLE newsarchive_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO newsarchive_reader', current_database());
END
$do$;
COMMENT ON ROLE newsarchive_reader IS 'Read-only access to the newsarchive archive (SELECT only).';
GRANT USAGE ON SCHEMA public TO newsarchive_reader;
REVOKE CREATE ON SCHEMA public FROM newsarchive_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO newsarchive_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO newsarchive_reader;
