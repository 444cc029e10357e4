"""The pipeline as one list of steps: what each needs and leaves in `crawl_runs.status`.

Reads no settings. `ingest` (etl/steps/pipeline.py), `backfill` and the `news_daily` DAG all run STEPS in this
order; each step is one function(settings, run id) -> small dict, named here as "module:function" so that the
DAG file can build its tasks from this list without importing the pipeline at parse time. A step runs when
the run's status has reached `needs`; a step with `leaves` records that status when it is done, and is skipped
when the run already got there (a retry after success does nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, cast

from etl.store.runs import STATUSES

if TYPE_CHECKING:
    from etl.core.config import Settings

StepFunction = Callable[["Settings", int], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """One pipeline step: its name, its function, the run status it needs and the status it leaves."""

    name: str
    target: str  # "module:function"
    needs: str
    leaves: str | None = None  # None: the step records no status (it reports on the run)

    @property
    def function(self) -> StepFunction:
        """The step's function, imported on first use."""
        module, _, name = self.target.partition(":")
        return cast(StepFunction, getattr(import_module(module), name))

    def done_at(self, status: str) -> bool:
        """True when a run with `status` has already passed this step."""
        return self.leaves is not None and STATUSES.index(status) >= STATUSES.index(self.leaves)

    def ready_at(self, status: str) -> bool:
        """True when a run with `status` may run this step."""
        return STATUSES.index(status) >= STATUSES.index(self.needs)


STEPS: tuple[Step, ...] = (
    Step("crawl", "etl.steps.crawl:crawl_run", needs="crawling", leaves="crawled"),
    Step("archive", "etl.steps.crawl:archive_run", needs="crawled", leaves="archived"),
    Step("extract", "etl.steps.extract:extract_run", needs="archived", leaves="extracted"),
    Step("load", "etl.steps.load:load_run", needs="extracted", leaves="stored"),
    Step("neardup", "etl.steps.load:link_run", needs="stored", leaves="loaded"),
    Step("summary", "etl.steps.summary:summarize", needs="loaded"),
    Step("health", "etl.steps.summary:check_health", needs="loaded"),
)


def get(name: str) -> Step:
    """The step called `name`."""
    for step in STEPS:
        if step.name == name:
            return step
    raise KeyError(f"no pipeline step {name!r}; steps: {', '.join(s.name for s in STEPS)}")


def remaining(status: str) -> tuple[Step, ...]:
    """The steps a run with `status` still has to run, in order."""
    return tuple(step for step in STEPS if not step.done_at(status))
