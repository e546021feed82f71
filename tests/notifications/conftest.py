"""Outside parties for the notification tests, speaking real HTTP and SMTP on loopback.

- ``receiver``: an HTTP server that checks Standard Webhooks signatures with its own
  implementation of the specification (not Guestlist's), records what arrives, and fails
  (an HTTP status, or a stall) on demand;
- ``smtp``: an aiosmtpd SMTP server in this process that keeps every mail it receives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from guestlist.notifications import delivery


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """The receiving side of https://www.standardwebhooks.com/, written from the specification."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secret: str = ""
    requests: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer next, in order
    stall_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            if state.stall_seconds:
                time.sleep(state.stall_seconds)
            signed = state.secret and "webhook-id" in headers
            verified = verify_standard_webhook(state.secret, headers, body) if signed else None
            with state.lock:
                state.requests.append(Received(self.path, headers, body, verified))
                status = state.failures.pop(0) if state.failures else 200
            if verified is False:
                status = 401
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.stall_seconds = 0
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class MailBox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def only(self) -> EmailMessage:
        assert len(self.messages) == 1, [message["Subject"] for message in self.messages]
        return self.messages[0]


@pytest.fixture
def smtp() -> Iterator[MailBox]:
    from aiosmtpd.controller import Controller

    # aiosmtpd narrates every connection at INFO; only its problems matter here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    box = MailBox(port=0)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            box.messages.append(message)
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def use_smtp(api: Client, box: MailBox, **extra: Any) -> None:
    response = api.patch(
        "/api/notifications/smtp",
        data={
            "host": "127.0.0.1",
            "port": box.port,
            "security": "none",
            "from_address": "guestlist@example.com",
            **extra,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def add_destination(api: Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/notifications/destinations", data=fields, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def send_due() -> str:
    """What the job runner's ``deliveries`` job does, run in the test's process."""
    return delivery.process_due(budget_seconds=20)
