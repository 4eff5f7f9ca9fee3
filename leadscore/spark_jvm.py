"""Spark's JVM as `leadscore score --engine spark` starts it on a local or cluster master: its standard error through
a pipe, forwarded to ours as it comes (Spark's progress bar) but for Java's note on the incubator module Spark 4
loads, and its last lines kept, so a JVM that will not start (a --conf value Spark refuses, a bad master URL) gives
one line saying why instead of Java's stack trace and PySpark's "Java gateway process exited"."""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping

from features.tables import DataError

JAVA_NOTE = (
    b"WARNING: Using incubator modules:"  # printed by every Spark 4 JVM at start; says nothing to the user
)
TAIL_LINES, LINE_BYTES = 40, 4096  # kept for the error line: the last lines, each up to its last bytes
PIECES = re.compile(rb"[^\n]*\n|[^\n]+")  # whole lines, and the unfinished one at a chunk's end
# what a JVM that did not start says last: an uncaught exception, or spark-submit's own usage error
CAUSES = (re.compile(r'^Exception in thread "main" [\w.$]+: (.+)$'), re.compile(r"^Error: (.+)$"))


class JvmStartError(DataError):
    """The JVM exited before it served PySpark: the cause it printed, in one line."""


def forward(read_end: int, tail: deque[str], started: threading.Event, write_to: int = 2) -> None:
    """Copy the pipe to `write_to` until the JVM closes it, keeping the last lines in `tail`. Java's incubator note is
    dropped; what comes before `started` is held back, so a JVM that fails to start shows nothing but our error line.
    Partial lines go through at once: Spark's progress bar redraws one line with carriage returns."""
    line, hiding, held = b"", False, bytearray()
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            for piece in PIECES.findall(chunk):
                if not line:
                    hiding = piece.startswith(JAVA_NOTE)
                if not hiding:
                    held += piece
                if held and started.is_set():
                    os.write(write_to, held)
                    held.clear()
                line = (line + piece)[-LINE_BYTES:]
                if line.endswith(b"\n"):
                    tail.append(line.decode("utf-8", "replace").strip())
                    line = b""
    if held and started.is_set():
        os.write(write_to, held)


def cause(lines: Iterable[str]) -> str | None:
    """The reason a JVM gave for not starting, from its last lines."""
    for line in reversed(list(lines)):
        for pattern in CAUSES:
            found = pattern.match(line)
            if found:
                return found.group(1)
    return None


def start_jvm(settings: Mapping[str, str]) -> None:
    """Start Spark's JVM and its SparkContext with `settings` (master and app name included), its standard error
    forwarded; JvmStartError with the JVM's own reason when it exits first."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    started = threading.Event()
    read_end, write_end = os.pipe()
    reader = threading.Thread(
        target=forward, args=(read_end, tail, started), name="spark-jvm-stderr", daemon=True
    )
    reader.start()  # before the JVM writes: a full pipe would stop it
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write_end})
    except Exception as error:
        os.close(write_end)  # the JVM is gone: the reader sees the end of its output
        reader.join(timeout=5)
        raise JvmStartError(cause(tail) or str(error).strip().splitlines()[0]) from error
    os.close(write_end)  # the JVM holds its own end
    started.set()
    SparkContext(conf=conf, gateway=gateway)
