"""Generate a replay site of N days x the 8 sources x ~150 articles a day, for the year-scale benchmark.

Pages are rendered by the fixture generators' own templates (fixtures/<source>/generate.py, pages.py,
listings.py, fixtures/kazinform_editions/render.py), so every source's discovery (feeds, dated lentas,
sitemaps, archives) and parser see the markup they were written for, at the 2026 layout. What is new here:

* the number of articles: 130-170 a source a day, times spread over the day;
* their text: paragraphs of sentences drawn from the fixture stories of the edition's language and of new
  sentences made of that language's fixture words (5-12 paragraphs, ~2-6 KB of text), so no two articles share
  more than a sentence or two by chance;
* page size: each page gets the chrome of a real news page (mega menu, "read also" links to other articles of
  the source, a footer with legal links, an inline state script of teaser JSON) up to a size drawn uniformly
  from 50-150 KB, which compresses like text (about 4:1), as real pages do;
* republications (REPUBLISHED_SHARE, ~3%, as docs/dedup.md and the fixtures' cross-outlet copies suggest):
  Kazakh (Cyrillic) articles carried by another Kazakh source the same day or the next, half word for word
  (exact duplicates), half with a new lead and a closing line (near duplicates).

The listing sizes that the fixtures scale down (NUR's /latest/, Azattyq's archives, the feeds) are set to
realistic values, large enough that the discovery of the first day stays within the spider's 50 pages.
Deterministic for a given (start, days, seed). Reads no settings.

Usage: .venv/bin/python benchmarks/yeargen.py OUT_DIR [--days 2] [--start 2026-02-02] [--seed 13]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"

ARTICLES_PER_DAY = (130, 170)
PAGE_BYTES = (50_000, 150_000)
REPUBLISHED_SHARE = 0.03
FEED_SIZE = 50
#: The Cyrillic Kazakh sources: republications happen among them.
KAZAKH = ("kazinform", "tengrinews", "egemen", "nur", "azattyq")
SOURCES = ("kazinform", "kazinform_qz", "kazinform_ru", "kazinform_en", "tengrinews", "egemen", "nur", "azattyq")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@contextmanager
def _fixture_path(*folders: Path) -> Iterator[None]:
    """Put fixture folders first on sys.path and forget their flat module names (`articles`, ...) afterwards."""
    saved_path, saved = list(sys.path), {n: sys.modules.get(n) for n in ("articles", "pages", "listings",
                                                                          "model", "render")}
    for name in saved:
        sys.modules.pop(name, None)
    sys.path[:0] = [str(f) for f in (*folders, FIXTURES)]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _load(path: Path, name: str) -> ModuleType:
    """Import a fixture file as `name` (fixtures/ is not a package)."""
    with _fixture_path():
        from fixturelib import load_module
    return load_module(path, name)


@dataclass
class Templates:
    """The fixture generators' modules, loaded once."""

    # Loaded from files at run time, their names read dynamically: typed Any.
    kaz_articles: Any
    kaz_pages: Any
    kaz_listings: Any
    ed_model: Any
    ed_render: Any
    editions: dict[str, Any]
    tengrinews: Any
    egemen: Any
    nur: Any
    azattyq: Any


def load_templates() -> Templates:
    """Import every generator's rendering code and data."""
    import importlib

    with _fixture_path(FIXTURES / "kazinform"):
        kaz = (importlib.import_module("articles"), importlib.import_module("pages"),
               importlib.import_module("listings"))
    with _fixture_path(FIXTURES / "kazinform_editions"):
        model, render = importlib.import_module("model"), importlib.import_module("render")
        from fixturelib import load_module
        editions = {ed: load_module(FIXTURES / f"kazinform_{ed}" / "articles.py", f"yeargen_{ed}_articles")
                    for ed in ("qz", "ru", "en")}
    generators = {}
    for source in ("tengrinews", "egemen"):
        with _fixture_path(FIXTURES / source):
            from fixturelib import load_module
            generators[source] = load_module(FIXTURES / source / "generate.py", f"yeargen_{source}_generate")
    for source in ("nur", "azattyq"):
        generators[source] = _load(FIXTURES / source / "generate.py", f"yeargen_{source}_generate")
    return Templates(*kaz, model, render, editions, generators["tengrinews"], generators["egemen"],
                     generators["nur"], generators["azattyq"])


