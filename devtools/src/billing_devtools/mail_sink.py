"""The local mail server of `make run`: an SMTP server on loopback that files every message it
accepts as `<dir>/<UTC time>-<Message-ID>.eml`, the mailbox a developer opens to read what the
platform sent. Invoicing talks real SMTP to it, so stopping it is a mail server that is down.

    python -m billing_devtools.mail_sink --port 1025 --dir var/mail
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import tempfile
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FileMailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        message_id = str(message_from_bytes(data, policy=policy.default).get("Message-ID") or "no-id")
        safe = re.sub(r"[^A-Za-z0-9.@_-]+", "_", message_id.strip("<> "))[:150]
        name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{safe}.eml"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self.directory / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mail_sink")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args(argv)
    controller = Controller(FileMailbox(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"mail sink on smtp://127.0.0.1:{args.port}, filing into {args.dir}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
