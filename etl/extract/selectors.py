"""Compiled CSS selectors for the parsers: each compiled to XPath once, and (selectors without combinators, such as
a parser's `DROP` group) to a Python test per element, which is cheaper than libxml2's XPath inside a small subtree (an
article's body) or on a few elements (an element's ancestors). The Python test is the XPath's meaning exactly (the
same attribute, class and id rules as cssselect's translation); selectors it does not cover use the XPath.
Reads no settings."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import cssselect
import lxml.etree
from cssselect.parser import Attrib, Class, CombinedSelector, Element, Hash, Tree
from cssselect.xpath import is_non_whitespace
from lxml.cssselect import CSSSelector, LxmlHTMLTranslator
from lxml.html import HtmlElement

__all__ = ["Selector", "absent", "css", "holds", "matches", "on_axis", "plain", "select_inside"]

Test = Callable[[HtmlElement], bool]
_XML_SPACE_RE = re.compile("[ \t\r\n]+")  # what XPath's normalize-space (so CSS `~=` and classes) splits on
_LITERAL_RE = re.compile("[A-Za-z0-9_-]+")
_ANY_ELEMENT_RE = re.compile(r"(?:::|/)\*")  # an XPath step that tests elements of any name

_TRANSLATOR = LxmlHTMLTranslator()


def _condition(value: str, operator: str, word: str | None) -> str | None:
    """cssselect's translation of `[name operator word]` as a Python expression on the attribute's `value`
    (None when absent), or None for an operator not covered."""
    literal = repr(word)
    if operator == "exists":
        return f"{value} is not None"
    if operator == "=":
        return f"{value} == {literal}"
    if operator not in ("~=", "*=", "^=", "$="):
        return None
    if not word or (operator == "~=" and not is_non_whitespace(word)):
        return "False"
    return {
        "~=": f"{value} is not None and {literal} in {value} and {literal} in _split({value})",
        "*=": f"{value} is not None and {literal} in {value}",
        "^=": f"{value} is not None and {value}.startswith({literal})",
        "$=": f"{value} is not None and {value}.endswith({literal})",
    }[operator]


def _member(tree: Tree, names: dict[str, str]) -> tuple[str, list[str]] | None:
    """The tag ("*": any) and the conditions of one selector without combinators (tag, `.class`, `#id`,
    `[attr op value]`), attribute values named through `names`; None when it is not covered."""
    conditions: list[str] = []
    word: str | None
    node = tree
    while not isinstance(node, Element):
        if isinstance(node, Class):
            name, operator, word = "class", "~=", node.class_name
        elif isinstance(node, Hash):
            name, operator, word = "id", "=", node.id
        elif isinstance(node, Attrib) and not node.namespace and not node.flag:
            name, operator = node.attrib.lower(), node.operator
            word = node.value.value if node.value is not None else None
        else:
            return None
        condition = _condition(names.setdefault(name, f"a{len(names)}"), operator, word)
        if condition is None:
            return None
        conditions.append(condition)
        node = node.selector
    return (None if node.namespace else (node.element or "*").lower(), conditions)  # type: ignore[return-value]


def _python_test(expression: str) -> Test | None:
    """Whether an element matches any selector of the group, as one generated Python function (the XPath's
    meaning: elements only, attributes as cssselect tests them), or None when a selector is not covered."""
    names: dict[str, str] = {}
    members = []
    for selector in cssselect.parse(expression):
        member = None if selector.pseudo_element else _member(selector.parsed_tree, names)
        if member is None or member[0] is None:
            return None
        members.append(member)
    tags = frozenset(tag for tag, conditions in members if not conditions)
    rest = [
        " and ".join([*([] if tag == "*" else [f"tag == {tag!r}"]), *(f"({c})" for c in conditions)])
        for tag, conditions in members if conditions
    ]
    lines = [
        "def test(element):",
        "    tag = element.tag",
        "    if type(tag) is not str:",  # comments and processing instructions are no elements
        "        return False",
        f"    if {'True' if '*' in tags else 'tag in _tags'}:",
        "        return True",
        *(f"    {variable} = element.get({name!r})" for name, variable in names.items()),
        f"    return {' or '.join(f'({expression})' for expression in rest) or 'False'}",
    ]
    scope: dict[str, object] = {"_tags": tags, "_split": _XML_SPACE_RE.split}
    source = "\n".join(lines)
    exec(compile(source, f"<selector {expression!r}>", "exec"), scope)  # noqa: S102 - code generated above
    test = scope["test"]
    test.__doc__ = source  # type: ignore[attr-defined]
    return test  # type: ignore[return-value]


def _literal(tree: Tree) -> str | None:
    """A string that the HTML of any page holding an element `tree` (a selector) matches must contain, when the
    page writes no numeric character reference: the longest class, id or attribute value it requires, if that is
    made of ASCII letters, digits, `_` and `-` (which no named reference spells); None when there is none."""
    words: list[str | None] = []
    node = tree
    while not isinstance(node, Element):
        if isinstance(node, Class):
            words.append(node.class_name)
        elif isinstance(node, Hash):
            words.append(node.id)
        elif isinstance(node, Attrib):
            if node.operator != "exists" and node.value is not None and not node.flag:
                words.append(node.value.value)
        elif isinstance(node, CombinedSelector):
            node = node.subselector  # what the rightmost compound requires
            continue
        else:
            break
        node = node.selector
    plain = [word for word in words if word and _LITERAL_RE.fullmatch(word)]
    return max(plain, key=len) if plain else None


def _literals(expression: str) -> tuple[str, ...] | None:
    """One required string per selector of the group (see `_literal`), or None when one has none."""
    found = [_literal(selector.parsed_tree) for selector in cssselect.parse(expression)]
    return None if not found or None in found else tuple(word for word in found if word)


class Selector(CSSSelector):
    """A CSS selector compiled to XPath once (HTML rules: case-insensitive tag and attribute names); `test` is the
    same selector as a Python test, when it is covered, and `literals` the strings one of which must be in the
    HTML for it to match anything (see `absent`)."""

    def __init__(self, expression: str) -> None:
        lxml.etree.XPath.__init__(self, _TRANSLATOR.css_to_xpath(expression))
        self.css = expression
        self.test = _python_test(expression)
        self.literals = _literals(expression)
        #: Whether the XPath tests every element of the page (a selector member without a tag name, or below a
        #: combinator), not just the elements of one tag, which libxml2 finds cheaply.
        self.any_element = _ANY_ELEMENT_RE.search(self.path) is not None
        #: `literals` as UTF-8 bytes (they are ASCII), for pages kept as the bytes they were parsed from.
        self.literal_bytes = tuple(word.encode("ascii") for word in self.literals) if self.literals else None
        #: The tag names, when the selector is nothing but tag names ("figure, img, script"): lxml filters by them.
        self.tags = _tags(expression)


def absent(selector: CSSSelector, plain_html: str | bytes) -> bool:
    """Whether `selector` surely matches nothing in the page parsed from `plain_html` (its text, or the UTF-8 bytes
    it was parsed from), told from the text alone: none of its required strings is in it. The text must hold no
    numeric character reference (`&#`), which could spell one (see `plain`)."""
    words: tuple[str | bytes, ...] | None = getattr(
        selector, "literal_bytes" if isinstance(plain_html, bytes) else "literals", None
    )
    return bool(words) and not any(word in plain_html for word in words or ())  # type: ignore[operator]


#: How many occurrences of a needle's first byte `holds` checks one by one before one substring search.
_HOPS = 16


def holds(data: bytes, needle: bytes) -> bool:
    """Whether `needle` is in `data`: memchr hops over its first byte (fast, and `&` or `_` are rare in pages) before
    one substring search from the last hop (a short needle's search costs about 0.3 ns a byte)."""
    first = needle[:1]
    at = data.find(first)
    for _ in range(_HOPS):
        if at < 0:
            return False
        if data.startswith(needle, at):
            return True
        at = data.find(first, at + 1)
    return at >= 0 and data.find(needle, at) >= 0


def plain(html: str | bytes) -> str | bytes | None:
    """`html` when it holds no numeric character reference (so `absent` may be asked about it), else None."""
    if isinstance(html, str):
        return None if "&#" in html else html
    return None if holds(html, b"&#") else html


def _tags(expression: str) -> tuple[str, ...] | None:
    """The tag names of a selector made of tag names only, or None."""
    names = []
    for selector in cssselect.parse(expression):
        tree = selector.parsed_tree
        if selector.pseudo_element or not isinstance(tree, Element) or tree.namespace or not tree.element:
            return None
        names.append(tree.element.lower())
    return tuple(names) or None


def select_inside(selector: CSSSelector, root: HtmlElement) -> list[HtmlElement]:
    """What `selector` matches in `root` (itself included), in document order: for a small subtree such as an
    article body, by lxml's tag filter or the Python test where there is one."""
    tags: tuple[str, ...] | None = getattr(selector, "tags", None)
    if tags:
        return list(root.iter(*tags))
    test = getattr(selector, "test", None)
    return [element for element in root.iter() if test(element)] if test is not None else selector(root)


def matches(selector: CSSSelector, element: HtmlElement) -> bool:
    """Whether `element` itself is one `selector` matches (without a Python test: searched for in its whole tree)."""
    test = getattr(selector, "test", None)
    return test(element) if test is not None else element in selector(element.getroottree().getroot())


def css(expression: str) -> CSSSelector:
    """A compiled CSS selector (HTML rules: case-insensitive tag and attribute names)."""
    return Selector(expression)


@functools.cache
def on_axis(selector: CSSSelector, axis: str) -> lxml.etree.XPath:
    """`selector` searched along `axis` from an element, compiled once: with "ancestor::", the ancestors a selector
    without combinators matches."""
    return lxml.etree.XPath(_TRANSLATOR.css_to_xpath(selector.css, prefix=axis))
