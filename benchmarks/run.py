"""The one benchmark entry point: run every benchmark module, print its figures, then one line per target.

Each module (MODULES) exposes `targets(quick: bool) -> list[Target]` (benchmarks/targets.py) and runs in its own
child process under a time budget (its own peak memory and imports, and a hung module cannot stop the rest);
a module missing on this branch is one line and skipped. The closing lines are `Target.line()`:
`target NAME measured X goal Y ok|short`. The figures are written between the markers of docs/benchmarks.md
(hand-written prose outside them stays). Exit status 0 whether targets are met or short (a report, not a
test); 1 when a module crashed or ran past its budget.

Usage: .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...] [--docs PATH | --no-docs]
Reads no settings (the modules read theirs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.targets import Target  # noqa: E402

DOCS = REPO / "docs" / "benchmarks.md"
BEGIN = "<!-- benchmarks/run.py: generated section, do not edit by hand -->"
END = "<!-- end of the generated section -->"
#: The whole quick run stays under 15 minutes: every module together gets at most this much.
QUICK_TOTAL_BUDGET = 14.5 * 60.0
FULL_TOTAL_BUDGET = 12 * 3600.0


@dataclass(frozen=True)
class Module:
    """One benchmark module: its name (or alternative file names, first with `targets` wins) and budgets (s)."""

    name: str
    quick_budget: float
    full_budget: float
    alternatives: tuple[str, ...] = ()

    @property
    def candidates(self) -> tuple[str, ...]:
        """The module names to look for, in order."""
        return (self.name, *self.alternatives)

    def budget(self, quick: bool) -> float:
        """Seconds this module may run."""
        return self.quick_budget if quick else self.full_budget


#: Run in this order. Quick budgets are what each module's author promised (bench_year: measured 4.5-6 min with
#: the baseline under load). They add up to more than QUICK_TOTAL_BUDGET: each module is sure of the same
#: proportion of its budget and may use what earlier ones leave unused (bench_parse needs ~10 s of its 90).
MODULES: tuple[Module, ...] = (
    Module("bench_fixed", 120, 3600),
    Module("bench_parse", 90, 1800),
    Module("bench_pipeline", 120, 3600),
    Module("bench_export", 120, 3600),
    Module("bench_dedup", 240, 4 * 3600, alternatives=("dedup_measure",)),
    Module("bench_year", 360, 4 * 3600),
)


@dataclass
class Outcome:
    """What running one module gave: its targets, or why there are none."""

    module: str
    status: str  # ok | missing | crashed | over budget
    seconds: float = 0.0
    targets: list[Target] = field(default_factory=list)
    message: str = ""


def find_module(module: Module, search: Path) -> str | None:
    """The first candidate file of `module` under `search` that defines `targets`, or None."""
    for name in module.candidates:
        path = search / f"{name}.py"
        if path.is_file() and re.search(r"^def targets\(", path.read_text(encoding="utf-8"), re.M):
            return name
    return None


def target_to_json(target: Target) -> dict[str, object]:
    """A Target as JSON-ready data."""
    return asdict(target)


def target_from_json(data: dict[str, object]) -> Target:
    """A Target from `target_to_json` data."""
    return Target(**data)  # type: ignore[arg-type]


def child(name: str, search: Path, quick: bool, out: Path) -> int:
    """In the child process: import module `name` from `search`, call `targets(quick)`, write them as JSON."""
    import importlib
    import signal

    # Stopped at its budget: SIGTERM becomes SystemExit, so the module's `finally` blocks and context managers
    # (embedded servers, temporary checkouts) clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(search))
    found = importlib.import_module(name)
    measured = found.targets(quick)
    out.write_text(json.dumps([target_to_json(t) for t in measured], ensure_ascii=False), encoding="utf-8")
    return 0


def run_module(module: Module, search: Path, quick: bool, budget: float) -> Outcome:
    """Run one module in a child process with `budget` seconds; its output streams through as it comes."""
    name = find_module(module, search)
    if name is None:
        return Outcome(module.name, "missing", message=f"{' or '.join(f'{c}.py' for c in module.candidates)} "
                                                      "with targets() not on this branch: skipped")
    with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as scratch:
        # The child's temporary files (embedded servers' state, checkouts) go under `tmp`, so whatever a module
        # stopped at its budget could not clean up is found and cleaned up here.
        tmp = Path(scratch) / "tmp"
        tmp.mkdir()
        for folder in (Path(scratch), tmp):  # the embedded PostgreSQL's own user must reach its data below
            folder.chmod(0o755)
        try:
            return _run_child(name, search, quick, budget, Path(scratch) / "targets.json", tmp)
        finally:
            clean_up_after(tmp)


def clean_up_after(tmp: Path) -> None:
    """Stop the embedded servers and remove the git worktrees a child left under `tmp`."""
    from etl.core.config import load_settings
    from etl.dev.services import manager

    for run_dir in sorted(tmp.glob("*/run")):
        if any(run_dir.glob("*.pid")):
            stopped = manager.down(load_settings({"NEWSARCHIVE_STATE_DIR": str(run_dir.parent)}))
            if stopped:
                print(f"   (stopped the {' and '.join(stopped)} the module left in {run_dir.parent})", flush=True)
    listed = subprocess.run(["git", "-C", str(REPO), "worktree", "list", "--porcelain"], capture_output=True,
                            text=True, check=False).stdout
    for line in listed.splitlines():
        path = Path(line.removeprefix("worktree ")) if line.startswith("worktree ") else None
        if path is not None and path.is_relative_to(tmp):
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False)
            print(f"   (removed the git worktree the module left in {path})", flush=True)


def _run_child(name: str, search: Path, quick: bool, budget: float, out: Path, tmp: Path) -> Outcome:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--search", str(search),
               "--out", str(out), *(["--quick"] if quick else [])]
    env = {**os.environ, "TMPDIR": str(tmp)}
    started = time.monotonic()
    # Its own process group, so a module over budget is stopped with every process it started.
    proc = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    try:
        code = proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        return Outcome(name, "over budget", time.monotonic() - started,
                       message=f"stopped after its budget of {budget:.0f} s")
    seconds = time.monotonic() - started
    if code != 0 or not out.is_file():
        return Outcome(name, "crashed", seconds, message=f"exit status {code}")
    measured = [target_from_json(item) for item in json.loads(out.read_text(encoding="utf-8"))]
    return Outcome(name, "ok", seconds, measured)


#: Seconds a module stopped at its budget has to clean up after SIGTERM before SIGKILL.
STOP_GRACE = 20.0


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after STOP_GRACE seconds."""
    import signal

    for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def figures_text(target: Target) -> list[str]:
    """A target's detail and figures, one indented line each."""
    lines = [f"    {target.detail}"] if target.detail else []
    lines += [f"    {key}: {value}" for key, value in target.figures.items()]
    return lines


