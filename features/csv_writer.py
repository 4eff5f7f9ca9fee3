"""Writing Arrow record batches as CSV, byte for byte what pandas' `to_csv(index=False)` writes for the same columns.

Arrow's own CSV writer quotes every text value and prints small floats positionally (0.00007 where Python writes
7e-05), so files `leadscore score` wrote before would change under their users. Here each column becomes text with
Arrow's compute functions (numbers as Python's repr spells them, text quoted only when it holds a comma, a quote or
a newline, missing as empty) and the rows are joined in Arrow too, so no per-value Python runs but for the rare
floats Arrow spells differently.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NEEDS_QUOTES = r'[,"\n]'  # what Python's csv module (pandas' writer) quotes with lineterminator "\n"
# Arrow's shortest float text is Python's repr for a number with a fraction in this range; outside it, Arrow switches
# between positional and exponent notation elsewhere, and it writes integral floats without ".0"
PLAIN_FLOATS = (1e-4, 1e9)


def _float_text(values: pa.Array) -> pa.Array:
    numbers = values.to_numpy(zero_copy_only=False)  # missing as NaN, written as empty
    text = pc.cast(values, pa.string())
    size = np.abs(numbers)
    odd = ~((size >= PLAIN_FLOATS[0]) & (size < PLAIN_FLOATS[1])) | (numbers == np.trunc(numbers))
    if not odd.any():
        return text
    spelled = [None if n != n else repr(n) for n in numbers[odd].tolist()]
    return pc.replace_with_mask(text, pa.array(odd), pa.array(spelled, pa.string()))


def _quoted(text: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(text, NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    wrapped = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, wrapped, text)


def column_text(values: pa.Array) -> pa.Array:
    """One column as pandas writes its cells (null for an empty cell)."""
    kind = values.type
    if pa.types.is_floating(kind):
        return _float_text(values.cast(pa.float64()))
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.string())
    if pa.types.is_large_string(kind):
        return _quoted(values.cast(pa.string()))
    if not pa.types.is_string(kind):  # booleans, dates, ...: as Python spells them
        values = pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())
    return _quoted(values)


def csv_rows(batch: pa.RecordBatch) -> pa.Buffer:
    """The batch's rows as CSV text, each line ending in a newline."""
    cells = [column_text(column) for column in batch.columns]
    lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", "\n")  # each line, then its newline
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


class CsvWriter:
    """Record batches into one CSV file: the header from the first batch's column names, then every batch's rows."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close(), as ParquetWriter is
        self._header = False

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if not self._header:
            line = io.StringIO()
            csv.writer(line, lineterminator="\n").writerow(batch.schema.names)
            self._file.write(line.getvalue().encode())
            self._header = True
        self._file.write(csv_rows(batch))

    def close(self) -> None:
        self._file.close()
