"""A TCP proxy the harness puts in front of one service: passing, slow (each chunk delayed), or
cut (open connections closed, new ones accepted and closed at once)."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(256)
        self.port: int = self.listener.getsockname()[1]
        self.mode = "pass"
        self.delay = 0.0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def passing(self) -> None:
        self.mode, self.delay = "pass", 0.0

    def slow(self, delay: float) -> None:
        self.mode, self.delay = "slow", delay

    def cut(self) -> None:
        self.mode = "cut"
        with self._lock:
            socks = list(self._open)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._open |= {client, upstream}
        peer = {client: upstream, upstream: client}
        try:
            while self.mode != "cut":
                ready, _, _ = select.select([client, upstream], [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if self.mode == "slow" and self.delay:
                        time.sleep(self.delay)
                    peer[s].sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {client, upstream}
            for s in (client, upstream):
                with contextlib.suppress(OSError):
                    s.close()
