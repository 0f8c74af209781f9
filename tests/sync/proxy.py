"""A small fault-injecting HTTP proxy for sync tests (127.0.0.1 only, one request per connection).

Faults are planned per path prefix and used up in order:
- ``drop_request``: the connection closes before the hub sees anything;
- ``drop_response``: the hub does the work, the answer never arrives (a lost ack);
- ``cut_response``: half of the answer arrives, then the connection closes;
- ``error_500_before`` / ``error_500_after``: a 500 instead of forwarding / instead of the hub's answer;
- ``duplicate``: the request reaches the hub twice; the client sees the second answer;
- ``delay``: the request waits ``seconds`` before going on.
``on(prefix, fn, nth=N)`` runs ``fn()`` before the Nth matching request is forwarded.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Fault:
    prefix: str
    kind: str
    times: int = 1
    seconds: float = 0.0


@dataclass
class Hook:
    prefix: str
    fn: Callable[[], None]
    nth: int
    seen: int = 0


@dataclass
class FaultProxy:
    upstream_port: int
    faults: list[Fault] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def plan(self, prefix: str, kind: str, times: int = 1, seconds: float = 0.0) -> None:
        with self._lock:
            self.faults.append(Fault(prefix, kind, times, seconds))

    def on(self, prefix: str, fn: Callable[[], None], nth: int = 1) -> None:
        with self._lock:
            self.hooks.append(Hook(prefix, fn, nth))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- one connection -------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.prefix) and fault.times > 0:
                    fault.times -= 1
                    self.applied.append(f"{fault.kind} {path}")
                    return fault
        return None

    def _run_hooks(self, path: str) -> None:
        due = []
        with self._lock:
            for hook in self.hooks:
                if path.startswith(hook.prefix):
                    hook.seen += 1
                    if hook.seen == hook.nth:
                        due.append(hook)
        for hook in due:
            hook.fn()

    def _serve(self, client: socket.socket) -> None:
        request = _read_request(client)
        if request is None:
            return
        head, body, path = request
        with self._lock:
            self.counts[path.split("?")[0]] = self.counts.get(path.split("?")[0], 0) + 1
        self._run_hooks(path)
        fault = self._take_fault(path)
        kind = fault.kind if fault else ""
        if kind == "delay":
            time.sleep(fault.seconds)
        if kind == "drop_request":
            client.close()
            return
        if kind == "error_500_before":
            client.sendall(_error_500())
            client.close()
            return
        answer = self._forward(head, body)
        if kind == "duplicate":
            answer = self._forward(head, body)
        if kind == "drop_response":
            client.close()
            return
        if kind == "error_500_after":
            client.sendall(_error_500())
            client.close()
            return
        if kind == "cut_response":
            client.sendall(answer[: max(1, len(answer) // 2)])
            client.close()
            return
        client.sendall(answer)
        client.close()

    def _forward(self, head: bytes, body: bytes) -> bytes:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60)
        try:
            upstream.sendall(head + body)
            chunks = []
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            upstream.close()


def _read_request(client: socket.socket) -> tuple[bytes, bytes, str] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    path = lines[0].split(b" ")[1].decode()
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"connection":
            continue
        kept.append(line)
    kept.append(b"Connection: close")
    body = rest
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return b"\r\n".join(kept) + b"\r\n\r\n", body, path


def _error_500() -> bytes:
    body = b'{"error":"internal","message":"injected fault"}'
    return (
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + body
    )
