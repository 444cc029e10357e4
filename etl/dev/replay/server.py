"""The offline replay web server: serves `fixtures/replay/<host>/...` by Host header. Reads no settings.

Mapping rules (paths, query variants, `_redirects`, `_rules`) are documented in `fixtures/replay/README.md`.
Stdlib only: a `ThreadingHTTPServer` in a daemon thread, so tests and the crawler can share one process.
"""

from __future__ import annotations

import gzip
import logging
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from etl.core.errors import ServiceError

log = logging.getLogger(__name__)

DEFAULT_ROOT: Path = Path(__file__).resolve().parents[3] / "fixtures" / "replay"

REDIRECTS_FILE = "_redirects"
RULES_FILE = "_rules"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    """One response to send: status, headers and body (before content encoding)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Rule:
    """One `_rules` line: answer `status` for `path` (optionally only the first `times` requests)."""

    path: str
    status: int
    times: int | None = None
    body_file: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


def normalize_query(query: str) -> str:
    """Return the query with parameters sorted by name and re-encoded (the variant-file suffix)."""
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def content_type_for(relative_path: str) -> str:
    """Return the Content-Type for a served file, judged by its host-relative path before any `@query`."""
    base = relative_path.split("@", 1)[0].lower()
    suffix = Path(base).suffix
    if suffix == ".xml" and "rss" in base:
        return RSS_CONTENT_TYPE
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def site_host(host_header: str | None) -> str | None:
    """Return the lower-cased host of a Host header with the port dropped, or None when unusable."""
    if not host_header:
        return None
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if not host or host.startswith((".", "_")) or any(c in host for c in "/\\\0"):
        return None
    return host


def _path_key(path: str, query: str) -> str:
    """Return the key a `_rules`/`_redirects` entry is matched on."""
    return f"{path}?{normalize_query(query)}" if query else path


def _entry_matches(entry: str, path: str, query: str) -> bool:
    """Tell whether a FROM/PATH entry matches: without `?` any query matches, with `?` only that query."""
    entry_path, sep, entry_query = entry.partition("?")
    if not sep:
        return entry_path == path
    return entry_path == path and normalize_query(entry_query) == normalize_query(query)


def _data_lines(file: Path) -> list[list[str]]:
    """Return the whitespace-split, non-comment lines of a control file (empty when it is absent)."""
    if not file.is_file():
        return []
    lines = []
    for raw in file.read_text(encoding="utf-8").splitlines():
        words: list[str] = []
        for word in raw.split():
            if word.startswith("#"):
                break
            words.append(word)
        if words:
            lines.append(words)
    return lines


def parse_rules(file: Path) -> list[Rule]:
    """Parse a `_rules` file; malformed lines are logged and skipped."""
    rules = []
    for parts in _data_lines(file):
        try:
            times: int | None = None
            body_file: str | None = None
            headers: list[tuple[str, str]] = []
            for option in parts[2:]:
                name, _, value = option.partition("=")
                if name == "times":
                    times = int(value)
                elif name == "body":
                    body_file = value
                else:
                    headers.append((name, value))
            rules.append(Rule(parts[0], int(parts[1]), times, body_file, tuple(headers)))
        except (IndexError, ValueError):
            log.warning("ignoring malformed rule in %s: %s", file, " ".join(parts))
    return rules


def parse_redirects(file: Path) -> list[tuple[str, str, int]]:
    """Parse a `_redirects` file into (FROM, TO, status); malformed lines are logged and skipped."""
    entries = []
    for parts in _data_lines(file):
        try:
            status = int(parts[2]) if len(parts) > 2 else 301
            if len(parts) < 2 or status not in REDIRECT_STATUSES:
                raise ValueError(status)
            entries.append((parts[0], parts[1], status))
        except ValueError:
            log.warning("ignoring malformed redirect in %s: %s", file, " ".join(parts))
    return entries


def resolve_file(site_dir: Path, path: str, query: str) -> Path | None:
    """Map a request path (+ query) to a file under `site_dir`, or None (missing or traversal)."""
    segments = unquote(path).split("/")
    if not path.startswith("/") or any(
        seg in (".", "..") or seg.startswith("_") or "\\" in seg or "\0" in seg for seg in segments
    ):
        return None
    inner = segments[1:]
    if any(seg == "" for seg in inner[:-1]):
        return None
    suffix = f"@{normalize_query(query)}" if query else ""
    if inner[-1] == "":
        candidates = [site_dir.joinpath(*inner[:-1], "index.html" + suffix)]
    else:
        leaf = site_dir.joinpath(*inner)
        candidates = [leaf.with_name(leaf.name + suffix), leaf / ("index.html" + suffix)]
    root = site_dir.resolve()
    for candidate in candidates:
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    return None


class _State:
    """Shared, lock-protected state of one replay server: request log and rule counters."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []
        self.rule_hits: dict[tuple[str, str], int] = {}

    def record(self, method: str, host: str, target: str) -> None:
        """Append one request to the log."""
        with self.lock:
            self.requests.append((method, host, target))

    def take_rule(self, host: str, rule: Rule) -> bool:
        """Count a request against `rule`; tell whether the rule still applies to it."""
        with self.lock:
            key = (host, rule.path)
            hits = self.rule_hits.get(key, 0)
            if rule.times is not None and hits >= rule.times:
                return False
            self.rule_hits[key] = hits + 1
            return True