#: A module may run up to this many times its budget when earlier modules left time unused.
STRETCH = 2.0


def allowance(budget: float, later: float, left: float, scale: float) -> float:
    """Seconds a module may run: what is `left` of the whole run less the shares reserved for the modules after
    it (their budgets, `later`, times `scale`: the whole run's budget over the sum of the budgets, at most 1),
    and at most STRETCH times its own budget (a hung module does not eat every later module's slack)."""
    return min(STRETCH * budget, left - later * scale)


def run_all(modules: Sequence[Module], search: Path, quick: bool, total_budget: float) -> list[Outcome]:
    """Run the modules one after another, printing each one's figures as it finishes.

    A module's budget is its share: when the budgets add up to more than `total_budget`, each is sure of the
    same proportion of its own, and a module may also use what earlier ones left unused, up to STRETCH times its
    budget (but never the shares of the modules after it).
    """
    outcomes = []
    deadline = time.monotonic() + total_budget
    present = [m for m in modules if find_module(m, search) is not None]
    budgets = sum(m.budget(quick) for m in present)
    scale = min(1.0, total_budget / budgets) if budgets else 1.0
    for module in modules:
        later = sum(m.budget(quick) for m in present[present.index(module) + 1:]) if module in present else 0.0
        allowed = allowance(module.budget(quick), later, deadline - time.monotonic(), scale)
        if module not in present:
            outcome = run_module(module, search, quick, 0)  # the one "missing" line, nothing started
        elif allowed <= 0:
            outcome = Outcome(module.name, "over budget", message="no time left of the whole run's budget")
        else:
            print(f"== {module.name} (budget {allowed:.0f} s)", flush=True)
            outcome = run_module(module, search, quick, allowed)
        if outcome.status == "ok":
            print(f"== {outcome.module}: {len(outcome.targets)} targets in {outcome.seconds:.0f} s", flush=True)
            for target in outcome.targets:
                print(f"  {target.name}: {target.measured:.3g}{target.unit} (goal {target.goal:g}{target.unit})")
                print("\n".join(figures_text(target)), flush=True)
        else:
            print(f"== {outcome.module}: {outcome.status}: {outcome.message}", flush=True)
        outcomes.append(outcome)
    return outcomes


