-- Articles containing an exact phrase (the words adjacent and in this order), best ranked first, with snippets.
-- params: phrase
-- newsarchive query -f sql/queries/phrase_search.sql -p "phrase=мұз айдыны"
SELECT id, source, article_id, published_at, title, score, snippet
FROM search_articles(%(phrase)s, 1000)
WHERE match_kind = 'phrase'
ORDER BY score DESC, published_at DESC, id;
