-- 0010 captures: the CDXJ index of every archived response (articles, listings, feeds, blocked pages), by URL
-- and time, pointing at its WARC record (key, offset, length) for one ranged S3 read.

CREATE TABLE captures (
    id             bigserial   PRIMARY KEY,
    crawl_run_id   bigint      NOT NULL REFERENCES crawl_runs (id),
    warc_key       text        NOT NULL REFERENCES raw_archives (s3_key),
    warc_offset    bigint      NOT NULL CHECK (warc_offset >= 0),
    warc_length    bigint      NOT NULL CHECK (warc_length > 0),
    url            text        NOT NULL,
    urlkey         text        NOT NULL,
    captured_at    timestamptz NOT NULL,
    status         integer,
    mime           text,
    payload_digest text,
    record_id      text        NOT NULL,
    UNIQUE (warc_key, warc_offset)
);
CREATE INDEX captures_urlkey ON captures (urlkey, captured_at);
CREATE INDEX captures_run ON captures (crawl_run_id);
COMMENT ON TABLE captures IS
    'Every archived HTTP response (CDXJ index rows; the same lines are in S3 beside each WARC as <run-key>.cdxj).';
COMMENT ON COLUMN captures.crawl_run_id IS 'The crawl run that fetched it.';
COMMENT ON COLUMN captures.warc_key IS 'S3 key of the WARC holding the response record.';
COMMENT ON COLUMN captures.warc_offset IS 'Byte offset of the (gzip member of the) response record in the WARC.';
COMMENT ON COLUMN captures.warc_length IS 'Length in bytes of the record''s gzip member: one ranged read fetches it.';
COMMENT ON COLUMN captures.url IS 'The requested URL (WARC-Target-URI).';
COMMENT ON COLUMN captures.urlkey IS 'SURT form of the URL, the CDXJ sort key (host reversed: kz,inform,kaz)/news/...).';
COMMENT ON COLUMN captures.captured_at IS 'When the response was received (WARC-Date).';
COMMENT ON COLUMN captures.status IS 'HTTP status code.';
COMMENT ON COLUMN captures.mime IS 'Content-Type of the response, without parameters.';
COMMENT ON COLUMN captures.payload_digest IS 'WARC-Payload-Digest (sha1:BASE32) of the response body.';
COMMENT ON COLUMN captures.record_id IS 'WARC-Record-ID of the response record.';
