"""Text processing: cleaning, normalization, language, quality, hashing, MinHash."""
