"""What every benchmark reports to `benchmarks/run.py`: named targets, each a measured ratio (or figure) and
its goal, measured side by side with its baseline in the same run. Not a test: nothing here asserts a time."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """One measured target: `measured` against `goal` (at most the goal when `lower_is_better`)."""

    name: str
    measured: float
    goal: float
    unit: str = "x"
    lower_is_better: bool = False
    detail: str = ""
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the measured figure meets the goal."""
        return self.measured <= self.goal if self.lower_is_better else self.measured >= self.goal

    def line(self) -> str:
        """The closing line: `target NAME measured X goal Y ok|short`."""
        sign = "<=" if self.lower_is_better else ">="
        return (f"target {self.name} measured {self.measured:.3g}{self.unit} goal {sign}{self.goal:g}{self.unit} "
                f"{'ok' if self.ok else 'short'}")