# -- text --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Sentences, words and titles of one language, from the fixture stories."""

    sentences: tuple[str, ...]
    words: tuple[str, ...]
    titles: tuple[str, ...]


def corpus(stories: list[Any]) -> Corpus:
    """The sentences, words and titles of fixture stories."""
    sentences, words, titles = [], [], []
    for story in stories:
        titles.append(story.title)
        for paragraph in story.paragraphs:
            text = paragraph.removeprefix("> ")
            sentences += [s for s in _SENTENCE_END.split(text) if len(s) > 20]
            words += [w.strip(".,;:!?«»\"()") for w in text.split() if len(w) > 3]
    return Corpus(tuple(sentences), tuple(w for w in words if w), tuple(titles))


def sentence(rng: random.Random, lang: Corpus) -> str:
    """A fixture sentence, or a new one of 8-18 fixture words."""
    if rng.random() < 0.4:
        return rng.choice(lang.sentences)
    text = " ".join(rng.choice(lang.words) for _ in range(rng.randint(8, 18)))
    return text[0].upper() + text[1:] + "."


def paragraphs(rng: random.Random, lang: Corpus) -> tuple[str, ...]:
    """5-12 paragraphs of 1-4 sentences."""
    return tuple(" ".join(sentence(rng, lang) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(5, 12)))


def title(rng: random.Random, lang: Corpus, number: int) -> str:
    """A headline: fixture words, numbered so titles stay distinct."""
    words = " ".join(rng.choice(lang.words) for _ in range(rng.randint(4, 8)))
    return f"{words[0].upper()}{words[1:]} {number}"


def slug(number: int, rng: random.Random) -> str:
    """A Latin URL slug."""
    return "-".join(rng.choice(("zhana", "habar", "okiga", "news", "sayasat", "ekonomika", "sport", "alem",
                                "qogam", "madeniet", "astana", "almaty", "oblys")) for _ in range(4)) + f"-{number}"


# -- page chrome ---------------------------------------------------------------------------------------------


def chrome(rng: random.Random, lang: Corpus, links: list[tuple[str, str]], size: int, current: int) -> str:
    """The non-article parts of a real page, inserted before </body>, bringing the page to about `size` bytes."""
    menu = "".join(f'<li><a href="/category/{i}/">{rng.choice(lang.words)}</a></li>' for i in range(60))
    read_also = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    legal = "".join(f'<a href="/page/{i}/">{rng.choice(lang.words)}</a> ' for i in range(25))
    parts = [f'<div class="mega-menu"><ul>{menu}</ul></div>',
             f'<section class="read-also"><h3>Read also</h3><ul>{read_also}</ul></section>',
             f'<div class="site-footer"><nav>{legal}</nav><p>18+ © 2026</p></div>',
             '<script src="/static/js/vendor.js?v=20260201" defer></script>']
    filler = size - current - sum(len(p.encode()) for p in parts)
    teasers = []
    while filler > 0:
        teaser = {"id": rng.randrange(10 ** 7, 10 ** 8), "title": title(rng, lang, rng.randrange(1000)),
                  "lead": sentence(rng, lang), "views": rng.randrange(50, 90_000), "img": f"/i/{rng.randrange(10**9)}.webp"}
        text = json.dumps(teaser, ensure_ascii=False)
        teasers.append(text)
        filler -= len(text.encode()) + 1
    parts.append("<script>window.__STATE__={\"teasers\":[" + ",".join(teasers) + "]};</script>")
    return "\n".join(parts) + "\n"


def padded(page: str, extra: str) -> bytes:
    """The page with `extra` before its closing body tag."""
    head, sep, tail = page.rpartition("</body>")
    return (head + extra + sep + tail).encode() if sep else (page + extra).encode()


# -- one generated article -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One generated article before rendering: where and when, and its clean text."""

    source: str
    number: int
    day: str
    time: str
    title: str
    paragraphs: tuple[str, ...]
    author: str | None
    kind: str = ""  # "" | "exact" | "near" (a republication)


