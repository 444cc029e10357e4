"""DAG integrity (imports cleanly and cheaply, retries, tags, timetable) and one real `dag.test()` run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag() -> object:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports(dagbag: object) -> None:
    assert dagbag.import_errors == {}  # type: ignore[attr-defined]
    assert set(dagbag.dags) == {"news_daily"}  # type: ignore[attr-defined]


def test_news_daily_shape(dagbag: object) -> None:
    dag = dagbag.dags["news_daily"]  # type: ignore[attr-defined]
    assert dag.tags and dag.doc_md
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.catchup is False
    ids = {t.task_id for t in dag.tasks}
    assert {"source.crawl", "source.archive", "source.extract", "source.load", "source.summary"} <= ids
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
    crawl = dag.get_task("source.crawl")
    assert crawl.downstream_task_ids >= {"source.archive"}


def test_dag_import_is_light() -> None:
    """Importing the DAG file must not import Scrapy, boto3 or the ETL pipeline (parse-time cost)."""
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]); "
        "heavy = [m for m in ('scrapy', 'boto3', 'etl.pipeline', 'psycopg2', 'trafilatura') if m in sys.modules]; "
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DAGS / "news_daily.py")], capture_output=True,
                         text=True, check=True)
    marker = [line for line in out.stdout.splitlines() if line.startswith("HEAVY=")]
    assert marker == ["HEAVY="]
