"""Build the dedup evaluation documents from the Kazinform fixture texts (tests/golden/kazinform/*.truth.json).

Every fixture story gives its original and five near-duplicates a republishing outlet makes: a changed
lead with a footer, a rewritten first sentence, light word edits, Latin look-alike letters with invisible
characters, and a shortened copy. Documents in one `group` are near-duplicates of each other; documents
in different groups must not match: the other fixture stories (same-tag pairs are same-topic negatives),
hand-written translations (ru, en) and hand-written different stories on the same topic. Deterministic.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from dedup_eval.handwritten import SAME_TOPIC, TRANSLATIONS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kazinform"
OUTLETS = ("Qazaq Times", "Дала жаңалықтары", "Ел ақпарат", "Өңір ақпарат")
DATELINE = re.compile(r"^[^.]+\. KAZINFORM – ")
SENTENCE_END = re.compile(r"(?<=[.!?»])\s+(?=[«А-ЯЁӘҒҚҢӨҰҮҺІA-Z0-9])")
SYNONYMS = {
    "өтті": "өткізілді", "қатысты": "атсалысты", "айтты": "мәлімдеді", "жұмыс": "қызмет",
    "бойынша": "жөнінде", "жаңа": "тың", "қала": "шаһар", "қаласында": "шаһарында", "үшін": "үшiн",
    "астам": "артық", "маңызды": "мәнді", "болады": "болмақ", "ұсынылады": "кеңес беріледі",
}
LATIN_LOOKALIKES = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "і": "i", "у": "y"}
KINDS = ("lead_footer", "rewritten_lead", "light_edit", "lookalike", "shortened")


@dataclass(frozen=True)
class Doc:
    """One evaluation document: near-duplicates share `group`."""

    doc_id: str
    group: str
    kind: str
    paragraphs: tuple[str, ...]


def originals() -> dict[str, dict[str, object]]:
    """Every fixture story's truth record, by article id."""
    return {
        path.name.split(".")[0]: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(GOLDEN.glob("*.truth.json"))
    }


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph (split after . ! ? » before a capital or digit)."""
    return SENTENCE_END.split(paragraph)


def lead_footer(story: dict[str, object], rng: random.Random) -> tuple[str, ...]:
    """The outlet's own dateline instead of Kazinform's, a closing sentence and a source credit line."""
    paragraphs = list(story["paragraphs"])  # type: ignore[call-overload]
    place = str(story.get("dateline_place") or "Астана").title()
    outlet = rng.choice(OUTLETS)
    paragraphs[0] = DATELINE.sub(f"{place}, {outlet} тілшісі – ", paragraphs[0])
    tags = story.get("tags") or ["қоғам"]
    paragraphs.append(f"Бұған дейін «{str(tags[0]).lower()}» айдарындағы өзге жаңалықтарды жариялаған едік.")  # type: ignore[index]
    paragraphs.append("Дереккөз: Kazinform")
    paragraphs.append("Жаңалықтарды Telegram арнамыздан оқыңыз")
    return tuple(paragraphs)


def rewritten_lead(story: dict[str, object], rng: random.Random) -> tuple[str, ...]:
    """The first sentence replaced by the outlet's own lead built from the title."""
    paragraphs = list(story["paragraphs"])  # type: ignore[call-overload]
    first = sentences(DATELINE.sub("", paragraphs[0]))
    title = str(story["title"])
    outlet = rng.choice(OUTLETS)
    lead = f"{outlet} хабарлауынша, {title[0].lower()}{title[1:]}."
    paragraphs[0] = " ".join([lead, *first[1:]])
    return tuple(paragraphs)


def _edit_word(word: str, rng: random.Random) -> str:
    bare = word.strip(".,:;«»!?")
    if bare in SYNONYMS:
        return word.replace(bare, SYNONYMS[bare])
    if bare.isdigit():
        return word.replace(bare, str(int(bare) + rng.randint(1, 9)))
    choice = rng.random()
    if choice < 0.4 and len(bare) > 5:
        return word.replace(bare, bare[:-1])  # a dropped letter (typo)
    if choice < 0.7:
        return ""  # a dropped word
    return word + " да"


