-- 0019 the LSH index packed per article: one row of the 64 band keys (b00 .. b63) instead of 64 rows, and a
-- btree per band (key, then the article) so a candidate lookup is one index-only probe; the existing band rows
-- are moved over and minhash_bands goes (etl/store/neardup_link.py, docs/dedup.md).

CREATE TABLE minhash_lsh (
    article_pk bigint PRIMARY KEY REFERENCES articles (id),
    b00 bigint NOT NULL,
    b01 bigint NOT NULL,
    b02 bigint NOT NULL,
    b03 bigint NOT NULL,
    b04 bigint NOT NULL,
    b05 bigint NOT NULL,
    b06 bigint NOT NULL,
    b07 bigint NOT NULL,
    b08 bigint NOT NULL,
    b09 bigint NOT NULL,
    b10 bigint NOT NULL,
    b11 bigint NOT NULL,
    b12 bigint NOT NULL,
    b13 bigint NOT NULL,
    b14 bigint NOT NULL,
    b15 bigint NOT NULL,
    b16 bigint NOT NULL,
    b17 bigint NOT NULL,
    b18 bigint NOT NULL,
    b19 bigint NOT NULL,
    b20 bigint NOT NULL,
    b21 bigint NOT NULL,
    b22 bigint NOT NULL,
    b23 bigint NOT NULL,
    b24 bigint NOT NULL,
    b25 bigint NOT NULL,
    b26 bigint NOT NULL,
    b27 bigint NOT NULL,
    b28 bigint NOT NULL,
    b29 bigint NOT NULL,
    b30 bigint NOT NULL,
    b31 bigint NOT NULL,
    b32 bigint NOT NULL,
    b33 bigint NOT NULL,
    b34 bigint NOT NULL,
    b35 bigint NOT NULL,
    b36 bigint NOT NULL,
    b37 bigint NOT NULL,
    b38 bigint NOT NULL,
    b39 bigint NOT NULL,
    b40 bigint NOT NULL,
    b41 bigint NOT NULL,
    b42 bigint NOT NULL,
    b43 bigint NOT NULL,
    b44 bigint NOT NULL,
    b45 bigint NOT NULL,
    b46 bigint NOT NULL,
    b47 bigint NOT NULL,
    b48 bigint NOT NULL,
    b49 bigint NOT NULL,
    b50 bigint NOT NULL,
    b51 bigint NOT NULL,
    b52 bigint NOT NULL,
    b53 bigint NOT NULL,
    b54 bigint NOT NULL,
    b55 bigint NOT NULL,
    b56 bigint NOT NULL,
    b57 bigint NOT NULL,
    b58 bigint NOT NULL,
    b59 bigint NOT NULL,
    b60 bigint NOT NULL,
    b61 bigint NOT NULL,
    b62 bigint NOT NULL,
    b63 bigint NOT NULL
);
COMMENT ON TABLE minhash_lsh IS 'LSH index over the whole archive, one row per indexed article: bNN is the bucket of band NN (etl.transform.neardup.band_buckets); articles sharing at least 3 bands are near-duplicate candidates.';

INSERT INTO minhash_lsh (article_pk, b00, b01, b02, b03, b04, b05, b06, b07, b08, b09, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31, b32, b33, b34, b35, b36, b37, b38, b39, b40, b41, b42, b43, b44, b45, b46, b47, b48, b49, b50, b51, b52, b53, b54, b55, b56, b57, b58, b59, b60, b61, b62, b63)
SELECT article_pk,
       max(bucket) FILTER (WHERE band = 0),
       max(bucket) FILTER (WHERE band = 1),
       max(bucket) FILTER (WHERE band = 2),
       max(bucket) FILTER (WHERE band = 3),
       max(bucket) FILTER (WHERE band = 4),
       max(bucket) FILTER (WHERE band = 5),
       max(bucket) FILTER (WHERE band = 6),
       max(bucket) FILTER (WHERE band = 7),
       max(bucket) FILTER (WHERE band = 8),
       max(bucket) FILTER (WHERE band = 9),
       max(bucket) FILTER (WHERE band = 10),
       max(bucket) FILTER (WHERE band = 11),
       max(bucket) FILTER (WHERE band = 12),
       max(bucket) FILTER (WHERE band = 13),
       max(bucket) FILTER (WHERE band = 14),
       max(bucket) FILTER (WHERE band = 15),
       max(bucket) FILTER (WHERE band = 16),
       max(bucket) FILTER (WHERE band = 17),
       max(bucket) FILTER (WHERE band = 18),
       max(bucket) FILTER (WHERE band = 19),
       max(bucket) FILTER (WHERE band = 20),
       max(bucket) FILTER (WHERE band = 21),
       max(bucket) FILTER (WHERE band = 22),
       max(bucket) FILTER (WHERE band = 23),
       max(bucket) FILTER (WHERE band = 24),
       max(bucket) FILTER (WHERE band = 25),
       max(bucket) FILTER (WHERE band = 26),
       max(bucket) FILTER (WHERE band = 27),
       max(bucket) FILTER (WHERE band = 28),
       max(bucket) FILTER (WHERE band = 29),
       max(bucket) FILTER (WHERE band = 30),
       max(bucket) FILTER (WHERE band = 31),
       max(bucket) FILTER (WHERE band = 32),
       max(bucket) FILTER (WHERE band = 33),
       max(bucket) FILTER (WHERE band = 34),
       max(bucket) FILTER (WHERE band = 35),
       max(bucket) FILTER (WHERE band = 36),
       max(bucket) FILTER (WHERE band = 37),
       max(bucket) FILTER (WHERE band = 38),
       max(bucket) FILTER (WHERE band = 39),
       max(bucket) FILTER (WHERE band = 40),
       max(bucket) FILTER (WHERE band = 41),
       max(bucket) FILTER (WHERE band = 42),
       max(bucket) FILTER (WHERE band = 43),
       max(bucket) FILTER (WHERE band = 44),
       max(bucket) FILTER (WHERE band = 45),
       max(bucket) FILTER (WHERE band = 46),
       max(bucket) FILTER (WHERE band = 47),
       max(bucket) FILTER (WHERE band = 48),
       max(bucket) FILTER (WHERE band = 49),
       max(bucket) FILTER (WHERE band = 50),
       max(bucket) FILTER (WHERE band = 51),
       max(bucket) FILTER (WHERE band = 52),
       max(bucket) FILTER (WHERE band = 53),
       max(bucket) FILTER (WHERE band = 54),
       max(bucket) FILTER (WHERE band = 55),
       max(bucket) FILTER (WHERE band = 56),
       max(bucket) FILTER (WHERE band = 57),
       max(bucket) FILTER (WHERE band = 58),
       max(bucket) FILTER (WHERE band = 59),
       max(bucket) FILTER (WHERE band = 60),
       max(bucket) FILTER (WHERE band = 61),
       max(bucket) FILTER (WHERE band = 62),
       max(bucket) FILTER (WHERE band = 63)
