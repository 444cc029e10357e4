"""The pipeline steps and what runs them (ingest, backfill, re-extraction)."""
