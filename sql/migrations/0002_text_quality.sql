-- 0002 text quality: detected language and script, normalized body, removed boilerplate, near-duplicate index.

ALTER TABLE articles
    ADD COLUMN detected_language   text CHECK (detected_language IN ('kk', 'ru', 'en', 'other')),
    ADD COLUMN language_shares     jsonb,
    ADD COLUMN script              text CHECK (script IN ('Cyrl', 'Latn', 'mixed')),
    ADD COLUMN normalized_body     text,
    ADD COLUMN boilerplate_removed jsonb,
    ADD COLUMN cluster_id          bigint REFERENCES articles (id);
CREATE INDEX articles_cluster_id ON articles (cluster_id) WHERE cluster_id IS NOT NULL;
COMMENT ON COLUMN articles.detected_language IS 'Language detected from the text (kk, ru, en, other): the one holding most letters.';
COMMENT ON COLUMN articles.language_shares IS 'Share of the body''s paragraphs per detected language, e.g. {"kk": 0.75, "ru": 0.25}.';
COMMENT ON COLUMN articles.script IS 'Script of the body''s letters: Cyrl, Latn, or mixed (paragraphs in both).';
COMMENT ON COLUMN articles.normalized_body IS 'Body for hashing and search: NFC, no invisible characters, Latin look-alikes in Cyrillic words mapped to Cyrillic, casefolded.';
COMMENT ON COLUMN articles.boilerplate_removed IS 'Lines removed from the published body as boilerplate (photo credits, subscription prompts), in page order.';
COMMENT ON COLUMN articles.cluster_id IS 'Near-duplicate cluster: id of the cluster''s original (the article itself when it is one).';
COMMENT ON COLUMN articles.similarity IS 'Similarity to duplicate_of: 1 for exact copies, Jaccard of word-bigram sets for near copies.';

CREATE TABLE minhash_signatures (
    article_pk   bigint      PRIMARY KEY REFERENCES articles (id),
    params       text        NOT NULL,
    content_hash char(64)    NOT NULL,
    signature    bytea       NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE minhash_signatures IS 'MinHash signature of each indexed article''s normalized body (uint32 values, little-endian).';
COMMENT ON COLUMN minhash_signatures.params IS 'Shingling and MinHash parameters the signature was made with (etl.neardup.PARAMS).';
COMMENT ON COLUMN minhash_signatures.content_hash IS 'The articles.content_hash the signature was computed from.';

CREATE TABLE minhash_bands (
    band       smallint NOT NULL,
    bucket     bigint   NOT NULL,
    article_pk bigint   NOT NULL REFERENCES articles (id),
    PRIMARY KEY (band, bucket, article_pk)
);
CREATE INDEX minhash_bands_article ON minhash_bands (article_pk);
COMMENT ON TABLE minhash_bands IS 'LSH index over the whole archive: articles sharing a (band, bucket) are near-duplicate candidates.';