def light_edit(story: dict[str, object], rng: random.Random) -> tuple[str, ...]:
    """About one word in twelve replaced by a synonym, changed number, typo, drop or added particle."""
    edited = []
    for paragraph in story["paragraphs"]:  # type: ignore[attr-defined]
        words = paragraph.split(" ")
        out = [_edit_word(w, rng) if i and rng.random() < 1 / 12 else w for i, w in enumerate(words)]
        edited.append(" ".join(w for w in out if w).replace("«", '"').replace("»", '"'))
    return tuple(edited)


def lookalike(story: dict[str, object], rng: random.Random) -> tuple[str, ...]:
    """Latin look-alike letters in a third of the words, zero-width spaces, NBSPs and decomposed letters."""
    result = []
    for paragraph in story["paragraphs"]:  # type: ignore[attr-defined]
        words = []
        for word in paragraph.split(" "):
            if rng.random() < 1 / 3:
                word = "".join(LATIN_LOOKALIKES.get(c, c) if rng.random() < 0.5 else c for c in word)
            if rng.random() < 0.1:
                word = word[:1] + "\u200b" + word[1:]
            words.append(word)
        text = "\u00a0".join(words[:3]) + " " + " ".join(words[3:])
        result.append(text.replace("й", "и\u0306"))
    return tuple(result)


def shortened(story: dict[str, object], rng: random.Random) -> tuple[str, ...]:
    """The last paragraph dropped when there are four or more, else the last sentence of the last paragraph."""
    paragraphs = list(story["paragraphs"])  # type: ignore[call-overload]
    if len(paragraphs) >= 4:
        return tuple(paragraphs[:-1])
    last = sentences(paragraphs[-1])
    if len(last) > 1:
        return tuple([*paragraphs[:-1], " ".join(last[:-1])])
    return tuple([*paragraphs[:-1], paragraphs[-1], "Толығырақ ақпарат кейінірек беріледі."])


VARIANTS = {"lead_footer": lead_footer, "rewritten_lead": rewritten_lead, "light_edit": light_edit,
            "lookalike": lookalike, "shortened": shortened}


def build() -> list[Doc]:
    """Every evaluation document, in a stable order."""
    docs: list[Doc] = []
    first_with_text: dict[tuple[str, ...], str] = {}
    for article_id, story in originals().items():
        paragraphs = tuple(story["paragraphs"])  # type: ignore[call-overload]
        # The fixtures' own republication (a70e5c of c3c6b6) has the same text: it joins that group.
        group = first_with_text.setdefault(paragraphs, article_id)
        docs.append(Doc(article_id, group, "original", paragraphs))
        for kind, make in VARIANTS.items():
            rng = random.Random(f"{article_id}:{kind}")
            docs.append(Doc(f"{article_id}:{kind}", group, kind, make(story, rng)))
        for language, paragraphs in TRANSLATIONS.get(article_id, ()):
            docs.append(Doc(f"{article_id}:{language}", f"{article_id}:{language}", f"translation_{language}",
                            paragraphs))
        if article_id in SAME_TOPIC:
            docs.append(Doc(f"{article_id}:topic", f"{article_id}:topic", "same_topic", SAME_TOPIC[article_id]))
    return docs


def same_tag_pairs() -> set[frozenset[str]]:
    """Pairs of different fixture stories that share a tag (same-topic negatives)."""
    stories = originals()
    pairs: set[frozenset[str]] = set()
    ids = sorted(stories)
    for i, left in enumerate(ids):
        for right in ids[i + 1:]:
            if stories[left]["paragraphs"] == stories[right]["paragraphs"]:
                continue  # the fixtures' own republication is the same story
            if set(stories[left]["tags"]) & set(stories[right]["tags"]):  # type: ignore[call-overload]
                pairs.add(frozenset((left, right)))
    return pairs
