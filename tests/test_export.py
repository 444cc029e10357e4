"""`newsarchive export`: corpus files round-trip byte for byte, JSONL carries every column, Parquet is partitioned
by source and date, filters and duplicates, a server-side cursor, and no overwriting without --force."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pyarrow.dataset as ds
import pytest
from archive_rows import GOLDEN, golden_truths, load_truths

from etl.cli.main import main
from etl.core.config import Settings
from etl.core.errors import UserError
from etl.read import export as export_module
from etl.read.export import ExportFilter, export, iter_rows
from etl.transform.corpus import parse_corpus

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Asia/Almaty")
DUPLICATE = "a70e5c"  # an exact copy of c3c6b6, published later


def local_day(truth: dict[str, str]) -> date:
    return datetime.fromisoformat(truth["published_at"]).astimezone(TZ).date()


@pytest.fixture
def url(settings: Settings) -> str:
    url = settings.require_database_url()
    load_truths(url, golden_truths())
    return url


def test_corpus_files_round_trip_byte_exact(url: str, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = export(url, "corpus", out, ExportFilter(), TZ)
    truths = {t["article_id"]: t for t in golden_truths() if t["article_id"] != DUPLICATE}
    files = sorted(out.rglob("*.txt"))
    assert (result.written, result.skipped, len(files)) == (len(truths), 0, len(truths))
    for path in files:
        source, day, name = path.relative_to(out).parts
        truth = truths[name.removesuffix(".txt")]
        doc = parse_corpus(path.read_bytes().decode("utf-8"))
        assert (source, day) == ("kazinform", local_day(truth).isoformat())
        assert (doc.title, doc.date, list(doc.paragraphs)) == (truth["title"], local_day(truth), truth["paragraphs"])
        assert path.read_bytes() == (GOLDEN / f"{truth['article_id']}.corpus.txt").read_bytes()


def test_filters_and_duplicates(url: str, tmp_path: Path) -> None:
    flt = ExportFilter(source="kazinform", since=date(2026, 1, 1), until=date(2026, 1, 1), language="kk")
    export(url, "corpus", tmp_path / "day", flt, TZ)
    expected = {t["article_id"] for t in golden_truths() if local_day(t) == date(2026, 1, 1)} - {DUPLICATE}
    assert {p.stem for p in (tmp_path / "day").rglob("*.txt")} == expected
    with_dups = ExportFilter(since=date(2026, 1, 1), until=date(2026, 1, 1), include_duplicates=True)
    export(url, "corpus", tmp_path / "dups", with_dups, TZ)
    assert {p.stem for p in (tmp_path / "dups").rglob("*.txt")} == expected | {DUPLICATE}
    assert export(url, "corpus", tmp_path / "none", ExportFilter(language="ru"), TZ).rows == 0
    assert export(url, "corpus", tmp_path / "other", ExportFilter(source="tengrinews"), TZ).rows == 0


def test_jsonl_has_every_column(url: str, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    export(url, "jsonl", out, ExportFilter(include_duplicates=True), TZ)
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(docs) == len(golden_truths())
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'articles'")
        columns = {c for (c,) in cur.fetchall()} - {"search_vector"}
    assert set(docs[0]) == columns | {"published_date"}
    by_id = {d["article_id"]: d for d in docs}
    truth = golden_truths()[0]
    assert by_id[truth["article_id"]]["body"] == "\n".join(truth["paragraphs"])
    assert by_id[DUPLICATE]["duplicate_kind"] == "exact"
    assert not list(tmp_path.glob("*.partial"))


def test_parquet_partitioned_by_source_and_date(url: str, tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    export(url, "parquet", out, ExportFilter(), TZ)
    days = {local_day(t).isoformat() for t in golden_truths()}
    assert {p.relative_to(out).parent.as_posix() for p in out.rglob("*.parquet")} == {
        f"source=kazinform/date={d}" for d in days}
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    rows = {r["article_id"]: r for r in table.to_pylist()}
    assert len(rows) == len(golden_truths()) - 1
    truth = golden_truths()[0]
    row = rows[truth["article_id"]]
    assert (row["source"], row["date"], row["title"]) == ("kazinform", local_day(truth).isoformat(), truth["title"])
    assert row["published_at"] == datetime.fromisoformat(truth["published_at"])
    assert row["tags"] == truth["tags"] and json.loads(row["extraction"]) == {"body": "selectors"}


def test_rows_stream_through_a_named_cursor(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "FETCH_ROWS", 5)
    rows = iter_rows(url, "corpus", ExportFilter())
    next(rows)
    seen: list[tuple[str, str]] = []

    def look() -> None:  # from another connection, while the export's transaction is open
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT query, usename FROM pg_stat_activity WHERE query LIKE 'FETCH FORWARD%%'")
            seen.extend(cur.fetchall())
            cur.execute("SELECT name FROM pg_cursors")  # this session only: none here
            assert cur.fetchall() == []

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    # ... as the read-only role, so an export can never write.
    assert seen == [('FETCH FORWARD 5 FROM "newsarchive_export"', "newsarchive_reader")]
    assert len(list(rows)) == len(golden_truths()) - 2


def test_refuses_to_overwrite_without_force(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("keep\n")
    with pytest.raises(UserError, match="--force"):
        export(url, "jsonl", jsonl, ExportFilter(), TZ)
    assert jsonl.read_text() == "keep\n"
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "other.txt").write_text("x")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--format", "corpus", "-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty; pass --force" in err
    assert main(["export", "--format", "corpus", "-o", str(folder), "--force", "--until", "2025-12-31"]) == 0
    captured = capsys.readouterr()
    assert "exported" in captured.err and captured.out.startswith("exported 25 articles")
    assert len(list(folder.rglob("*.txt"))) == 26


def test_output_paths_are_checked_before_anything_is_written(url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A file name for a folder format and a missing parent folder are refused with one line; nothing is made."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    refused = {("corpus", "x.txt"): "corpus export writes a folder (one file per article); x.txt names a .txt file: "
                                    "give a folder, e.g. x",
               ("parquet", "x.parquet"): "parquet export writes a folder",
               ("jsonl", "no/dir/x.jsonl"): f"no such folder: {tmp_path / 'no' / 'dir'} (create it first)",
               ("corpus", "no/dir/x"): f"no such folder: {tmp_path / 'no' / 'dir'}"}
    for (fmt, out), message in refused.items():
        assert main(["export", "--format", fmt, "-o", out]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert main(["export", "--format", "jsonl", "-o", "x.jsonl"]) == 0  # a file for a file format
    assert main(["export", "--format", "corpus", "-o", "corpus"]) == 0  # a new folder in an existing one
    assert (tmp_path / "x.jsonl").is_file() and (tmp_path / "corpus").is_dir()


def test_cli_formats_are_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format` offers exactly the registered formats, and the help describes each of them."""
    from etl.cli.main import build_parser
    from etl.read.export import FORMATS

    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "{" + ",".join(FORMATS) + "}" in help_text
    for fmt in FORMATS.values():
        assert f"{fmt.name}: {' '.join(fmt.description.split())}" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "--format", "xml", "-o", "x"])
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    with pytest.raises(UserError, match="expected one of corpus, jsonl, parquet"):
        export("postgresql://unused", "xml", Path("x"), ExportFilter(), TZ)


def test_a_file_that_cannot_be_written_stops_the_corpus_export_with_one_line(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are written by a background thread: its first error reaches the caller as one line naming the full
    path, even with the queue full behind it, and nothing hangs."""
    monkeypatch.setattr(export_module, "_WRITE_BATCH", 1)
    monkeypatch.setattr(export_module, "_QUEUED_BATCHES", 1)
    truth = sorted(golden_truths(), key=lambda t: (t["published_at"], t["article_id"]))[0]
    out = tmp_path / "corpus"
    blocked = out / "kazinform" / local_day(truth).isoformat() / f"{truth['article_id']}.txt"
    blocked.mkdir(parents=True)  # a folder where the first article's file goes
    with pytest.raises(UserError) as caught:
        export(url, "corpus", out, ExportFilter(), TZ, force=True)
    assert str(caught.value) == f"cannot write {blocked}: Is a directory"
