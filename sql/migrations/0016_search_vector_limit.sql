-- 0016 the search vector reads at most the first 200,000 characters of the body (and 2,000 of the title):
-- a tsvector holds at most 1 MB, and one multi-megabyte article used to reject its whole load ("string is too
-- long for tsvector"). Only the search vector is cut; title and body are stored whole.

DROP INDEX articles_search_vector;
ALTER TABLE articles DROP COLUMN search_vector;
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(article_search_config(coalesce(detected_language, language)), left(title, 2000)), 'A')
    || setweight(to_tsvector(article_search_config(coalesce(detected_language, language)),
                             left(coalesce(normalized_body, body), 200000)), 'B')
) STORED;
COMMENT ON COLUMN articles.search_vector IS
    'Full-text vector of title (weight A) and normalized body (weight B), in article_search_config(language); only the first 2,000 characters of the title and 200,000 of the body are indexed (a tsvector holds at most 1 MB).';
CREATE INDEX articles_search_vector ON articles USING gin (search_vector);
