"""Stream articles out of PostgreSQL as a text corpus, JSON Lines or Parquet, in constant memory.

Reads DATABASE_URL (passed in) and the archive time zone (NEWSARCHIVE_TIMEZONE, passed in) that dates corpus
documents. Rows come, as the read-only role `newsarchive_reader`, through a server-side (named) cursor inside
one read-only, repeatable-read transaction, so memory stays flat however many articles match and the export
is one consistent snapshot.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from etl.core.errors import UserError
from etl.core.model import Article
from etl.read.query import connect_reader
from etl.transform.corpus import to_corpus

log = logging.getLogger(__name__)

FETCH_ROWS = 2000
Progress = Callable[[int], None]

# Columns exported to Parquet (JSONL carries every column of the row, whatever migrations add).
COLUMNS: tuple[str, ...] = (
    "id", "source", "article_id", "url", "canonical_url", "language", "detected_language", "script", "title",
    "published_at", "published_raw", "modified_at", "body", "normalized_body", "dateline_place", "author", "tags",
    "image_url", "content_hash", "duplicate_of", "duplicate_kind", "similarity", "cluster_id", "language_shares",
    "boilerplate_removed", "extraction", "warc_key", "warc_offset", "warc_record_id", "extractor_version",
    "crawl_run_id", "first_seen_at", "last_seen_at", "updated_at",
)
# What a corpus document is made of (etl.transform.corpus.to_corpus) and where its file goes.
CORPUS_COLUMNS: tuple[str, ...] = ("source", "article_id", "url", "canonical_url", "language", "title", "body",
                                   "published_at")


@dataclass(frozen=True)
class ExportFilter:
    """Which articles to export."""

    source: str | None = None
    since: date | None = None
    until: date | None = None
    language: str | None = None
    include_duplicates: bool = False

    def where(self) -> tuple[str, dict[str, Any]]:
        """The WHERE clause (over alias `a`) and its parameters."""
        clauses = ["TRUE"]
        if self.source:
            clauses.append("a.source = %(source)s")
        if self.since:
            clauses.append("archive_local_date(a.published_at) >= %(since)s")
        if self.until:
            clauses.append("archive_local_date(a.published_at) <= %(until)s")
        if self.language:
            clauses.append("coalesce(a.detected_language, a.language) = %(language)s")
        if not self.include_duplicates:
            clauses.append("a.duplicate_of IS NULL")
        params = {"source": self.source, "since": self.since, "until": self.until, "language": self.language}
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    rows: int
    written: int
    skipped: int
    path: Path


Rows = Iterator[tuple[Any, ...]]


@dataclass(frozen=True)
class ExportFormat:
    """One output format of `export`: its name, what it writes (for --help), and its writer."""

    name: str
    description: str
    #: True: one file at the output path; False: a folder tree under it.
    single_file: bool
    #: The suffix of the files it writes (the output file's, or each file's in the folder).
    suffix: str
    #: True: each row is one JSON document with every column; False: `columns`, then the local date.
    whole_rows: bool
    write: Callable[[Rows, Path, ZoneInfo, Progress | None], ExportResult]
    #: The columns a writer of rows (not whole rows) reads, in order.
    columns: tuple[str, ...] = COLUMNS


def _select(fmt: ExportFormat, flt: ExportFilter) -> tuple[str, dict[str, Any]]:
    where, params = flt.where()
    if fmt.whole_rows:
        # jsonb text keeps every column, including ones later migrations add; the generated search vector is
        # derived data and stays out.
        fields = ("(to_jsonb(a) - 'search_vector' || jsonb_build_object('published_date', "
                  "archive_local_date(a.published_at)))::text")
    else:
        fields = ", ".join(f"a.{name}" for name in fmt.columns) + ", archive_local_date(a.published_at) AS published_date"
    order = "a.source, a.published_at NULLS LAST, a.id"
    return f"SELECT {fields} FROM articles a WHERE {where} ORDER BY {order}", params


def iter_rows(database_url: str, fmt: str, flt: ExportFilter) -> Rows:
    """Matching rows, fetched FETCH_ROWS at a time through a named cursor in one read-only snapshot."""
    sql, params = _select(export_format(fmt), flt)
    conn = connect_reader(database_url)  # the read-only role: an export can never write
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor(name="newsarchive_export") as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(sql, params)
            yield from cur
        conn.rollback()
    finally:
        conn.close()


def export_format(name: str) -> ExportFormat:
    """The registered format called `name`, or a UserError listing them."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UserError(f"unknown export format {name!r}; expected one of {', '.join(FORMATS)}") from None


