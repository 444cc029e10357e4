-- The largest groups of republished articles (exact and near copies), biggest first.
-- params: limit (how many clusters)
-- newsarchive query -f sql/queries/top_duplicate_clusters.sql -p limit=20
SELECT cluster_original_id, members, exact_copies, near_copies, sources, original_source, original_article_id,
       original_published_at, original_title
FROM duplicate_clusters
ORDER BY members DESC, original_published_at DESC, cluster_original_id
LIMIT %(limit)s::integer;
