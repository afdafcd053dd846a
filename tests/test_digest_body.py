"""A large body sent to a server with digest authentication that refuses it unread.

Such a server (Virtuoso's authenticated endpoints do this under load) answers 401 to a
request without credentials and closes the connection while the body is still being
sent, so the client never reads the challenge and every plain retry breaks the same way.
The client then asks for the challenge with a HEAD request and sends the body with its
answer. The server here is a real HTTP server on 127.0.0.1 that checks the digest.
"""

from __future__ import annotations

import hashlib
import http.server
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from channelkg.graph.sparqlclient import SparqlClient

USER, PASSWORD, REALM, NONCE = "dba", "secret", "test realm", "abc123nonce"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (the digest scheme's hash)


class _Handler(http.server.BaseHTTPRequestHandler):
    received: list[int]
    heads: list[bool]

    def log_message(self, *_args: Any) -> None:
        pass

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
        ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
        ha2 = _md5(f"{self.command}:{f.get('uri', '')}")
        want = _md5(f"{ha1}:{NONCE}:{f.get('nc')}:{f.get('cnonce')}:{f.get('qop')}:{ha2}")
        return f.get("username") == USER and f.get("response") == want

    def _refuse(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate",
                         f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5')
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        # Refuse the unread body: a reset, not a graceful close, as a busy server does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")

    def do_HEAD(self) -> None:  # noqa: N802
        if not self._authorized():
            self._refuse()
            return
        self.heads.append(True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:  # noqa: N802
        if not self._authorized():
            self._refuse()
            return
        size = int(self.headers.get("Content-Length", "0"))
        got = 0
        while got < size:
            chunk = self.rfile.read(min(1 << 16, size - got))
            if not chunk:
                break
            got += len(chunk)
        self.received.append(got)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"received": [], "heads": []})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/graph-store?graph=urn:x", handler
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_refused_body_is_sent_again_with_the_answer_to_the_challenge(
        server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    body = b"<urn:a> <urn:b> <urn:c> .\n" * 400_000  # ~10 MB: more than a socket buffers
    client = SparqlClient(url, user=USER, password=PASSWORD, auth="digest", timeout=30)
    client.request(url, method="PUT", data=body,
                   headers={"Content-Type": "application/n-triples"})
    assert handler.received == [len(body)]  # the whole body, read once, with credentials
    assert handler.heads == [True]  # the challenge was fetched without a body