FROM minhash_bands GROUP BY article_pk HAVING count(*) = 64;
-- An article whose band rows were incomplete (never written so) loses its signature too: it is indexed afresh.
DELETE FROM minhash_signatures s WHERE NOT EXISTS (SELECT 1 FROM minhash_lsh l WHERE l.article_pk = s.article_pk);
DROP TABLE minhash_bands;

CREATE INDEX minhash_lsh_b00 ON minhash_lsh (b00) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b01 ON minhash_lsh (b01) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b02 ON minhash_lsh (b02) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b03 ON minhash_lsh (b03) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b04 ON minhash_lsh (b04) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b05 ON minhash_lsh (b05) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b06 ON minhash_lsh (b06) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b07 ON minhash_lsh (b07) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b08 ON minhash_lsh (b08) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b09 ON minhash_lsh (b09) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b10 ON minhash_lsh (b10) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b11 ON minhash_lsh (b11) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b12 ON minhash_lsh (b12) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b13 ON minhash_lsh (b13) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b14 ON minhash_lsh (b14) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b15 ON minhash_lsh (b15) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b16 ON minhash_lsh (b16) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b17 ON minhash_lsh (b17) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b18 ON minhash_lsh (b18) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b19 ON minhash_lsh (b19) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b20 ON minhash_lsh (b20) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b21 ON minhash_lsh (b21) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b22 ON minhash_lsh (b22) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b23 ON minhash_lsh (b23) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b24 ON minhash_lsh (b24) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b25 ON minhash_lsh (b25) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b26 ON minhash_lsh (b26) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b27 ON minhash_lsh (b27) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b28 ON minhash_lsh (b28) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b29 ON minhash_lsh (b29) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b30 ON minhash_lsh (b30) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b31 ON minhash_lsh (b31) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b32 ON minhash_lsh (b32) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b33 ON minhash_lsh (b33) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b34 ON minhash_lsh (b34) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b35 ON minhash_lsh (b35) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b36 ON minhash_lsh (b36) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b37 ON minhash_lsh (b37) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b38 ON minhash_lsh (b38) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b39 ON minhash_lsh (b39) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b40 ON minhash_lsh (b40) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b41 ON minhash_lsh (b41) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b42 ON minhash_lsh (b42) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b43 ON minhash_lsh (b43) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b44 ON minhash_lsh (b44) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b45 ON minhash_lsh (b45) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b46 ON minhash_lsh (b46) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b47 ON minhash_lsh (b47) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b48 ON minhash_lsh (b48) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b49 ON minhash_lsh (b49) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b50 ON minhash_lsh (b50) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b51 ON minhash_lsh (b51) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b52 ON minhash_lsh (b52) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b53 ON minhash_lsh (b53) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b54 ON minhash_lsh (b54) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b55 ON minhash_lsh (b55) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b56 ON minhash_lsh (b56) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b57 ON minhash_lsh (b57) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b58 ON minhash_lsh (b58) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b59 ON minhash_lsh (b59) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b60 ON minhash_lsh (b60) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b61 ON minhash_lsh (b61) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b62 ON minhash_lsh (b62) INCLUDE (article_pk);
CREATE INDEX minhash_lsh_b63 ON minhash_lsh (b63) INCLUDE (article_pk);

GRANT SELECT ON minhash_lsh TO newsarchive_reader;
