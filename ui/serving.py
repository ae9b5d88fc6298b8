"""How the server hands out the app's HTML: with a hint that tells Streamlit's page where the
server is (ASGI middleware; `server.py` installs it).

Why: opened at a page's own address (`/rankings?scale=规上`, the links officials share, and
every new tab), Streamlit's page first looks for its server under that page's path
(`/rankings/_stcore/health`, a 404), waits for its retry timer, and only then tries the root
(streamlit/streamlit#7074): ~0.1 s before the page can start. The page reads where the server
is from `window.__streamlit.BACKEND_BASE_URL` when that is set, so the hint sets it to the
folder the page's own relative assets (`./static/…`) are loaded from — the server's root,
also behind a proxy that adds a path prefix. A host's own `window.__streamlit` keeps priority.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A constant: nothing from the request goes into the page.
BACKEND_HINT = (
    b"<script>window.__streamlit=Object.assign("
    b'{BACKEND_BASE_URL:new URL(".",window.location.href).href},window.__streamlit)</script>'
)
HEAD_TAG = b"<head>"


def with_backend_hint(html: bytes) -> bytes:
    """`html` with `BACKEND_HINT` as the first thing in its head (unchanged without a head)."""
    return html.replace(HEAD_TAG, HEAD_TAG + BACKEND_HINT, 1)


def _asks_for_html(scope: Scope) -> bool:
    """A browser opening an address (GET, accepting HTML), not a script fetching data."""
    return scope["method"] == "GET" and "text/html" in Headers(scope=scope).get("accept", "")


def _plain_html(message: Message) -> bool:
    """A 200 response start of uncompressed HTML."""
    headers = Headers(raw=message["headers"])
    return (
        message["status"] == 200
        and headers.get("content-type", "").startswith("text/html")
        and "content-encoding" not in headers
    )


class BackendHint:
    """Adds `BACKEND_HINT` to every HTML page the app serves; everything else passes as it is.

    A browser's request for an address is passed on without `Accept-Encoding`, so Streamlit's
    compression (which runs inside this middleware) leaves the ~9 KB page as text to add the
    hint to; whatever else a browser opens by its address (a file link) comes uncompressed too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _asks_for_html(scope):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_hint(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _plain_html(message):
                start = message  # held until the whole body is here
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html = with_backend_hint(b"".join(body))
            response_headers = MutableHeaders(raw=list(start["headers"]))
            response_headers["content-length"] = str(len(html))
            await send({**start, "headers": response_headers.raw})
            await send({"type": "http.response.body", "body": html})

        await self.app({**scope, "headers": headers}, receive, send_with_hint)
