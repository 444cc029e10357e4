"""The evaluation queries: a Kazakh query in an inflected form, and the word forms that make an article relevant.

Written by hand from the golden corpus (tests/golden/*/*.truth.json, 135 Kazakh articles of the replay fixtures,
Cyrillic and Latin): for a word with several forms in the corpus, a query in a form chosen to be rare or absent
there (mostly a plural, possessive or case the corpus does not use), and for relevance the regular expression
of that word's forms, written by hand as a dictionary form plus any ending (with the қ/ғ, к/г, п/б voicing),
and checked against the corpus for false friends. An article is relevant when its title or body has a word
matching every pattern of the query. The stemmer under test never decides relevance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    """One query and the patterns (one per query word) an article's words must match to be relevant."""

    text: str
    patterns: tuple[str, ...]


def q(text: str, *patterns: str) -> Query:
    """A query with its relevance patterns (regular expressions matched against whole lower-cased words)."""
    return Query(text, patterns)


QUERIES: tuple[Query, ...] = (
    # Cyrillic nouns: plural, possessive and case forms
    q("мемлекеттердің", r"мемлекет\w*"),
    q("қызметтеріміз", r"қызмет\w*"),
    q("өзгерістерге", r"өзгеріс\w*"),
    q("көрсеткіштерінің", r"көрсеткіш\w*"),
    q("бағыттарымыздың", r"бағыт\w*"),
    q("орталықтарының", r"орталы[қғ]\w*"),
    q("облыстардың", r"облыс\w*"),
    q("мерекелерде", r"мереке\w*"),
    q("көліктерімен", r"көлі[кг]\w*"),
    q("жүргізушіге", r"жүргізуші\w*"),
    q("трассаларымен", r"трасса\w*"),
    q("астанадағы", r"астана\w*"),
    q("қаңтардың", r"қаңтар\w*"),
    q("маусымдарда", r"маусым\w*"),
    q("турнирлерінде", r"турнир\w*"),
    q("мектептерге", r"мекте[пб]\w*"),
    q("дәрігерлерімен", r"дәрігер\w*"),
    q("мамандарымыз", r"маман\w*"),
    q("тұрғындарының", r"тұрғын\w*"),
    q("азаматтарына", r"азамат\w*"),
    q("кәсіпкерлерге", r"кәсіпкер\w*"),
    q("жәрмеңкелердің", r"жәрмеңке\w*"),
    q("шаңғышылардың", r"шаңғы\w*"),
    q("жарыстардың", r"жарыс\w*"),
    q("қонақүйлерде", r"қонақүй\w*"),
    q("министрліктерінің", r"министрлі[кг]\w*"),
    q("әкімдіктері", r"әкімді[кг]\w*"),
    q("бағдарламаларға", r"бағдарлама\w*"),
    q("кезеңдерінде", r"кезең\w*"),
    q("нысандарда", r"нысан\w*"),
    q("жағдайларға", r"жағдай\w*"),
    q("өңірлерге", r"өңір\w*"),
    q("чемпионаттарда", r"чемпионат\w*"),
    q("жабдықтармен", r"жабды[қғ]\w*"),
    q("экспорттан", r"экспорт\w*"),
    q("қойылымдардың", r"қойылым\w*"),
    # Cyrillic verbs: other tenses and participles
    q("тіркелгенін", r"тірке\w*"),
    q("күшейтілетін", r"күшей\w*"),
    # Latin (qz. edition)
    q("almatydaǵy", r"almaty\w*"),
    q("aqtóbege", r"aqtóbe\w*"),
    q("kórmelerde", r"kórme\w*"),
    q("trassalarǵa", r"trassa\w*"),
    q("oblystardyń", r"oblys\w*"),
    q("jármeńkelerge", r"jármeńke\w*"),
    q("qazaqstanda", r"qazaqstan\w*"),
    q("ortalyqtarda", r"ortaly[qǵ]\w*"),
    # Two words, both in other forms
    q("облыстардың әкімдіктері", r"облыс\w*", r"әкімді[кг]\w*"),
    q("мемлекеттік қызметтердің", r"мемлекет\w*", r"қызмет\w*"),
)
