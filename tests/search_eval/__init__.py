"""Kazakh search evaluation: hand-written queries in inflected forms over the golden fixture corpus."""
