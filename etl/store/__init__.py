"""Storage: PostgreSQL and S3 access, the WARC archive, runs, loading, the near-dup index, coverage, health."""
