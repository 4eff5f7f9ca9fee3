"""Reading a lead file in chunks of Arrow record batches, so that a file of any size is scored in bounded memory.

Chunk by chunk, the values `load_table` (features/tables.py) reads: CSV cells as text, its missing tokens as
missing, header names stripped; Parquet columns as stored. Arrow's reader is stricter than pandas' (a row shorter
or longer than the header, an undecodable byte or an unclosed quote stop it): whatever it refuses, `load_table`
reads instead, so a bad file fails with the same one line, and a file only pandas reads (short rows, Windows-1252
text) is read as it always was, in memory, the chunks going on from the row where Arrow stopped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.tables import (
    CSV_SUFFIXES,
    MISSING_TOKENS,
    PARQUET_SUFFIXES,
    DataError,
    csv_records,
    head_bytes,
    load_table,
    repeated_name,
    sniff_encoding,
)

MIN_BLOCK = 1 << 14  # bytes; a CSV record longer than a block stops Arrow, and load_table reads the file
# what Arrow's readers raise for a file they will not read (ArrowInvalid is a ValueError, ArrowIOError an OSError)
REFUSED = (pa.ArrowException, ValueError, OSError, EOFError, csv.Error)


@dataclass
class _Arrow:
    """A file opened by Arrow: its batches (every column of a CSV, the asked-for ones of Parquet) and progress."""

    batches: Iterator[pa.RecordBatch]
    names: list[str]  # every column, as the file spells it
    unit: str
    total: int
    done: Callable[[], int]


def _open_csv(path: Path, rows: int) -> _Arrow | None:
    """Arrow's streaming reader on every column as text; None when the header already says load_table must read it."""
    head = head_bytes(path)
    encoding = sniff_encoding(path, head)
    records = csv_records(path, encoding)
    try:
        header = next(records, (0, []))[1]
    except (UnicodeError, csv.Error):
        return None
    finally:
        records.close()
    if not header or repeated_name([name.strip() for name in header]):
        return None
    text = head.decode(encoding, errors="ignore")
    block = max(MIN_BLOCK, len(text.encode()) * rows // max(1, text.count("\n")))  # about `rows` rows a batch
    raw = pa.OSFile(str(path))
    stream = pa.CompressedInputStream(raw, "gzip") if path.suffix.lower() == ".gz" else raw
    reader = pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(
            block_size=block, encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(
                header, pa.string()
            ),  # every column, so every byte is checked as UTF-8
            null_values=MISSING_TOKENS,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    if reader.schema.names != header:
        return None
    return _Arrow(iter(reader), header, "B", raw.size(), raw.tell)


def _open_parquet(path: Path, wanted: list[str] | None, rows: int) -> _Arrow | None:
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    stripped = [name.strip() for name in names]
    if repeated_name(stripped):
        return None
    columns = [name for name, clean in zip(names, stripped, strict=True) if wanted is None or clean in wanted]
    done = 0

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal done
        for batch in parquet.iter_batches(batch_size=rows, columns=columns):
            done += batch.num_rows
            yield batch

    return _Arrow(batches(), names, "lead", parquet.metadata.num_rows, lambda: done)


class TableChunks:
    """A lead file (CSV or Parquet) read in chunks of about `rows` leads, each a record batch of the `wanted`
    columns the file has (None: all), under their stripped names.

    `columns` names every column of the file; `unit`, `total` and `done()` give the progress of reading (bytes of a
    CSV file, rows of a Parquet one). DataError, as `load_table` raises it, for a file that cannot be read.
    """

    def __init__(self, path: str | Path, wanted: Iterable[str] | None, rows: int) -> None:
        self.path = Path(path)
        self.rows = rows
        wanted = None if wanted is None else list(wanted)
        self._frame: pd.DataFrame | None = None
        self._arrow: _Arrow | None = None
        if not self.path.is_file():
            raise DataError(f"data file not found: {self.path}")
        suffix = self.path.suffix.lower()
        try:
            if suffix in CSV_SUFFIXES:
                self._arrow = _open_csv(self.path, rows)
            elif suffix in PARQUET_SUFFIXES:
                self._arrow = _open_parquet(self.path, wanted, rows)
        except DataError:
            raise
        except REFUSED:
            pass
        if self._arrow is None:
            self._frame = load_table(self.path)  # also names a file type it does not read
            self.columns = [str(c) for c in self._frame.columns]
            self.unit, self.total = "lead", len(self._frame)
        else:
            self.columns = [name.strip() for name in self._arrow.names]
            self.unit, self.total = self._arrow.unit, self._arrow.total
        self.wanted = self.columns if wanted is None else [c for c in wanted if c in self.columns]
        self._read = 0

    def done(self) -> int:
        """How far reading has got, in `unit`s of `total`."""
        if self._frame is not None:
            return self.total * self._read // max(1, len(self._frame))
        return self._arrow.done() if self._arrow is not None else 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._arrow is not None:
            stripped = {name.strip(): name for name in self._arrow.names}
            raw = [stripped[c] for c in self.wanted]
            try:
                for batch in self._arrow.batches:
                    self._read += batch.num_rows
                    yield batch.select(raw).rename_columns(self.wanted)
            except REFUSED as error:
                if isinstance(error, DataError):
                    raise
                self._frame, self._arrow = load_table(self.path), None
            else:
                if self._read == 0:
                    raise DataError(f"{self.path}: the file has no rows")
                return
        frame = self._frame
        assert frame is not None
        for start in range(self._read, len(frame), self.rows):
            part = frame.iloc[start : start + self.rows][self.wanted]
            self._read = start + len(part)
            yield pa.RecordBatch.from_pandas(part, preserve_index=False)