def plan(start: date, days: int, seed: int, corpora: dict[str, Corpus],
         per_day: tuple[int, int] = ARTICLES_PER_DAY) -> list[Item]:
    """Every article of the generated days (`per_day` a source a day), republications included."""
    rng = random.Random(seed)
    items: list[Item] = []
    counter = 0
    for offset in range(days):
        day = (start + timedelta(days=offset)).isoformat()
        for source in SOURCES:
            lang = corpora[language_of(source)]
            for _ in range(rng.randint(*per_day)):
                counter += 1
                minute = rng.randrange(0, 24 * 60)
                items.append(Item(source, counter, day, f"{minute // 60:02d}:{minute % 60:02d}",
                                  title(rng, lang, counter), paragraphs(rng, lang),
                                  rng.choice((None, "Айгүл Серікова", "Дәулет Нұрланов", "Мадина Әлиева"))))
    originals = [i for i in items if i.source in KAZAKH]
    copies = []
    for original in rng.sample(originals, round(REPUBLISHED_SHARE * len(originals))):
        target = rng.choice([s for s in KAZAKH if s != original.source])
        later = min(24 * 60 - 1, int(original.time[:2]) * 60 + int(original.time[3:]) + rng.randrange(30, 600))
        kind = "exact" if rng.random() < 0.5 else "near"
        text = clean_text(original)
        if kind == "near":
            text = (sentence(rng, corpora["kk"]), *text, "Бұған дейін осы тақырыпта жазған едік.")
        counter += 1
        copies.append(Item(target, counter, original.day, f"{later // 60:02d}:{later % 60:02d}",
                           title(rng, corpora["kk"], counter), text, None, kind))
    return sorted(items + copies, key=lambda i: (i.day, i.time, i.number))


def language_of(source: str) -> str:
    """The corpus a source's articles are written from."""
    return {"kazinform_qz": "qz", "kazinform_ru": "ru", "kazinform_en": "en"}.get(source, "kk")


def clean_text(item: Item) -> tuple[str, ...]:
    """The paragraphs as the parser outputs them (Kazinform prints its dateline before the first)."""
    if item.source == "kazinform" and not item.kind:
        return (f"АСТАНА. KAZINFORM – {item.paragraphs[0]}", *item.paragraphs[1:])
    return item.paragraphs


# -- rendering per source ------------------------------------------------------------------------------------


