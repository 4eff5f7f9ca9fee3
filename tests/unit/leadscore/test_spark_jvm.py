"""Spark's JVM's standard error as `leadscore score --engine spark` passes it on: the progress bar as it comes, Java's
incubator note dropped, nothing before the JVM serves PySpark, and the reason a JVM that did not start gave."""

from __future__ import annotations

import os
import tempfile
import threading
from collections import deque

from leadscore.spark_jvm import cause, forward

NOTE = b"WARNING: Using incubator modules: jdk.incubator.vector\n"
TRACE = (
    b'Exception in thread "main" org.apache.spark.SparkException: Executor memory must be a positive number\n'
    b"\tat org.apache.spark.deploy.SparkSubmitArguments.error(SparkSubmitArguments.scala:670)\n"
    b"\tat org.apache.spark.deploy.SparkSubmit.main(SparkSubmit.scala)\n"
)


def passed_on(before: list[bytes], after: list[bytes]) -> tuple[bytes, deque[str]]:
    """What `forward` writes of `before` (sent while the JVM starts) and `after` (once it serves), and its tail."""
    read_end, write_end = os.pipe()
    tail: deque[str] = deque(maxlen=40)
    started = threading.Event()
    with tempfile.TemporaryFile() as out:
        reader = threading.Thread(target=forward, args=(read_end, tail, started, out.fileno()))
        reader.start()
        for piece in before:
            os.write(write_end, piece)
        if after:
            started.set()
            for piece in after:
                os.write(write_end, piece)
        os.close(write_end)
        reader.join(timeout=10)
        out.seek(0)
        return out.read(), tail


def test_the_progress_bar_goes_through_and_java_s_note_does_not() -> None:
    bar = [b"\r[Stage 1:>        (0 + 2) / 2]", b"\r[Stage 1:====>   (1 + 1) / 2]", b"\r                \r"]
    written, _ = passed_on([NOTE], [*bar, b"a warning\n"])
    assert written == b"".join(bar) + b"a warning\n"


def test_what_comes_before_the_jvm_serves_is_held_then_shown() -> None:
    written, _ = passed_on([NOTE, b"Spark says hello\n"], [b"\r[Stage 0:>]"])
    assert written == b"Spark says hello\n\r[Stage 0:>]"


def test_a_jvm_that_did_not_start_shows_nothing_and_says_why() -> None:
    written, tail = passed_on([NOTE, TRACE], [])
    assert written == b""
    assert cause(tail) == "Executor memory must be a positive number"
    assert cause(
        ["Error: Master must either be yarn or start with spark, k8s, or local", "Run with --help"]
    ) == ("Master must either be yarn or start with spark, k8s, or local")
    assert cause(["something else entirely"]) is None
