"""Reading a lead table file whole: CSV (its encoding sniffed, malformed rows named by line) or Parquet, cells as text.

Training and ingest read a file this way; `leadscore score` reads it in chunks (features/table_chunks.py), and
whatever that faster reader refuses, this one reads or names in one line.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import logging
import re
import warnings
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import IO, cast

import pandas as pd

log = logging.getLogger(__name__)


class DataError(ValueError):
    """A lead file or table that cannot be read, trained on or scored; the message is one line naming the problem."""


def note_warning(warnings_: list[str], message: str) -> None:
    log.warning(message)
    warnings_.append(message)


# Empty cells and the usual spellings of "no value"; "NA" is left alone because it is also a country code.
CSV_SUFFIXES = frozenset({".csv", ".txt", ".gz"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
MISSING_TOKENS = ["", "NaN", "nan", "NULL", "null", "None", "N/A", "n/a", "#N/A"]
SNIFF_BYTES = 1 << 16
FALLBACK_ENCODING = "cp1252"  # what Excel on Windows writes for "CSV" in Western locales
BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
SIGNATURES = {
    b"PK\x03\x04": "a zip archive, e.g. an Excel .xlsx workbook",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"PAR1": "a Parquet file; name it .parquet",
    b"\x1f\x8b": "gzip-compressed; name it .csv.gz",
    b"%PDF": "a PDF document",
}
MAX_CONTROL_SHARE = 0.01  # a stray control character in free text is not binary data
# control bytes that do not occur in text; tab, newlines, form feed and DOS end-of-file do
CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13, 26}
NEWLINE = b"\n"


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, logged so a run names exactly the data it saw."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_bytes(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def sniff_encoding(path: Path, head: bytes) -> str:
    """The encoding a byte-order mark or UTF-16 zero bytes announce, else UTF-8; binary files are refused."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    for signature, what in SIGNATURES.items():
        if head.startswith(signature):
            raise DataError(f"{path}: not a CSV text file ({what}); export the table as CSV or Parquet")
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    control = sum(1 for byte in head if byte in CONTROL_BYTES)
    if b"\x00" in head or control > MAX_CONTROL_SHARE * len(head):
        raise DataError(
            f"{path}: not a CSV text file ({control} control or zero bytes in the first {len(head):,}); "
            "export the table as CSV or Parquet"
        )
    return "utf-8"


def head_bytes(path: Path) -> bytes:
    """The file's first bytes, refused when there is nothing but whitespace."""
    with _open_bytes(path) as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    return head


def _undecodable(path: Path, encoding: str) -> tuple[str, bool]:
    """Where a file first fails to decode ('byte 0xe1 on line 12'), and whether text before it was non-ASCII."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, non_ascii = 1, False
    with _open_bytes(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                start = max(0, min(error.start, len(block) - 1))
                line += block.count(NEWLINE, 0, start)
                non_ascii = non_ascii or not block[:start].isascii()
                return f"byte 0x{block[start]:02x} on line {line}", non_ascii
            line += block.count(NEWLINE)
            non_ascii = non_ascii or not block.isascii()
    return "at the end of the file", non_ascii


def _parser_problem(error: pd.errors.ParserError) -> str:
    """pandas' tokenizer message as what is wrong and on which line."""
    text = str(error).strip().splitlines()[-1] if str(error).strip() else "cannot be parsed"
    if found := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text):
        width, line, saw = found.groups()
        return f"line {line} has {saw} fields but the header has {width}; quote values that contain commas"
    if found := re.search(r"EOF inside string starting at row (\d+)", text):
        return f"the quote opened on line {int(found.group(1)) + 1} is never closed"
    return text.removeprefix("Error tokenizing data. C error: ")