def closing_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """The closing lines: one per module that gave no targets, then, last, one per target."""
    lines = [f"module {o.module} {o.status}: {o.message}" for o in outcomes if o.status != "ok"]
    return lines + [t.line() for o in outcomes for t in o.targets]


def current_commit() -> str:
    """The checkout's commit (and whether it has uncommitted changes), read when the run starts."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine_facts(commit: str) -> str:
    """CPU count, memory, Python and OS, the load average now, and the commit measured."""
    cpus = os.cpu_count() or 0
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(cpus)
    mem = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M)
        if match:
            mem = f"{int(match[1]) / 1024 ** 2:.1f} GiB"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{nproc} CPUs (nproc), {mem} memory, Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}; load average at the end {load}; commit {commit}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(outcomes: Sequence[Outcome], quick: bool, when: datetime, machine: str) -> str:
    """The generated Markdown section (between and including the markers)."""
    lines = [BEGIN, "", "## Targets (generated by `benchmarks/run.py`)", "",
             f"Measured {when:%Y-%m-%d %H:%M} UTC, {'quick' if quick else 'full'} run "
             f"(`benchmarks/run.py{' --quick' if quick else ''}`), on {machine}.", "",
             "| target | measured | goal | verdict | module | what |", "|---|---|---|---|---|---|"]
    for outcome in outcomes:
        for t in outcome.targets:
            sign = "<=" if t.lower_is_better else ">="
            lines.append(f"| `{t.name}` | {t.measured:.3g}{t.unit} | {sign} {t.goal:g}{t.unit} | "
                         f"{'ok' if t.ok else '**short**'} | {outcome.module} | {_cell(t.detail)} |")
    for outcome in outcomes:
        if outcome.status != "ok":
            lines.append(f"| (none) | | | {outcome.status} | {outcome.module} | {_cell(outcome.message)} |")
    lines.append("")
    for outcome in outcomes:
        if outcome.status != "ok":
            continue
        lines += [f"### {outcome.module} ({outcome.seconds:.0f} s)", ""]
        for t in outcome.targets:
            lines.append(f"- `{t.name}`: {t.measured:.3g}{t.unit}" + (f"; {t.detail}" if t.detail else ""))
            lines += [f"  - {key}: {value}" for key, value in t.figures.items()]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def rewrite_docs(path: Path, generated: str) -> None:
    """Replace the generated section of `path` (or append it when the markers are absent); keep the rest."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    start, stop = text.find(BEGIN), text.find(END)
    if start != -1 and stop > start:
        text = text[:start] + generated + text[stop + len(END):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + generated
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit 1 only when a module crashed or ran past its budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sets; the whole run under 15 minutes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these modules (e.g. bench_year)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the Markdown file to write the figures to")
    parser.add_argument("--no-docs", action="store_true", help="print only (an --only run never writes the docs)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--search", type=Path, default=HERE, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.search, args.quick, args.out)
    modules = list(MODULES)
    if args.only:
        known = {c for m in MODULES for c in m.candidates}
        if unknown := sorted(set(args.only) - known):
            print(f"run.py: unknown module {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
            return 2
        modules = [m for m in MODULES if set(m.candidates) & set(args.only)]
    commit = current_commit()
    outcomes = run_all(modules, args.search, args.quick, QUICK_TOTAL_BUDGET if args.quick else FULL_TOTAL_BUDGET)
    if not (args.no_docs or args.only):
        rewrite_docs(args.docs, section(outcomes, args.quick, datetime.now(UTC), machine_facts(commit)))
        print(f"figures written to {args.docs}")
    print()
    print("\n".join(closing_lines(outcomes)), flush=True)
    return 1 if any(o.status in ("crashed", "over budget") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
