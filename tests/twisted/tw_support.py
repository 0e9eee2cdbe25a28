"""Helpers shared by the Twisted shim tests (imported as ``tw_support``)."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

ROOT = Path(__file__).resolve().parents[2]
README_DIR = Path(__file__).resolve().parent / "readme"


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port (the README examples use the default ports)."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def run_example(name: str, on_line: Optional[Callable[[str], None]] = None,
                timeout: float = 40.0, replace: Optional[dict[str, str]] = None) -> str:
    """Run a README example as a script (its own process and reactor); return its stdout.

    stderr (the library's log lines) is kept apart and shown only when the script fails.
    ``on_line`` sees each stdout line as it arrives (to kill a server at the right moment).
    ``replace`` substitutes exact text first (only for host names that do not exist here).
    """
    script = README_DIR / name
    if replace:
        text = script.read_text()
        for old, new in replace.items():
            assert old in text, old
            text = text.replace(old, new)
        tmpdir = Path(tempfile.mkdtemp(prefix="readme-"))
        script = tmpdir / name
        script.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=err, text=True, env=env, cwd=str(ROOT))
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    reader.join(5)
    err.seek(0)
    log = err.read()
    err.close()
    out = "".join(lines)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}{log}"
    return out


@contextmanager
def no_running_loop() -> Iterator[None]:
    """No asyncio loop is running, as in a program on another reactor (pytest-twisted runs each
    test inside the asyncio reactor, whose loop would otherwise count as running)."""
    saved = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(saved)


def without_asyncio_loop(test: Callable[[], None]) -> Callable[[], None]:
    """Run the test's body with no asyncio loop running."""

    @functools.wraps(test)
    def run() -> None:
        with no_running_loop():
            test()

    return run


def fired(d: Any) -> Any:
    """The result of a Deferred that has already fired (its failure raised); asserts it fired."""
    out: list[Any] = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    if hasattr(out[0], "raiseException"):
        out[0].raiseException()
    return out[0]