def csv_records(path: Path, encoding: str) -> Generator[tuple[int, list[str]], None, None]:
    """(line number, fields) per CSV record, as the csv module splits them."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        for record in reader:
            yield reader.line_num, record


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        # with index_col=False pandas drops the extra cells of over-long rows and only warns: refuse instead
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=MISSING_TOKENS,
                encoding=encoding,
                index_col=False,
            )
        except pd.errors.ParserWarning:
            records = csv_records(path, encoding)
            width = len(next(records)[1])
            long = next(
                (f"line {n} has {len(r)} fields" for n, r in records if len(r) > width), "rows are longer"
            )
            raise DataError(
                f"{path}: malformed CSV ({long} but the header has {width}; quote values that contain commas)"
            ) from None


def _decoded_csv(path: Path, encoding: str | None, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Read with the given encoding, or the sniffed one; text that is not UTF-8 falls back to Windows-1252."""
    if encoding is None:
        chosen = sniff_encoding(path, head_bytes(path))
    else:
        try:
            chosen = codecs.lookup(encoding).name
        except LookupError:
            raise DataError(f"unknown encoding {encoding!r}") from None
    try:
        return _read_csv(path, chosen), chosen
    except UnicodeDecodeError:
        where, utf8_before = _undecodable(path, chosen)
        if chosen != "utf-8" or encoding is not None:
            raise DataError(f"{path}: not {chosen} text ({where}); re-save the file as UTF-8") from None
        if utf8_before:  # accented UTF-8 text, then a broken byte: Windows-1252 would garble the rest
            raise DataError(
                f"{path}: UTF-8 text with an invalid {where}; fix that line or re-save the file as UTF-8"
            ) from None
    try:
        frame = _read_csv(path, FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: neither UTF-8 nor Windows-1252 text ({where}); re-save the file as UTF-8"
        ) from None
    note_warning(
        notes,
        f"{path}: not UTF-8 ({where}): read as Windows-1252 (cp1252), as Excel writes it; "
        "re-save the file as UTF-8 if accented letters come out wrong",
    )
    return frame, FALLBACK_ENCODING


def repeated_name(header: list[str]) -> str | None:
    """'the header names column 'a' twice (columns 1 and 3)', or None when every name is different."""
    twice = [name for name, n in Counter(header).items() if n > 1]
    if not twice:
        return None
    where = [i + 1 for i, name in enumerate(header) if name == twice[0]]
    return f"the header names column {twice[0]!r} twice (columns {where[0]} and {where[1]})"


def _check_header_and_rows(path: Path, encoding: str, frame: pd.DataFrame, notes: list[str]) -> None:
    """Refuse a header naming a column twice; warn about rows shorter than the header (read as empty cells)."""
    records = csv_records(path, encoding)
    header = [name.strip() for name in next(records, (0, []))[1]]
    if twice := repeated_name(header):
        raise DataError(f"{path}: {twice}; rename one")
    if not frame.iloc[:, -1].isna().any():
        return  # a short row would have left the last column empty
    short, first = 0, ""
    for line, record in records:
        if 0 < len(record) < len(header):
            short += 1
            first = first or f"line {line} has {len(record)} of {len(header)}"
    if short:
        note_warning(
            notes,
            f"{path}: fewer fields than the header on {short:,} rows ({first}); "
            "their missing cells count as empty",
        )


def load_table(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet lead table; CSV cells are read as text so typing is the schema's job.

    CSV text is decoded as `encoding` when given, else as its byte-order mark says (UTF-8, UTF-16, UTF-32),
    UTF-16 without a mark, or UTF-8, falling back to Windows-1252 with a warning. `frame.attrs` records the
    encoding and the warnings.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    notes: list[str] = []
    used = "parquet"
    try:
        if suffix in PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        elif suffix in CSV_SUFFIXES:
            frame, used = _decoded_csv(path, encoding, notes)
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: malformed CSV ({_parser_problem(error)})") from None
    except (OSError, ValueError) as error:
        if isinstance(error, DataError):
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path}: cannot be read ({first})") from None
    if used != "parquet":
        _check_header_and_rows(path, used, frame, notes)
    if frame.empty:
        raise DataError(f"{path}: the file has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs.update(encoding=used, warnings=notes)
    return frame
