"""Parquet export: Hive-style partitions `source=<source>/date=<YYYY-MM-DD>/part-0.parquet`. Reads no settings.

Rows arrive ordered by source and publication time, so exactly one partition file is open at a time and at most
one row group (PARQUET_ROW_GROUP rows) is held in memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

ROW_GROUP = 5000
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # pyarrow's (and Hive's) name for a NULL partition value
_TS = pa.timestamp("us", tz="UTC")
_TYPES: dict[str, pa.DataType] = {
    "id": pa.int64(), "duplicate_of": pa.int64(), "cluster_id": pa.int64(), "warc_offset": pa.int64(),
    "crawl_run_id": pa.int64(), "similarity": pa.float32(), "tags": pa.list_(pa.string()),
    "published_at": _TS, "modified_at": _TS, "first_seen_at": _TS, "last_seen_at": _TS, "updated_at": _TS,
}
_JSON = frozenset({"language_shares", "boilerplate_removed", "extraction"})
PARTITION_COLUMNS = ("source", "published_date")


def schema(columns: Sequence[str]) -> pa.Schema:
    """The file schema: every exported column except the partition columns (JSON columns as JSON text)."""
    return pa.schema([(name, _TYPES.get(name, pa.string())) for name in columns if name not in PARTITION_COLUMNS])


def _partition(out: Path, source: str, day: date | None) -> Path:
    return out / f"source={source}" / f"date={day.isoformat() if day else NULL_PARTITION}" / "part-0.parquet"


def write_parquet(rows: Iterator[tuple[Any, ...]], out: Path, columns: Sequence[str],
                  progress: Callable[[int], None] | None = None) -> int:
    """Write `rows` (the export columns, then the local publication date) as partitioned Parquet; return the count."""
    names = (*columns, "published_date")
    file_schema = schema(columns)
    fields = file_schema.names
    writer: pq.ParquetWriter | None = None
    current: tuple[str, date | None] | None = None
    batch: dict[str, list[Any]] = {name: [] for name in fields}
    count = 0

    def flush() -> None:
        if writer is not None and batch[fields[0]]:
            writer.write_table(pa.Table.from_pydict(batch, schema=file_schema))
            for values in batch.values():
                values.clear()

    try:
        for raw in rows:
            row = dict(zip(names, raw, strict=True))
            key = (row["source"], row["published_date"])
            if key != current:
                flush()
                if writer is not None:
                    writer.close()
                path = _partition(out, *key)
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, file_schema, compression="zstd")
                current = key
            for name in fields:
                value = row[name]
                batch[name].append(json.dumps(value, ensure_ascii=False) if name in _JSON and value is not None
                                   else value)
            count += 1
            if len(batch[fields[0]]) >= ROW_GROUP:
                flush()
            if progress and count % 2000 == 0:
                progress(count)
        flush()
    finally:
        if writer is not None:
            writer.close()
    if progress:
        progress(count)
    return count
