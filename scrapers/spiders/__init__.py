"""Spiders, one per source; each writes a WARC and a manifest and yields no items. Reads no settings."""
