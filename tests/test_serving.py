"""ui/serving.py: the app's HTML gets the backend hint; nothing else the server sends changes."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from starlette.datastructures import Headers

from ui.serving import BACKEND_HINT, BackendHint, with_backend_hint

PAGE = b"<!DOCTYPE html>\n<html>\n  <head>\n    <title>x</title>\n  </head>\n<body></body></html>"
BROWSER = [(b"accept", b"text/html,application/xhtml+xml,*/*;q=0.8"), (b"accept-encoding", b"gzip")]
FETCH = [(b"accept", b"*/*"), (b"accept-encoding", b"gzip")]


def _serve(
    pieces: list[bytes],
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    extra: list[tuple[bytes, bytes]] | None = None,
):
    """An ASGI app answering with `pieces` as the body (one message each); it records the
    request headers it saw."""
    seen: list[Headers] = []

    async def app(scope, receive, send) -> None:
        seen.append(Headers(scope=scope))
        length = str(sum(map(len, pieces))).encode()
        headers = [(b"content-type", content_type.encode()), (b"content-length", length)]
        await send(
            {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
        )
        for i, piece in enumerate(pieces):
            await send(
                {"type": "http.response.body", "body": piece, "more_body": i < len(pieces) - 1}
            )

    return app, seen


def _request(app, headers: list[tuple[bytes, bytes]], method: str = "GET", path: str = "/rankings"):
    """Run `app` behind `BackendHint`; the response's status, headers and whole body."""
    sent: list[dict] = []

    async def run() -> None:
        done = asyncio.Event()  # a client that stays until the response is over
        requested = False

        async def receive() -> dict:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        scope = {"type": "http", "method": method, "path": path, "headers": headers}
        scope |= {"scheme": "http", "query_string": b"", "root_path": "", "http_version": "1.1"}
        await BackendHint(app)(scope, receive, send)

    asyncio.run(run())
    start = sent[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], Headers(raw=start["headers"]), body


def test_the_hint_is_the_first_thing_in_the_head_once() -> None:
    html = with_backend_hint(PAGE + b"<head>")
    assert html.startswith(b"<!DOCTYPE html>\n<html>\n  <head>" + BACKEND_HINT + b"\n    <title>")
    assert html.count(BACKEND_HINT) == 1
    assert with_backend_hint(b"<p>no head</p>") == b"<p>no head</p>"


def test_a_page_gets_the_hint_whole_and_with_its_new_length() -> None:
    app, seen = _serve([PAGE[:20], PAGE[20:41], PAGE[41:]])
    status, headers, body = _request(app, BROWSER)
    assert status == 200
    assert body == with_backend_hint(PAGE)
    assert headers["content-length"] == str(len(body))
    assert "accept-encoding" not in seen[0]  # so the page comes back as text, not gzip
    assert seen[0]["accept"].startswith("text/html")


def test_what_is_not_a_page_passes_unchanged() -> None:
    for request, answer in (
        (FETCH, {}),  # a script fetching (the health check, host config)
        (BROWSER, {"content_type": "application/json"}),
        (BROWSER, {"status": 404}),
        (BROWSER, {"extra": [(b"content-encoding", b"gzip")]}),
    ):
        app, seen = _serve([PAGE[:30], PAGE[30:]], **answer)
        status, headers, body = _request(app, request)
        assert body == PAGE, (request, answer)
        assert headers["content-length"] == str(len(PAGE))
        assert status == answer.get("status", 200)
    app, seen = _serve([PAGE])
    assert _request(app, BROWSER, method="POST")[2] == PAGE
    assert seen[0]["accept-encoding"] == "gzip"


def test_streamlits_own_page_behind_its_compression_gets_the_hint() -> None:
    """Streamlit's static files and its gzip layer (the order `st.App` stacks them): a page's
    address answers with index.html, as text with the hint; another file comes without it."""
    from streamlit import file_util
    from streamlit.web.server.starlette.starlette_gzip_middleware import SelectiveGZipMiddleware
    from streamlit.web.server.starlette.starlette_static_routes import (
        create_streamlit_static_handler,
    )

    static = create_streamlit_static_handler(file_util.get_static_dir(), None)
    app = SelectiveGZipMiddleware(static)
    original = Path(file_util.get_static_dir(), "index.html").read_bytes()
    for path in ("/rankings", "/"):
        status, headers, body = _request(app, BROWSER, path=path)
        assert status == 200 and "content-encoding" not in headers, path
        assert body == with_backend_hint(original) != original, path
    status, headers, body = _request(app, FETCH, path="/manifest.json")
    assert BACKEND_HINT not in body
    assert status == 200
    if headers.get("content-encoding") == "gzip":
        assert BACKEND_HINT not in gzip.decompress(body)
