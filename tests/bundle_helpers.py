"""Running a terminal program the way a person's terminal does: a pseudo-terminal of a set size."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence

CTRL_Q = b"\x11"


def run_in_terminal(
    command: Sequence[str],
    *,
    wait_for: Sequence[str],
    env: dict[str, str],
    size: tuple[int, int] = (120, 36),
    timeout: float = 60,
) -> tuple[bool, int, str]:
    """Start ``command`` on a pty, wait until every text in ``wait_for`` was drawn, press Ctrl+Q.

    Returns (all texts seen, exit status, everything the program wrote).
    """
    columns, rows = size
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        list(command), stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    output = b""
    seen = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:  # the program closed the terminal
                    break
            text = output.decode("utf-8", "replace")
            if not seen and all(want in text for want in wait_for):
                seen = True
                os.write(master, CTRL_Q)
        status = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return seen, status, output.decode("utf-8", "replace")
