"""A throwaway source defined outside etl/: its spec and its parser, all a new source needs in code.

Registered through NEWSARCHIVE_SOURCE_MODULES=example_source (tests/ on the path) by
tests/test_new_source.py, which writes its replay site. Two hosts, so that the test can show that each host
gets the spec's politeness on its own.
"""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract import ParserFamily, SiteParser
from etl.extract.base import Stamp, block_paragraphs, css, first_text
from etl.sources import Feed, Source

NEWS_HOST, MEDIA_HOST = "news.example.test", "media.example.test"


class ExampleV1(SiteParser):
    """The only markup: `h1`, body `<p>` in `div.story`, `<time datetime>`."""

    VERSION = "example-1"
    MARKER = css("div.story")
    TITLES = (css("h1"),)
    TIMES = css("time[datetime]")

    def title(self) -> str | None:
        """The heading."""
        return first_text(self.page.tree, self.TITLES)

    def published(self) -> Stamp | None:
        """The `<time datetime>`."""
        return next(filter(None, (self.iso_stamp(node.get("datetime")) for node in self.TIMES(self.page.tree))), None)

    def paragraphs(self) -> tuple[str, ...]:
        """The story's paragraphs."""
        containers = self.MARKER(self.page.tree) if self.MARKER else []
        return block_paragraphs(containers[0], css("script")) if containers else ()


EXAMPLE = Source(
    name="example",
    display_name="Example News (test only)",
    base_url=f"https://{NEWS_HOST}",
    language="kk",
    urls=ArticleUrls((NEWS_HOST, MEDIA_HOST), re.compile(r"^https://(?:news|media)\.example\.test/a/(?P<id>\d+)/?$")),
    parser=ParserFamily(versions=(ExampleV1,), default=ExampleV1),
    discovery=(Feed(f"https://{NEWS_HOST}/feed.xml"),),
    download_delay=0.5,
    concurrency_per_host=1,
    enabled=False,
)

SOURCES = (EXAMPLE,)
