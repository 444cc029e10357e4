"""Bad pages for the fault and bad-input suite: each turns one article page of a private replay copy bad.

Every function takes the replay root and the article URL (an article of kaz.inform.kz in `fixtures/replay`)
and rewrites that page in place, the way a broken or hostile site would serve it.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

HOST = "kaz.inform.kz"
PUBLISHED_META_RE = re.compile(r'<meta name="article:published_time" content="[^"]*">')
TIME_RE = re.compile(r'<time datetime="[^"]*">')


def page_path(root: Path, url: str) -> Path:
    """The file the replay site serves for `url`."""
    return root / HOST / url.split(HOST, 1)[1].strip("/") / "index.html"


def _edit(root: Path, url: str, old: re.Pattern[str] | str, new: str) -> None:
    path = page_path(root, url)
    html = path.read_text(encoding="utf-8")
    changed = old.sub(new, html) if isinstance(old, re.Pattern) else html.replace(old, new)
    assert changed != html, f"{url}: nothing to change"
    path.write_text(changed, encoding="utf-8")


def date_out_of_range(root: Path, url: str, stamp: str) -> None:
    """Every machine-readable date of the page is `stamp` (e.g. year 9999 at -12:00: past datetime.max in UTC)."""
    _edit(root, url, PUBLISHED_META_RE, f'<meta name="article:published_time" content="{stamp}">')
    _edit(root, url, TIME_RE, f'<time datetime="{stamp}">')


def visible_offset(root: Path, url: str, offset: str) -> None:
    """Only the visible time is left, printed with the offset `offset` (e.g. 'GMT +99')."""
    _edit(root, url, PUBLISHED_META_RE, "")
    _edit(root, url, TIME_RE, "<time>")
    _edit(root, url, "GMT +5", offset)


def lone_surrogate_headline(root: Path, url: str) -> None:
    """A JSON-LD NewsArticle whose headline holds a lone surrogate escape."""
    script = ('<script type="application/ld+json">{"@type": "NewsArticle", '
              '"headline": "Broken \\ud800 headline"}</script></head>')
    _edit(root, url, "</head>", script)


def gzip_bomb(root: Path, url: str, size: int) -> None:
    """The page served gzip-encoded and expanding to `size` bytes (`index.html.gz` is sent as is)."""
    path = page_path(root, url)
    html = path.read_bytes()
    with gzip.open(path.with_name("index.html.gz"), "wb", compresslevel=9) as out:
        out.write(html)
        chunk = b"<p>" + b"a" * (1024 * 1024 - 7) + b"</p>\n"
        for _ in range(max(0, size - len(html)) // len(chunk)):
            out.write(chunk)
