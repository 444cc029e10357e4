"""The generic step of the fallback chain: the main text of any page, without the site's selectors. Reads no settings.

Used only when the JSON-LD, meta and site-selector steps found nothing, so that a redesign degrades the
output instead of emptying it. First `main_paragraphs`: the element whose own `<p>` children hold the most
text is the body; its `<p>` and `<blockquote>` children are the paragraphs, in page order, without link lists
(related news, tags, share bars), ad labels and "read also" promos; nested blocks (ads, captions, embeds) are
not read. Then trafilatura (comments excluded, precision favoured over recall) for pages without such an element.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from dataclasses import dataclass

from lxml.html import HtmlElement

from etl.transform.clean import clean_paragraphs, clean_text

logger = logging.getLogger(__name__)


_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
                       "figure", "figcaption", "button", "select"})
#: A paragraph whose text is mostly link text is a promo or a link list, not article text.
MAX_LINK_SHARE = 0.5
#: Ad labels and "read also" promos in the languages of the sources (whole line, or the start of a line).
PROMO_RE = re.compile(
    r"^(?:жарнама|реклама|advertisement|ad|жарнама\s*/\s*реклама)$"
    r"|^(?:оқи\s+отырыңыз|тағы\s+оқыңыз|сондай-ақ\s+оқыңыз|тақырыпқа\s+қатысты|читайте\s+также|также\s+читайте"
    r"|по\s+теме|read\s+also|also\s+read|related(?:\s+news)?|oqı\s+otyryńyz|taǵy\s+oqyńyz)\b",
    re.IGNORECASE,
)


def _skipped(element: HtmlElement) -> bool:
    """True for an element that never holds article text, or one inside such an element."""
    return any(isinstance(node.tag, str) and node.tag in _NOT_TEXT for node in (element, *element.iterancestors()))


def _link_share(element: HtmlElement) -> float:
    """The share of the element's text that is link text."""
    text = len(clean_text(element.text_content()))
    links = sum(len(clean_text(a.text_content())) for a in element.iter("a"))
    return links / text if text else 1.0


def _paragraph(element: HtmlElement) -> str | None:
    """The cleaned text of a body paragraph, or None for a promo, an ad label or a link list."""
    text = clean_text(element.text_content())
    if not text or PROMO_RE.search(text) or _link_share(element) > MAX_LINK_SHARE:
        return None
    return text


def _blocks(container: HtmlElement) -> list[HtmlElement]:
    """The `<p>` and `<blockquote>` children of `container` (a quote's own paragraphs when it has them)."""
    blocks: list[HtmlElement] = []
    for child in container:
        if child.tag == "p":
            blocks.append(child)
        elif child.tag == "blockquote":
            blocks.extend(child.findall("p") or [child])
    return blocks


def _texts(element: HtmlElement) -> list[str]:
    """The body paragraphs among the blocks of `element`."""
    return [text for text in map(_paragraph, _blocks(element)) if text]


def _lead(container: HtmlElement) -> list[str]:
    """The paragraphs of the block just before the body container (a lead set apart), if it has any."""
    previous = container.getprevious()
    while previous is not None and (not isinstance(previous.tag, str) or previous.tag in _NOT_TEXT):
        previous = previous.getprevious()
    return _texts(previous) if previous is not None else []


def main_paragraphs(tree: HtmlElement) -> tuple[str, ...]:
    """The paragraphs of the element whose `<p>` children hold the most article text (after its lead)."""
    best: tuple[int, HtmlElement | None, list[str]] = (0, None, [])
    for element in tree.iter():
        if not isinstance(element.tag, str) or _skipped(element):
            continue
        texts = _texts(element)
        score = sum(map(len, texts))
        if score > best[0]:
            best = (score, element, texts)
    _, container, texts = best
    if container is None:
        return ()
    lead = _lead(container)
    if lead and texts[0] == lead[-1]:
        lead = lead[:-1]
    return clean_paragraphs(lead + texts)


@dataclass(frozen=True)
class GenericResult:
    """What trafilatura found: a title (may carry the site name) and body paragraphs."""

    title: str | None = None
    paragraphs: tuple[str, ...] = ()


def extract_generic(tree: HtmlElement, url: str) -> GenericResult:
    """Run trafilatura on a copy of the parsed page and return its cleaned title and paragraphs."""
    import trafilatura  # 0.45 s to import: paid by the pages that need it, not by every process importing us

    try:
        document = trafilatura.bare_extraction(
            deepcopy(tree),  # trafilatura prunes the tree it is given
            url=url,
            include_comments=False,
            favor_precision=True,
            with_metadata=True,
        )
    except Exception:  # trafilatura has no error contract; a failed fallback must not fail the page
        logger.warning("generic extraction failed for %s", url, exc_info=True)
        return GenericResult()
    if document is None:
        return GenericResult()
    fields = document if isinstance(document, dict) else {"title": document.title, "text": document.text}
    title, text = fields.get("title"), fields.get("text")
    return GenericResult(title=clean_text(title or "") or None, paragraphs=clean_paragraphs((text or "").splitlines()))

