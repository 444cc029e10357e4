"""The article URL rule of an outlet and its one canonicaliser, shared by the spiders and the parsers.

Reads no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class ArticleUrls:
    """Hosts, the pattern of an article URL in canonical form (group `id`) and whether that form ends in `/`."""

    hosts: tuple[str, ...]
    pattern: re.Pattern[str]
    trailing_slash: bool = True

    def normalise(self, url: str) -> str:
        """`url` with lower-case scheme and host, no query or fragment, and the rule's trailing slash."""
        parts = urlsplit(url.strip())
        path = parts.path.rstrip("/")
        path = path + "/" if self.trailing_slash or not path else path
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))

    def canonical(self, url: str) -> str | None:
        """The canonical form of an article URL (https, one of the hosts), or None when `url` is no article."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        if host not in self.hosts or parts.scheme.lower() not in ("http", "https"):
            return None
        candidate = self.normalise(urlunsplit(("https", host, parts.path, "", "")))
        return candidate if self.pattern.match(candidate) else None

    def article_id(self, url: str) -> str | None:
        """The article id encoded in `url`, or None when it is not an article URL."""
        match = self.pattern.match(url)
        return match.group("id") if match else None
