"""The near-duplicate evaluation set built from the Kazinform fixture texts (see corpus.py)."""
