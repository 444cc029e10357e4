"""Response size limit: a response whose body, once its gzip/deflate encoding is undone, is larger than
DOWNLOAD_MAXSIZE is marked `too_large` in the manifest and dropped, without ever being decoded whole.

Reads: DOWNLOAD_MAXSIZE (from NEWSARCHIVE_MAX_PAGE_BYTES, see scrapers/settings.py). A body that is larger on
the wire is stopped by Scrapy's download handler at the same limit (a download error in the manifest); this
middleware catches the compressed page that expands past it (a gzip bomb), which Scrapy's own decompression
drops without a trace in the manifest. It runs after the WARC writer (which keeps the bytes as received) and
before HttpCompressionMiddleware.
"""

from __future__ import annotations

import logging
import zlib
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from scrapers.warc import RECORD_META

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

TOO_LARGE = "too_large"
_CHUNK = 1 << 20
_WBITS = {b"gzip": 31, b"x-gzip": 31, b"deflate": 15}


class PageTooLarge(Exception):
    """A response larger than the page size limit once decoded (the spider counts it as a failed fetch)."""


def decoded_size_over(body: bytes, encodings: list[bytes], limit: int) -> bool:
    """Tell whether `body`, decoded by its gzip/deflate `encodings` (outermost last), exceeds `limit` bytes.

    Decodes in chunks of at most a MiB and stops at the limit, so a bomb costs `limit` bytes of work, never its
    full size. Encodings other than gzip and deflate (and undecodable bodies) are left to Scrapy.
    """
    data = body
    for encoding in reversed(encodings):
        wbits = _WBITS.get(encoding.strip().lower())
        if wbits is None:
            return False
        decoder, out, size = zlib.decompressobj(wbits), [], 0
        try:
            pending = data
            while pending and not decoder.eof:
                piece = decoder.decompress(pending, _CHUNK)
                size += len(piece)
                if size > limit:
                    return True
                out.append(piece)
                pending = decoder.unconsumed_tail
        except zlib.error:
            return False
        data = b"".join(out)
    return len(data) > limit


class PageSizeMiddleware:
    """Drop (and mark `too_large`) a response whose decoded body is over DOWNLOAD_MAXSIZE."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from DOWNLOAD_MAXSIZE; not configured when it is 0 (no limit)."""
        limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if limit <= 0:
            raise NotConfigured("DOWNLOAD_MAXSIZE is 0")
        return cls(limit)

    def process_response(self, request: Request, response: Response) -> Response:
        """Pass `response` on unless its decoded body is over the limit."""
        encodings = [value for header in response.headers.getlist("Content-Encoding") for value in header.split(b",")]
        if not encodings or not decoded_size_over(response.body, encodings, self.limit):
            return response
        message = f"{response.url}: over {self.limit} bytes once decoded ({len(response.body)} bytes on the wire)"
        record = request.meta.get(RECORD_META)
        if isinstance(record, dict):
            record["outcome"] = TOO_LARGE
            record["error"] = f"too large: {message}"
        logger.warning("page too large, dropped: %s", message)
        raise PageTooLarge(message)
