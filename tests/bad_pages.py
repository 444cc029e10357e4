"""Bad pages for the fault and bad-input suite: each turns one article page of a private replay copy bad.

Every function takes the replay root and the article URL (an article of kaz.inform.kz in `fixtures/replay`)
and rewrites that page in place, the way a broken or hostile site would serve it.
"""

from __future__ import annotations

import re
import struct
import zlib
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


def gzip_bomb_bytes(prefix: bytes, size: int, chunk_size: int = 1 << 20) -> bytes:
    """A valid gzip stream of `prefix` followed by 'a's, about `size` bytes once decoded, built in about a second.

    After a full flush the compressor's state is reset, so every later identical chunk compresses to the same
    block: the block is repeated instead of compressing gigabytes.
    """
    chunk = b"a" * chunk_size
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    count = max(0, size - len(prefix)) // chunk_size
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    total = len(prefix) + count * chunk_size
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head + block * count + tail
            + struct.pack("<II", crc & 0xFFFFFFFF, total & 0xFFFFFFFF))


def gzip_bomb(root: Path, url: str, size: int) -> None:
    """The article served as a pre-gzipped page expanding to about `size` bytes (the page, then 'a's)."""
    path = url.split(HOST, 1)[1]
    name = f"_bomb-{path.strip('/').replace('/', '-')}.html.gz"
    (root / HOST / name).write_bytes(gzip_bomb_bytes(page_path(root, url).read_bytes(), size))
    with (root / HOST / "_rules").open("a", encoding="utf-8") as rules:
        rules.write(f"{path} 200 body={name} Content-Encoding=gzip Content-Type=text/html;charset=utf-8\n")


def served_as(root: Path, url: str, body: bytes, content_type: str) -> None:
    """The article served as `body` with the HTTP header `Content-Type: content_type` (no spaces)."""
    path = url.split(HOST, 1)[1]
    name = f"_served-{path.strip('/').replace('/', '-')}.html"
    (root / HOST / name).write_bytes(body)
    with (root / HOST / "_rules").open("a", encoding="utf-8") as rules:
        rules.write(f"{path} 200 body={name} Content-Type={content_type}\n")


def charset_in_header_only(root: Path, url: str) -> None:
    """The page in windows-1251 (Kazakh letters as character references), said only by the HTTP header."""
    html = page_path(root, url).read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    served_as(root, url, html.encode("cp1251", errors="xmlcharrefreplace"), "text/html;charset=windows-1251")


def wrong_meta_charset(root: Path, url: str) -> None:
    """A UTF-8 page (so says the HTTP header) whose `<meta charset>` wrongly says windows-1251."""
    html = page_path(root, url).read_text(encoding="utf-8").replace('<meta charset="utf-8">',
                                                                     '<meta charset="windows-1251">')
    served_as(root, url, html.encode("utf-8"), "text/html;charset=utf-8")


def huge_body(root: Path, url: str, words: int) -> None:
    """A paragraph of `words` unique words (several MB) added to the article body."""
    paragraph = "<p>" + " ".join(f"сөз{n:07d}" for n in range(words)) + "</p>"
    _edit(root, url, '<div class="article__content">', '<div class="article__content">' + paragraph)


def truncated(root: Path, url: str) -> None:
    """The page cut off before `</body></html>` (the transfer ended early; the article itself is there)."""
    path = page_path(root, url)
    html = path.read_text(encoding="utf-8")
    path.write_text(html[: html.index("</body>")], encoding="utf-8")
