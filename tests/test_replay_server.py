"""Tests for the offline replay web server (real server on 127.0.0.1, port 0)."""

from __future__ import annotations

import gzip
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.core.errors import ServiceError
from etl.dev.replay import DEFAULT_ROOT, ReplayServer
from etl.dev.replay.server import normalize_query, resolve_file

HOST = "example.kz"


def fetch(
    server: ReplayServer,
    path: str,
    host: str = HOST,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Request `path` with an explicit Host header, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(
        server.base_url + path, method=method, headers={"Host": host, **(headers or {})}
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    site = tmp_path / HOST
    (site / "news" / "a-1").mkdir(parents=True)
    (site / "lenta").mkdir()
    (site / "rss").mkdir()
    (site / "index.html").write_text("<html>home</html>", encoding="utf-8")
    (site / "news" / "a-1" / "index.html").write_text("<html>мақала</html>", encoding="utf-8")
    (site / "news" / "plain").write_text("plain file", encoding="utf-8")
    (site / "lenta" / "index.html").write_text("lenta", encoding="utf-8")
    (site / "lenta" / "index.html@end_date=2026-01-01&page=2&start_date=2026-01-01").write_text("page2")
    (site / "lenta" / "index.html@q=").write_text("blank")
    (site / "rss" / "kz.xml").write_text("<rss/>", encoding="utf-8")
    (site / "sitemap.xml").write_text("<urlset/>", encoding="utf-8")
    (site / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    (site / "data.json").write_text("{}", encoding="utf-8")
    (site / "_challenge.html").write_text("<title>Just a moment...</title>", encoding="utf-8")
    (site / "_redirects").write_text(
        "# comment\n/news/a-1 /news/a-1/\n/old?id=7 https://example.kz/news/a-1/ 302\n\n", encoding="utf-8"
    )
    (site / "_rules").write_text(
        "/news/flaky/ 503 times=1 Retry-After=1\n"
        "/news/blocked/ 403 body=_challenge.html  # cloudflare\n"
        "/news/broken/ 500\n",
        encoding="utf-8",
    )
    (site / "news" / "flaky").mkdir()
    (site / "news" / "flaky" / "index.html").write_text("recovered", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    return tmp_path


@pytest.fixture
def server(root: Path) -> Iterator[ReplayServer]:
    with ReplayServer(root) as srv:
        yield srv


def test_default_root_points_into_fixtures() -> None:
    assert DEFAULT_ROOT == Path(__file__).resolve().parents[1] / "fixtures" / "replay"


def test_index_mapping(server: ReplayServer) -> None:
    assert fetch(server, "/")[2] == b"<html>home</html>"
    assert fetch(server, "/news/a-1/")[2].decode() == "<html>мақала</html>"
    assert fetch(server, "/news/plain")[2] == b"plain file"
    assert fetch(server, "/rss/kz.xml")[2] == b"<rss/>"
    status, _, body = fetch(server, "/lenta")
    assert (status, body) == (200, b"lenta")


def test_host_header_port_and_case(server: ReplayServer) -> None:
    assert fetch(server, "/", host="EXAMPLE.kz:443")[0] == 200
    assert fetch(server, "/", host="unknown.kz")[0] == 404


def test_query_variants(server: ReplayServer) -> None:
    status, _, body = fetch(server, "/lenta/?page=2&start_date=2026-01-01&end_date=2026-01-01")
    assert (status, body) == (200, b"page2")
    assert fetch(server, "/lenta?start_date=2026-01-01&end_date=2026-01-01&page=2")[2] == b"page2"
    assert fetch(server, "/lenta/?q=")[2] == b"blank"
    assert fetch(server, "/lenta/?page=3&start_date=2026-01-01&end_date=2026-01-01")[0] == 404
    assert fetch(server, "/news/a-1/?utm=x")[0] == 404
    assert normalize_query("b=2&a=1&c=") == "a=1&b=2&c="


def test_missing_files_and_traversal(server: ReplayServer, root: Path) -> None:
    assert resolve_file(root / HOST, "//secret.txt", "") is None
    for path in (
        "/nope/",
        "/news/zzz",
        "/../secret.txt",
        "/news/../../secret.txt",
        "/%2e%2e/secret.txt",
        "//secret.txt",
        "/news//a-1/",
        "/_rules",
        "/_redirects",
        "/_challenge.html",
    ):
        assert fetch(server, path)[0] == 404, path
    assert fetch(server, "/", host="..")[0] == 404


def test_redirects(server: ReplayServer) -> None:
    status, headers, _ = fetch(server, "/news/a-1")
    assert (status, headers["Location"]) == (301, "/news/a-1/")
    status, headers, _ = fetch(server, "/old?id=7")
    assert (status, headers["Location"]) == (302, "https://example.kz/news/a-1/")
    assert fetch(server, "/old?id=8")[0] == 404


def test_rules_with_times(server: ReplayServer) -> None:
    status, headers, _ = fetch(server, "/news/flaky/")
    assert (status, headers["Retry-After"]) == (503, "1")
    assert fetch(server, "/news/flaky/")[:3:2] == (200, b"recovered")
    for _ in range(2):
        status, headers, body = fetch(server, "/news/blocked/")
        assert status == 403 and b"Just a moment..." in body
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert fetch(server, "/news/broken/")[0] == 500


def test_rule_counters_are_per_server(root: Path) -> None:
    for _ in range(2):
        with ReplayServer(root) as srv:
            assert fetch(srv, "/news/flaky/")[0] == 503


def test_content_types_and_head(server: ReplayServer) -> None:
    expected = {
        "/": "text/html; charset=utf-8",
        "/rss/kz.xml": "application/rss+xml; charset=utf-8",
        "/sitemap.xml": "application/xml",
        "/robots.txt": "text/plain; charset=utf-8",
        "/data.json": "application/json",
        "/lenta/?page=2&start_date=2026-01-01&end_date=2026-01-01": "text/html; charset=utf-8",
    }
    for path, content_type in expected.items():
        assert fetch(server, path)[1]["Content-Type"] == content_type, path
    status, headers, body = fetch(server, "/news/a-1/", method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == len("<html>мақала</html>".encode())


def test_gzip(server: ReplayServer) -> None:
    status, headers, body = fetch(server, "/news/a-1/", headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(body)
    assert gzip.decompress(body).decode() == "<html>мақала</html>"
    _, headers, body = fetch(server, "/news/a-1/", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in headers and body.decode() == "<html>мақала</html>"


def test_port_taken(root: Path) -> None:
    with ReplayServer(root) as first:
        second = ReplayServer(root, port=first.port)
        with pytest.raises(ServiceError, match=f"127.0.0.1:{first.port}"):
            second.start()


def test_request_log_and_logging(server: ReplayServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="etl.dev.replay.server")
    fetch(server, "/news/a-1/?x=1", host="Example.kz:8700")
    fetch(server, "/robots.txt", method="HEAD")
    assert server.requests == [("GET", HOST, "/news/a-1/?x=1"), ("HEAD", HOST, "/robots.txt")]
    assert any("/robots.txt" in record.getMessage() for record in caplog.records)
    assert server.base_url == f"http://127.0.0.1:{server.port}" and server.port > 0


def test_stop_is_idempotent(root: Path) -> None:
    srv = ReplayServer(root)
    srv.start()
    port = srv.port
    srv.stop()
    srv.stop()
    with ReplayServer(root, port=port) as again:
        assert fetch(again, "/")[0] == 200
