-- 0001 initial schema: sources, crawl runs, raw WARC archives, articles, versions and duplicate links.

CREATE TABLE sources (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z0-9_]+$'),
    display_name  text        NOT NULL,
    base_url      text        NOT NULL,
    language      text        NOT NULL,
    enabled       boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sources IS 'One row per outlet edition the archive knows (kept in step with etl/sources.py).';

INSERT INTO sources (name, display_name, base_url, language)
VALUES ('kazinform', 'Kazinform (Kazakh edition)', 'https://kaz.inform.kz', 'kk');

CREATE TABLE crawl_runs (
    id               bigserial PRIMARY KEY,
    run_key          text        NOT NULL UNIQUE,
    source           text        NOT NULL REFERENCES sources (name),
    partition_date   date        NOT NULL,
    interval_start   timestamptz NOT NULL,
    interval_end     timestamptz NOT NULL CHECK (interval_end > interval_start),
    trigger          text        NOT NULL DEFAULT 'cli',
    airflow_run_id   text,
    refetch          boolean     NOT NULL DEFAULT false,
    status           text        NOT NULL DEFAULT 'crawling'
        CHECK (status IN ('crawling', 'crawled', 'archived', 'extracted', 'loaded', 'failed')),
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    discovered       integer     NOT NULL DEFAULT 0,
    fetched          integer     NOT NULL DEFAULT 0,
    skipped_known    integer     NOT NULL DEFAULT 0,
    blocked          integer     NOT NULL DEFAULT 0,
    failed           integer     NOT NULL DEFAULT 0,
    non_article      integer     NOT NULL DEFAULT 0,
    extracted        integer     NOT NULL DEFAULT 0,
    extract_errors   integer     NOT NULL DEFAULT 0,
    fallback_used    integer     NOT NULL DEFAULT 0,
    loaded_new       integer     NOT NULL DEFAULT 0,
    loaded_updated   integer     NOT NULL DEFAULT 0,
    unchanged        integer     NOT NULL DEFAULT 0,
    duplicates       integer     NOT NULL DEFAULT 0,
    counts           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error            text
);
CREATE INDEX crawl_runs_source_date ON crawl_runs (source, partition_date);
COMMENT ON TABLE crawl_runs IS 'One crawl of one source over one data interval [interval_start, interval_end), with its counts.';
COMMENT ON COLUMN crawl_runs.partition_date IS 'Local (Asia/Almaty) date of interval_start: the day this run archives.';

CREATE TABLE raw_archives (
    id             bigserial PRIMARY KEY,
    crawl_run_id   bigint      NOT NULL UNIQUE REFERENCES crawl_runs (id),
    s3_key         text        NOT NULL UNIQUE,
    manifest_key   text        NOT NULL UNIQUE,
    sha256         char(64)    NOT NULL,
    size_bytes     bigint      NOT NULL CHECK (size_bytes > 0),
    record_count   integer     NOT NULL,
    response_count integer     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE raw_archives IS 'Verified WARC files in S3 (raw/source=<source>/date=<YYYY-MM-DD>/<run-key>.warc.gz).';

CREATE TABLE articles (
    id                bigserial PRIMARY KEY,
    source            text        NOT NULL REFERENCES sources (name),
    article_id        text        NOT NULL,
    url               text        NOT NULL,
    canonical_url     text        NOT NULL,
    language          text,
    title             text        NOT NULL,
    published_at      timestamptz,
    published_raw     text,
    modified_at       timestamptz,
    body              text        NOT NULL,
    dateline_place    text,
    author            text,
    tags              text[]      NOT NULL DEFAULT '{}',
    image_url         text,
    content_hash      char(64)    NOT NULL,
    warc_key          text        NOT NULL REFERENCES raw_archives (s3_key),
    warc_offset       bigint      NOT NULL,
    warc_record_id    text,
    extractor_version text        NOT NULL,
    extraction        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    duplicate_of      bigint      REFERENCES articles (id),
    duplicate_kind    text        CHECK (duplicate_kind IN ('exact', 'near')),
    similarity        real,
    crawl_run_id      bigint      NOT NULL REFERENCES crawl_runs (id),
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT articles_natural_key UNIQUE (source, article_id),
    CONSTRAINT articles_not_self_duplicate CHECK (duplicate_of IS NULL OR duplicate_of <> id),
    CONSTRAINT articles_duplicate_kind CHECK ((duplicate_of IS NULL) = (duplicate_kind IS NULL))
);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_canonical_url ON articles (canonical_url);
CREATE INDEX articles_source_published ON articles (source, published_at);
CREATE INDEX articles_duplicate_of ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;
COMMENT ON TABLE articles IS 'Current version of every archived article; duplicates are linked through duplicate_of, never deleted.';
COMMENT ON COLUMN articles.article_id IS 'Id taken from the URL (Kazinform: the hex tail).';
COMMENT ON COLUMN articles.published_at IS 'Publication time in UTC; published_raw keeps the string it was parsed from.';
COMMENT ON COLUMN articles.body IS 'Cleaned paragraphs in page order joined by newlines, the dateline included as printed.';
COMMENT ON COLUMN articles.content_hash IS 'sha256 of the cleaned body; equal hashes under different URLs are exact duplicates.';
COMMENT ON COLUMN articles.warc_key IS 'S3 key of the WARC holding the response this version was extracted from.';
COMMENT ON COLUMN articles.warc_offset IS 'Byte offset of that response record in the gzipped WARC.';
COMMENT ON COLUMN articles.extraction IS 'Which step of the fallback chain produced each field (jsonld, meta, selectors, generic).';
COMMENT ON COLUMN articles.duplicate_of IS 'The earlier article this one republishes (exact: same content hash).';

CREATE TABLE article_versions (
    id                bigserial PRIMARY KEY,
    article_pk        bigint      NOT NULL REFERENCES articles (id),
    content_hash      char(64)    NOT NULL,
    title             text        NOT NULL,
    body              text        NOT NULL,
    published_at      timestamptz,
    modified_at       timestamptz,
    warc_key          text        NOT NULL REFERENCES raw_archives (s3_key),
    warc_offset       bigint      NOT NULL,
    extractor_version text        NOT NULL,
    crawl_run_id      bigint      NOT NULL REFERENCES crawl_runs (id),
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT article_versions_key UNIQUE (article_pk, content_hash)
);
COMMENT ON TABLE article_versions IS 'Every distinct content of an article URL over time; the newest equals articles.content_hash.';

CREATE TABLE article_aliases (
    url           text PRIMARY KEY,
    article_pk    bigint      NOT NULL REFERENCES articles (id),
    first_seen_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE article_aliases IS 'Other URLs seen for an article (redirect sources, non-canonical forms).';
