"""Where `leadscore score --engine spark` writes: a folder of part files, finished in a hidden folder beside it and
moved into place, through the file system Spark's JVM sees (local, HDFS, S3, ...) or, for a Spark Connect client,
its own disk."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from features.tables import DataError
from leadscore.spark_session import has_jvm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Output:
    """Where the answers go: a folder of part files, Parquet or CSV by --out's suffix."""

    path: str
    parquet: bool

    @classmethod
    def of(cls, out: str) -> Output:
        name = out.rstrip("/").lower()
        if not name.endswith((".csv", ".parquet")):
            raise DataError(f"--out {out}: use a .csv or .parquet name (Spark writes a folder of part files)")
        return cls(out.rstrip("/"), name.endswith(".parquet"))


class Files:
    """The file system of a path as Spark's JVM sees it (local, HDFS, S3, ...), through Hadoop's FileSystem."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        jvm = spark.sparkContext._jvm
        assert jvm is not None
        self._path = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path(path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._path(path)))

    def first_file(self, path: str) -> str | None:
        """The first data file under `path` (itself when a file), hidden and `_SUCCESS`-like files skipped."""
        found = self._fs.listFiles(self._path(path), True)
        while found.hasNext():
            name = str(found.next().getPath().getName())
            if not name.startswith((".", "_")):
                return name
        return None

    def rename(self, source: str, target: str) -> None:
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not move {source} to {target}")

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), True)


class LocalFiles(Files):
    """The same operations on the client's own disk: a Spark Connect client has no JVM to ask."""

    def __init__(self) -> None:
        pass

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def first_file(self, path: str) -> str | None:
        if os.path.isfile(path):
            return os.path.basename(path)
        for _, folders, files in sorted(os.walk(path)):
            folders.sort()
            for name in sorted(files):
                if not name.startswith((".", "_")):
                    return name
        return None

    def rename(self, source: str, target: str) -> None:
        os.replace(source, target)

    def delete(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)


def files_of(spark: SparkSession, path: str) -> Files:
    """The file system `path` is on, as the session reaches it."""
    return Files(spark, path) if has_jvm(spark) else LocalFiles()


def replace_folder(files: Files, partial: str, out: str) -> None:
    """Move the finished `partial` folder to `out`; an older `out` is set aside first and removed only after."""
    old = f"{partial}.old"
    had = files.exists(out)
    if had:
        files.rename(out, old)
    try:
        files.rename(partial, out)
    except Exception:
        if had:
            files.rename(old, out)
        raise
    if had:
        files.delete(old)
