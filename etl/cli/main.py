"""The `newsarchive` command line. Reads every setting through `etl.core.config.load_settings()`.

Results go to stdout, logs to stderr. A user mistake is one line on stderr and exit status 2; a failed
pipeline step is one line and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from etl.cli.args import date_arg, source_names
from etl.core.config import Settings, load_settings
from etl.core.errors import PipelineError, UserError
from etl.steps.plan import STEPS

log = logging.getLogger(__name__)
Handler = Callable[[argparse.Namespace, Settings], int]

# Further commands live in their own modules: each defines `register(subparsers)`, which adds a subparser
# whose `handler` default is a function(args, settings) -> exit status.
COMMAND_MODULES: tuple[str, ...] = ("etl.cli.query", "etl.cli.export", "etl.cli.backfill",
                                    "etl.cli.coverage", "etl.cli.reextract", "etl.cli.report",
                                    "etl.cli.sources", "etl.cli.webarchive", "etl.cli.probe",
                                    "etl.cli.capture", "etl.cli.airflow", "etl.cli.cluster")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")



def cmd_services(args: argparse.Namespace, settings: Settings) -> int:
    """services up|down|status."""
    from etl.dev.services import manager

    if args.action == "up":
        resolved = manager.up(settings)
        for line in manager.export_lines(resolved):
            _out(line)
        return 0
    if args.action == "down":
        stopped = manager.down(settings)
        _out(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")
        return 0
    for item in manager.status(settings):
        pid = f" pid {item.pid}" if item.pid else ""
        _out(f"{item.name:10} {item.mode:9} {item.url or '-'}{pid}")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply (or list) the SQL migrations."""
    from etl.store import migrate

    url = settings.require_database_url()
    if args.status:
        for migration, is_applied in migrate.status(url):
            _out(f"{migration.version:04d} {migration.name:30} {'applied' if is_applied else 'pending'}")
        return 0
    done = migrate.migrate(url)
    _out(f"applied {len(done)} migration(s)" + (": " + ", ".join(m.path.name for m in done) if done else ""))
    return 0


def cmd_replay_site(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the offline mirror until interrupted."""
    from etl.dev.replay.server import DEFAULT_ROOT, serve_forever

    root = Path(args.root) if args.root else DEFAULT_ROOT
    if not root.is_dir():
        raise UserError(f"replay root {str(root)!r} is not a directory")
    serve_forever(root, "127.0.0.1", args.port or settings.replay_port)
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Run every pipeline step for one local day of one or several sources, without Airflow; print the run's
    summary (several sources: each source's summary, or its one-line error, by name; exit 1 if one failed)."""
    from etl.steps import parallel, pipeline

    names = source_names(args.source)
    if len(names) == 1:
        summary = pipeline.ingest_day(settings, names[0], args.date, refetch=args.refetch, trigger="cli")
        _out(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    results = parallel.ingest_sources(settings, names, args.date, refetch=args.refetch, trigger="cli")
    _out(json.dumps(results, ensure_ascii=False, indent=2, sort_keys=True))
    failed = [f"  {name}: {out['error']}" for name, out in results.items() if "error" in out]
    if failed:
        sys.stderr.write(f"newsarchive: failed: {len(failed)} of {len(names)} source(s)\n" + "\n".join(failed) + "\n")
    return 1 if failed else 0


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    """Parse one saved page and print only the result."""
    from etl.extract import ExtractionError
    from etl.sources import extract_article, get_source
    from etl.transform.corpus import to_corpus

    source = get_source(args.source)
    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"no such file: {args.file}")
    if not source.is_article_url(args.url):
        raise UserError(f"{args.url} is not a {source.name} article URL")
    try:
        article = extract_article(source.name, args.url, path.read_bytes())
    except ExtractionError as exc:
        raise UserError(str(exc)) from None
    if args.format == "corpus":
        if article.published_at is None:
            raise UserError(f"{args.url}: no publication date on the page (JSON-LD, meta tags, <time> or a date "
                            "printed as text), so no corpus document; use --format json")
        sys.stdout.write(to_corpus(article, settings.timezone))
    else:
        _out(json.dumps(article.to_json(), ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand and its help."""
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description="Scrape, archive (WARC in S3) and load Kazakh news into PostgreSQL.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    services = sub.add_parser(
        "services", help="start/stop/report the embedded PostgreSQL and S3 servers",
        description="Embedded PostgreSQL and SeaweedFS S3 on 127.0.0.1, data under NEWSARCHIVE_STATE_DIR. "
        "Services whose URL (DATABASE_URL, S3_ENDPOINT_URL) is set are external and never started.",
    )
    services.add_argument("action", choices=["up", "down", "status"],
                          help="up: start, wait for health, create the bucket, migrate, print exports; "
                          "down: stop what up started; status: tell what runs")
    services.set_defaults(handler=cmd_services)

    migrate = sub.add_parser("migrate", help="apply the numbered SQL migrations in sql/migrations/")
    migrate.add_argument("--status", action="store_true", help="list migrations and whether each is applied")
    migrate.set_defaults(handler=cmd_migrate)

    replay = sub.add_parser("replay-site", help="serve the bundled offline mirror of the news sites",
                            description="Serves fixtures/replay/<host>/... on 127.0.0.1; point spiders at it with "
                            "NEWSARCHIVE_HOST_OVERRIDES=kaz.inform.kz=http://127.0.0.1:8700")
    replay.add_argument("--port", type=int, help="port (default NEWSARCHIVE_REPLAY_PORT or 8700)")
    replay.add_argument("--root", help="folder holding <host>/ sub-folders (default: the bundled fixtures)")
    replay.set_defaults(handler=cmd_replay_site)

    ingest = sub.add_parser("ingest", help=f"{' -> '.join(s.name for s in STEPS)} for one source and day (no Airflow)")
    ingest.add_argument("--source", required=True, action="append", metavar="S",
                        help="source name, e.g. kazinform; several: repeat it or separate by commas (one crawl "
                        "process for all); `all`: every enabled source")
    ingest.add_argument("--date", required=True, type=date_arg, help="local day (NEWSARCHIVE_TIMEZONE), YYYY-MM-DD")
    ingest.add_argument("--refetch", action="store_true", help="fetch articles again even if already loaded")
    ingest.set_defaults(handler=cmd_ingest)

    extract = sub.add_parser("extract", help="parse one saved article page and print it (JSON or corpus text)")
    extract.add_argument("file", help="saved HTML file")
    extract.add_argument("--source", required=True, help="source name, e.g. kazinform")
    extract.add_argument("--url", required=True, help="the page's real URL")
    extract.add_argument("--format", choices=["json", "corpus"], default="json")
    extract.set_defaults(handler=cmd_extract)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsarchive` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A connection that broke mid-transaction fails its step (one line); the pool's own retelling is a traceback.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    try:
        settings = load_settings()
        if args.command not in ("services", "cluster"):  # local mode: unset service URLs from the running embedded servers
            from etl.dev.services.manager import resolve_settings

            settings = resolve_settings(settings)
        handler: Handler = args.handler
        return handler(args, settings)
    except UserError as exc:
        sys.stderr.write(f"newsarchive: error: {exc}\n")
        return 2
    except PipelineError as exc:
        sys.stderr.write(f"newsarchive: failed: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("newsarchive: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