def check_output(path: Path, fmt: ExportFormat, force: bool) -> None:
    """Refuse (UserError) a path whose folder is missing, a file name for a folder format, and writing over an
    existing file or non-empty folder unless `force`."""
    if not path.absolute().parent.is_dir():
        raise UserError(f"no such folder: {path.absolute().parent} (create it first)")
    file_suffixes = {f.suffix for f in FORMATS.values()}
    if not fmt.single_file and path.suffix in file_suffixes and not path.is_dir():
        raise UserError(f"{fmt.name} export writes a folder ({fmt.description.split(',')[0]}); {path} names a "
                        f"{path.suffix} file: give a folder, e.g. {path.with_suffix('')}")
    if fmt.single_file:
        if path.is_dir():
            raise UserError(f"{path} is a folder; {fmt.name} export writes one file")
        if path.exists() and not force:
            raise UserError(f"{path} already exists; pass --force to overwrite it")
        return
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UserError(f"{path} is not empty; pass --force to write into it (files with the same names are replaced)")


def export(database_url: str, fmt: str, out: Path, flt: ExportFilter, tz: ZoneInfo, *, force: bool = False,
           progress: Progress | None = None) -> ExportResult:
    """Export the articles `flt` selects to `out` in the format named `fmt` (one of FORMATS)."""
    spec = export_format(fmt)
    check_output(out, spec, force)
    try:
        result = spec.write(iter_rows(database_url, fmt, flt), out, tz, progress)
    except OSError as exc:  # a place the user cannot write to (/proc/version, a read-only disk, no space)
        raise UserError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    log.debug("exported %d of %d articles to %s (%s), %d skipped", result.written, result.rows, out, fmt,
              result.skipped)
    return result


def _article(row: dict[str, Any]) -> Article:
    return Article(
        source=row["source"], article_id=row["article_id"], url=row["url"], canonical_url=row["canonical_url"],
        title=row["title"], paragraphs=tuple(row["body"].split("\n")), published_at=row["published_at"],
        language=row["language"],
    )


def _file_name(article_id: str) -> str:
    if "/" in article_id or article_id in ("", ".", ".."):
        raise ValueError(f"article id {article_id!r} cannot be a file name")
    return f"{article_id}.txt"


def corpus_path(out: Path, source: str, day: date, article_id: str) -> Path:
    """Where one article goes in a corpus export: <out>/<source>/<YYYY-MM-DD>/<article-id>.txt."""
    return out / source / day.isoformat() / _file_name(article_id)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
_WRITE_BATCH = 256  # files handed to the writer thread at a time
_QUEUED_BATCHES = 16  # at most this many batches wait (memory stays bounded)