class Site:
    """Renders the generated items of every source with the fixture templates."""

    def __init__(self, templates: Templates, corpora: dict[str, Corpus], seed: int) -> None:
        self.t = templates
        self.corpora = corpora
        self.rng = random.Random(seed + 1)
        ed_model = templates.ed_model
        self.editions = {f"kazinform_{ed}": m.EDITION for ed, m in templates.editions.items()}
        self.kaz_story = templates.kaz_articles.Story
        self.ed_story: Callable[..., Any] = ed_model.Story

    def files(self, items: list[Item]) -> Iterator[tuple[str, bytes]]:
        """(path under the replay root, content) of every file."""
        by_source: dict[str, list[Item]] = {}
        for item in items:
            by_source.setdefault(item.source, []).append(item)
        for source, members in by_source.items():
            yield from getattr(self, f"_{source.split('_')[0]}")(source, members)

    def _page(self, source: str, html: str, links: list[tuple[str, str]]) -> bytes:
        size = self.rng.randint(*PAGE_BYTES)
        return padded(html, chrome(self.rng, self.corpora[language_of(source)], links, size, len(html.encode())))

    @staticmethod
    def _newest(stories: list[Any]) -> list[Any]:
        return sorted(stories, key=lambda s: (s.day, s.time), reverse=True)[:FEED_SIZE]

    def _kazinform(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        if source != "kazinform":
            yield from self._edition(source, members)
            return
        pages_mod, listings = self.t.kaz_pages, self.t.kaz_listings
        stories = [self.kaz_story(hex_id=f"{0xa00000 + i.number:06x}", slug=slug(i.number, self.rng), day=i.day,
                                  time=i.time, place=None if i.kind else "АСТАНА", author=i.author, tags=("Қоғам",),
                                  title=i.title, paragraphs=i.paragraphs) for i in members]
        pages = [pages_mod.Page(story, index, index % 3 == 0) for index, story in enumerate(stories)]
        for index, page in enumerate(pages):
            related = [pages[(index + 5) % len(pages)], pages[(index + 11) % len(pages)]]
            html = pages_mod.render_article(page, related)
            links = [(p.url, p.story.title) for p in pages[index + 1:index + 11]]
            yield f"kaz.inform.kz{page.url.removeprefix(pages_mod.SITE)}index.html", self._page(source, html, links)
        entries = [listings.Entry(p.url.removeprefix(pages_mod.SITE), p.url.removeprefix(pages_mod.SITE),
                                  p.story.title, p.story.day, p.story.time, "article") for p in pages]
        for day in sorted({e.day for e in entries}):
            for name, text in listings.lenta_files([e for e in entries if e.day == day], (day, day)).items():
                yield f"kaz.inform.kz/lenta/{name}", text.encode()
        yield "kaz.inform.kz/rss/kz.xml", listings.rss(entries, FEED_SIZE).encode()
        yield "kaz.inform.kz/robots.txt", listings.robots().encode()

    def _edition(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        edition, render = self.editions[source], self.t.ed_render
        base = {"kazinform_qz": 0xb00000, "kazinform_ru": 0xc00000, "kazinform_en": 0xd00000}[source]
        stories = [self.ed_story(hex_id=f"{base + i.number:06x}", slug=slug(i.number, self.rng), day=i.day,
                                 time=i.time, place=None, author=i.author, tags=("News",), title=i.title,
                                 paragraphs=i.paragraphs, jsonld=index % 3 == 0)
                   for index, i in enumerate(members)]
        for index, story in enumerate(stories):
            html = render.render_article(edition, story, index, stories[(index + 3) % len(stories)])
            links = [(render.article_url(edition, s), s.title) for s in stories[index + 1:index + 11]]
            path = render.article_path(edition, story).rstrip("/")
            yield f"{edition.host}{path}/index.html", self._page(source, html, links)
        for day in sorted({s.day for s in stories}):
            for name, text in render.lenta_files(edition, [s for s in stories if s.day == day], day).items():
                yield f"{edition.host}/{name}", text.encode()
        yield f"{edition.host}{edition.feed_path}", render.rss(edition, self._newest(stories)).encode()
        if edition.host != "www.inform.kz":
            yield f"{edition.host}/robots.txt", render.robots(edition).encode()

    def _tengrinews(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        gen = self.t.tengrinews
        sections = list(gen.SECTIONS)
        stories = [gen.Story(num_id=str(900000 + i.number), section=sections[i.number % len(sections)],
                             slug=slug(i.number, self.rng), day=i.day, time=i.time, author=i.author,
                             tags=("Қоғам",), title=i.title, paragraphs=i.paragraphs) for i in members]
        for index, story in enumerate(stories):
            others = [stories[(index + k) % len(stories)] for k in (1, 2, 3)]
            html = gen.render_article(story, [(p, False) for p in story.paragraphs], others)
            links = [(gen.url_of(s), s.title) for s in stories[index + 1:index + 11]]
            yield f"{gen.HOST}{gen.url_of(story).removeprefix(gen.SITE)}index.html", self._page(source, html, links)
        yield f"{gen.HOST}/news.rss", gen.rss(self._newest(stories)).encode()
        for name, text in gen.sitemap_files(stories).items():
            yield f"{gen.HOST}/{name}", text.encode()

    def _egemen(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        gen = self.t.egemen
        stories = [gen.Story(num_id=str(400000 + i.number), slug=slug(i.number, self.rng), day=i.day,
                             time=i.time, author=i.author, tags=("Қоғам",), title=i.title, paragraphs=i.paragraphs)
                   for i in members]
        for index, story in enumerate(stories):
            html = gen.render_article(story, [stories[(index + 2) % len(stories)], stories[(index + 5) % len(stories)]])
            links = [(gen.url_of(s), s.title) for s in stories[index + 1:index + 11]]
            yield f"{gen.HOST}{gen.url_of(story).removeprefix(gen.SITE)}/index.html", self._page(source, html, links)
        yield f"{gen.HOST}/rss", gen.rss(self._newest(stories)).encode()
        yield f"{gen.HOST}/sitemap.xml", gen.sitemap(stories).encode()

    def _nur(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        gen = self.t.nur
        gen.RSS_LIMIT = FEED_SIZE
        gen.LISTING_SIZE = max(20, math.ceil(len(members) / 45))
        sections = ("society", "economy", "incidents", "sport", "culture")
        stories = [gen.articles.Story(nid=str(2_300_000 + i.number), section=sections[i.number % len(sections)],
                                      slug=slug(i.number, self.rng), day=i.day, time=i.time, author=i.author,
                                      tags=("Қоғам",), title=i.title, paragraphs=i.paragraphs) for i in members]
        for index, story in enumerate(stories):
            links = [(gen.url_of(s), s.title) for s in stories[index + 1:index + 11]]
            path = f"{story.section}/{story.nid}-{story.slug}/index.html"
            yield f"{gen.HOST}/{path}", self._page(source, gen.render(story), links)
        site = {"robots.txt": f"User-agent: *\nAllow: /\nSitemap: {gen.SITE}/article-index-sitemap.xml\n",
                "rss/all.rss": gen.rss(stories), **gen.latest_pages(stories), **gen.sitemaps(stories)}
        for name, text in site.items():
            yield f"{gen.HOST}/{name}", text.encode()

    def _azattyq(self, source: str, members: list[Item]) -> Iterator[tuple[str, bytes]]:
        gen = self.t.azattyq
        gen.ARCHIVE_SIZE = max(20, math.ceil(len(members) / 2 / 45))
        sections = list(gen.articles.SECTIONS)
        stories = [gen.articles.Story(aid=str(34_000_000 + i.number), slug=slug(i.number, self.rng),
                                      section=sections[i.number % len(sections)], day=i.day, time=i.time,
                                      authors=(i.author or "Азаттық",), title=i.title, paragraphs=i.paragraphs)
                   for i in members]
        for index, story in enumerate(stories):
            links = [(gen.url_of(s), s.title) for s in stories[index + 1:index + 11]]
            yield f"{gen.HOST}{gen.path_of(story)}", self._page(source, gen.render(story), links)
        for name, text in gen.archives(stories).items():
            yield f"{gen.HOST}/{name}", text.encode()


def corpora(templates: Templates) -> dict[str, Corpus]:
    """The text sources of each language: the fixture stories."""
    kk = [*templates.kaz_articles.STORIES, *templates.tengrinews.articles.STORIES,
          *templates.egemen.articles.STORIES, *templates.nur.articles.STORIES, *templates.azattyq.articles.STORIES]
    return {"kk": corpus(kk), **{ed: corpus(list(m.STORIES)) for ed, m in templates.editions.items()}}


@dataclass(frozen=True)
class Generated:
    """What `generate` wrote."""

    root: Path
    days: list[date]
    articles: int
    per_source: dict[str, int]
    republished: dict[str, int]
    page_bytes: int
    files: int


def generate(out: Path, start: date, days: int, seed: int = 13,
             per_day: tuple[int, int] = ARTICLES_PER_DAY) -> Generated:
    """Write the replay site of `days` days from `start` under `out` (one folder per host)."""
    templates = load_templates()
    texts = corpora(templates)
    items = plan(start, days, seed, texts, per_day)
    site = Site(templates, texts, seed)
    page_bytes = files = 0
    for relative, data in site.files(items):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files += 1
        page_bytes += len(data)
    per_source: dict[str, int] = {}
    republished: dict[str, int] = {"exact": 0, "near": 0}
    for item in items:
        per_source[item.source] = per_source.get(item.source, 0) + 1
        if item.kind:
            republished[item.kind] += 1
    return Generated(out, [start + timedelta(days=i) for i in range(days)], len(items), per_source, republished,
                     page_bytes, files)


def main(argv: list[str] | None = None) -> int:
    """Write a generated replay site and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 2, 2))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    made = generate(args.out, args.start, args.days, args.seed)
    print(f"{made.articles} articles ({made.republished} republished) in {made.files} files, "
          f"{made.page_bytes / 2**20:.0f} MiB, {made.days[0]}..{made.days[-1]} under {made.root}")
    print("per source: " + ", ".join(f"{k} {v}" for k, v in sorted(made.per_source.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