def _simple_reply(status: int, extra: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A short HTML reply for statuses without a body file."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Status"
    body = f"<html><body><h1>{status} {phrase}</h1></body></html>\n".encode()
    return Reply(status, body, extra)


def build_reply(state: _State, host: str | None, target: str) -> Reply:
    """Decide the response for a request target on `host` (rules, then redirects, then files)."""
    if host is None:
        return _simple_reply(404)
    site_dir = state.root / host
    if not site_dir.is_dir() or not site_dir.resolve().is_relative_to(state.root.resolve()):
        return _simple_reply(404)  # no such host, or a host folder linked from outside the root
    path, _, query = target.partition("#")[0].partition("?")
    for rule in parse_rules(site_dir / RULES_FILE):
        if _entry_matches(rule.path, path, query) and state.take_rule(host, rule):
            body_path = site_dir / rule.body_file if rule.body_file else None
            if body_path and body_path.is_file() and body_path.resolve().is_relative_to(site_dir.resolve()):
                body = body_path.read_bytes()
                return Reply(rule.status, body, rule.headers, content_type_for(rule.body_file or ""))
            if body_path:
                log.warning("rule body %s not found; sending a default body", body_path)
            return _simple_reply(rule.status, rule.headers)
    for source, dest, status in parse_redirects(site_dir / REDIRECTS_FILE):
        if _entry_matches(source, path, query):
            return _simple_reply(status, (("Location", dest),))
    file = resolve_file(site_dir, path, query)
    if file is None:
        return _simple_reply(404)
    relative = file.relative_to(site_dir).as_posix()
    return Reply(200, file.read_bytes(), (), content_type_for(relative))


def _accepts_gzip(header: str | None) -> bool:
    """Tell whether an Accept-Encoding header allows gzip (q=0 refuses it)."""
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class _Handler(BaseHTTPRequestHandler):
    """Answers GET/HEAD from the replay state of its server."""

    server_version = "newsarchive-replay/0.1"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes on a kept-alive connection: without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK hold every response back ~40 ms (a real site's server does not).
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        """The Server header value."""
        return self.server_version

    def do_GET(self) -> None:
        """Serve a GET request."""
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        """Serve a HEAD request."""
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        state = self.server.state
        host = site_host(self.headers.get("Host"))
        target = self.path
        if "://" in target.split("?", 1)[0]:
            parts = urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        state.record(self.command, host or "", target)
        reply = build_reply(state, host, target)
        body = reply.body
        declared = {name.lower() for name, _ in reply.headers}  # a rule's own Content-Type/-Encoding win
        gzipped = (bool(body) and "content-encoding" not in declared
                   and _accepts_gzip(self.headers.get("Accept-Encoding")))
        if gzipped:
            body = gzip.compress(body, mtime=0)
        # Logged before the reply is sent, so whoever has read the response also finds its log line.
        log.info(
            "replay %s %s%s -> %d (%d bytes%s)",
            self.command,
            host,
            target,
            reply.status,
            len(body),
            ", gzip" if gzipped else "",
        )
        self.send_response(reply.status)
        if "content-type" not in declared:
            self.send_header("Content-Type", reply.content_type)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Route http.server's own messages (errors, malformed requests) to logging."""
        log.debug("replay %s: " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer that carries the replay state for its handlers."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        self.state = state
        super().__init__(address, _Handler)


class ReplayServer:
    """Serve a replay root over HTTP on `host:port` (0 = any free port) from a daemon thread."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root)
        self.host = host
        self.port = port
        self._state = _State(self.root)
        self.requests: list[tuple[str, str, str]] = self._state.requests
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The server's URL, e.g. `http://127.0.0.1:8700` (real port once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread; a taken port raises ServiceError."""
        if self._server is not None:
            return
        if not self.root.is_dir():
            raise ServiceError(f"replay root {self.root} is not a directory")
        try:
            self._server = _Server((self.host, self.port), self._state)
        except OSError as err:
            raise ServiceError(
                f"replay server cannot listen on {self.host}:{self.port}: {err.strerror or err}"
            ) from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"replay-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("replay server for %s listening on %s", self.root, self.base_url)

    def stop(self) -> None:
        """Stop serving and close the socket (safe to call twice)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        log.info("replay server on %s stopped", self.base_url)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(root: Path, host: str, port: int) -> None:
    """Serve `root` on `host:port` until KeyboardInterrupt (the `replay-site` CLI command)."""
    server = ReplayServer(root, host, port)
    server.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        server.stop()