class _CorpusFiles:
    """Writes corpus files in a background thread, so creating files (system calls, which release the GIL)
    overlaps fetching and formatting the next rows. Rows come ordered by source and time: a folder is made and
    opened once, and each file is created relative to its open folder (no path object per file)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.batch: list[tuple[str, date, str, bytes]] = []
        self.queue: queue.Queue[list[tuple[str, date, str, bytes]] | None] = queue.Queue(_QUEUED_BATCHES)
        self.error: OSError | None = None
        self.thread = threading.Thread(target=self._run, name="corpus-writer", daemon=True)
        self.thread.start()

    def add(self, source: str, day: date, name: str, data: bytes) -> None:
        """Queue <out>/<source>/<day>/<name> holding `data` (created or replaced, as `Path.write_bytes` does)."""
        if self.error is not None:
            raise self.error
        self.batch.append((source, day, name, data))
        if len(self.batch) >= _WRITE_BATCH:
            self.queue.put(self.batch)
            self.batch = []

    def close(self) -> None:
        """Write what is queued, stop the thread; the first OSError of the writer is raised here."""
        if self.batch:
            self.queue.put(self.batch)
            self.batch = []
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        folder, fd, key = "", -1, None
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # drain, so the producer never blocks on a full queue
                try:
                    for source, day, name, data in batch:
                        if (source, day) != key:
                            if fd >= 0:
                                os.close(fd)
                                fd = -1
                            path = self.out / source / day.isoformat()
                            path.mkdir(parents=True, exist_ok=True)
                            folder, fd, key = str(path), os.open(path, os.O_RDONLY | os.O_DIRECTORY), (source, day)
                        _write_file(fd, folder, name, data)
                except OSError as exc:
                    self.error = exc
        finally:
            if fd >= 0:
                os.close(fd)


def _write_file(folder_fd: int, folder: str, name: str, data: bytes) -> None:
    try:
        fd = os.open(name, _CREATE, 0o666, dir_fd=folder_fd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, os.path.join(folder, name)) from exc


def write_corpus(rows: Rows, out: Path, tz: ZoneInfo,
                 progress: Progress | None = None) -> ExportResult:
    """One corpus-format file per article; articles without a date or with unusable text are skipped (logged)."""
    names = (*CORPUS_COLUMNS, "published_date")
    seen = written = skipped = 0
    files = _CorpusFiles(out)
    try:
        for raw in rows:
            seen += 1
            row = dict(zip(names, raw, strict=True))
            try:
                text = to_corpus(_article(row), tz)
                day = row["published_at"].astimezone(tz).date()
                name = _file_name(row["article_id"])
            except ValueError as exc:
                skipped += 1
                log.warning("skipping %s/%s: %s", row["source"], row["article_id"], exc)
                continue
            files.add(row["source"], day, name, text.encode("utf-8"))
            written += 1
            if progress and seen % FETCH_ROWS == 0:
                progress(seen)
    finally:
        files.close()
    if progress:
        progress(seen)
    return ExportResult(seen, written, skipped, out)


def write_jsonl(rows: Rows, out: Path, progress: Progress | None = None) -> ExportResult:
    """One JSON object per line (every column), written to a temporary name and renamed when complete."""
    partial = out.with_name(out.name + ".partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as handle:
            for (doc,) in rows:
                handle.write(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False))
                handle.write("\n")
                count += 1
                if progress and count % FETCH_ROWS == 0:
                    progress(count)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    if progress:
        progress(count)
    return ExportResult(count, count, 0, out)


def write_parquet(rows: Rows, out: Path, progress: Progress | None = None) -> ExportResult:
    """Partitioned Parquet of the COLUMNS (pyarrow is imported only for this format)."""
    from etl.read.export_parquet import write_parquet as write

    written = write(rows, out, COLUMNS, progress)
    return ExportResult(written, written, 0, out)


#: Every export format; the CLI's `--format` choices and help come from here.
FORMATS: dict[str, ExportFormat] = {fmt.name: fmt for fmt in (
    ExportFormat("corpus", "one file per article, <source>/<YYYY-MM-DD>/<article-id>.txt in the corpus text "
                 "format", single_file=False, suffix=".txt", whole_rows=False, write=write_corpus,
                 columns=CORPUS_COLUMNS),
    ExportFormat("jsonl", "one object per line with every column", single_file=True, suffix=".jsonl",
                 whole_rows=True, write=lambda rows, out, _tz, progress: write_jsonl(rows, out, progress)),
    ExportFormat("parquet", "source=<source>/date=<YYYY-MM-DD>/part-0.parquet", single_file=False,
                 suffix=".parquet", whole_rows=False,
                 write=lambda rows, out, _tz, progress: write_parquet(rows, out, progress)),
)}
