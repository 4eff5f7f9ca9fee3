"""Reading lead files, whole and in chunks: malformed CSV, other encodings, Parquet; every problem one line naming the file."""

from __future__ import annotations

import gzip
import logging
import random
from pathlib import Path

import pandas as pd
import pytest

from features.table_chunks import TableChunks
from features.tables import DataError, file_digest, load_table

TEXT = "lead_id,city,converted\n1,Bogotá,0\n2,Zürich,1\n3,São Paulo,0\n"
CITIES = ["Bogotá", "Zürich", "São Paulo"]
N = 100


def leads(n: int = N) -> pd.DataFrame:
    """A lead table as load_table returns a CSV: every cell text."""
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:03d}" for i in range(n)],
            "converted": [str(i % 2) for i in range(n)],
            "created_at": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d").tolist(),
            "page_views": [str(i % 7) for i in range(n)],
            "requested_demo": ["yes", "no"] * (n // 2),
            "country": ["NA", "US", "Select", "DE"] * (n // 4),
            "notes": ["called"] * n,
        }
    )


def one_line(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_table(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


MALFORMED = {  # id: (what the file holds, what its one-line error says)
    "long-row": (b"a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n", "line 3 has 4 fields but the header has 3"),
    "every-row-long": (b"a,b,c\n1,2,3,x\n4,5,6,y\n", "line 2 has 4 fields but the header has 3"),
    "unclosed-quote": (
        b'a,b,c\n1,2,3\n4,5,6\n7,"8,9\n10,11,12\n',
        "the quote opened on line 4 is never closed",
    ),
    "column-twice": (b"a,b,a\n1,2,3\n", "names column 'a' twice (columns 1 and 3)"),
    "column-twice-after-strip": (b"a, b,b \n1,2,3\n", "names column 'b' twice (columns 2 and 3)"),
    "empty": (b"", "the file is empty"),
    "blank-lines": (b"\n \n\n", "the file is empty"),
    "header-only": (b"lead_id,converted\n", "the file has no rows"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel .xlsx workbook"),
    "parquet-as-csv": (b"PAR1" + bytes(100), "a Parquet file; name it .parquet"),
    "gzip-as-csv": (gzip.compress(b"a,b\n1,2\n"), "gzip-compressed; name it .csv.gz"),
    "binary-garbage": (random.Random(0).randbytes(4000), "not a CSV text file"),
    "not-text": (b"lead_id,city\n1,Bogot\x81\n", "neither UTF-8 nor Windows-1252 text (byte 0x81 on line 2)"),
}


@pytest.mark.parametrize(("content", "expected"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_csv_is_one_line_naming_file_and_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    assert expected in one_line(path)


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16", b"", "utf-16"),
        ("utf-16-le", b"", "utf-16-le"),
        ("utf-16-be", b"", "utf-16-be"),
        ("utf-32", b"", "utf-32"),
    ],
)
def test_unicode_files_read_alike(tmp_path: Path, encoding: str, prefix: bytes, detected: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(prefix + TEXT.encode(encoding))
    frame = load_table(path)
    assert list(frame.columns) == ["lead_id", "city", "converted"]  # no byte-order mark in the first name
    assert frame["city"].tolist() == CITIES
    assert frame.attrs["encoding"] == detected
    assert frame.attrs["warnings"] == []


@pytest.mark.parametrize("name", ["leads.csv", "leads.csv.gz"])
def test_windows_1252_is_read_with_a_warning_naming_the_line(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    text = TEXT + "4,Smart quotes \u201cok\u201d \u2013 \u20ac,1\n"
    raw = text.encode("cp1252")
    path = tmp_path / name
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    with caplog.at_level(logging.WARNING):
        frame = load_table(path)
    assert frame["city"].tolist() == [*CITIES, "Smart quotes \u201cok\u201d \u2013 \u20ac"]
    assert frame.attrs["encoding"] == "cp1252"
    [warning] = frame.attrs["warnings"]
    assert "not UTF-8 (byte 0xe1 on line 2): read as Windows-1252" in warning
    assert warning in caplog.text


def test_utf8_with_one_broken_byte_is_refused_rather_than_garbled(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(TEXT.encode("utf-8") + b"4,Medell\xedn,1\n")
    assert "UTF-8 text with an invalid byte 0xed on line 5; fix that line" in one_line(path)


def test_an_explicit_encoding_wins_and_a_wrong_one_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(TEXT.encode("utf-8"))
    assert load_table(path, encoding="latin-1")["city"].iloc[0] == "BogotÃ¡"  # asked for, so no guessing
    path.write_bytes(TEXT.encode("cp1252"))
    with pytest.raises(DataError, match=r"not utf-8 text \(byte 0xe1 on line 2\)"):
        load_table(path, encoding="utf-8")
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        load_table(path, encoding="klingon")


def test_short_rows_count_as_empty_cells_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"lead_id,city,converted\n1,Lima,0\n2,Quito\n3,Cusco,1\n4\n5,,\n")
    frame = load_table(path)
    assert frame["city"].tolist()[:3] == ["Lima", "Quito", "Cusco"]
    assert frame["city"].isna().tolist() == [False, False, False, True, True]
    assert frame["converted"].isna().tolist() == [False, True, False, True, True]
    [warning] = frame.attrs["warnings"]
    assert "fewer fields than the header on 2 rows (line 3 has 2 of 3)" in warning


def test_trailing_delimiters_and_quoted_newlines_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b'lead_id,note,converted\r\n1,"two\r\nlines",0,\r\n2,"say ""hi""",1,\r\n')
    frame = load_table(path)
    assert frame["note"].tolist() == ["two\r\nlines", 'say "hi"']
    assert frame["converted"].tolist() == ["0", "1"]
    assert frame.attrs["warnings"] == []


def test_csv_loads_as_text(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    leads().to_csv(path, index=False)
    frame = load_table(path)
    assert frame.shape == (N, 7)
    assert frame.loc[3, "page_views"] == "3"
    assert frame.loc[0, "lead_id"] == "L000"


def test_parquet_loads(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    table = leads().assign(page_views=lambda f: f["page_views"].astype(int))
    table.to_parquet(path, index=False)
    frame = load_table(path)
    assert frame.shape == (N, 7)
    assert frame["page_views"].tolist() == table["page_views"].tolist()
    assert frame.loc[0, "country"] == "NA"


def test_na_is_a_country_while_blank_null_and_n_a_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,country\n1,NA\n2,\n3,NULL\n4,N/A\n5,US\n", encoding="utf-8")
    frame = load_table(path)
    assert frame["country"].isna().tolist() == [False, True, True, True, False]
    assert frame["country"].iloc[[0, 4]].tolist() == ["NA", "US"]


def test_header_names_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(" lead_id , country\n1,US\n", encoding="utf-8")
    assert list(load_table(path).columns) == ["lead_id", "country"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("leads.csv", None, "not found"),
        ("leads.csv", b"", "empty"),
        ("leads.csv", b"lead_id,converted\n", "no rows"),
        ("leads.xlsx", b"lead_id,converted\n1,0\n", "unsupported file type '.xlsx'"),
        ("leads.csv", b"lead_id,city\n1,Bogot\x81\n", "neither UTF-8 nor Windows-1252"),
        ("leads.csv", b"lead_id,company,converted\n1,Acme,0\n2,Acme, Inc.,1\n", "malformed CSV"),
        ("leads.csv", b'lead_id,company\n1,"Acme\n2,Initech\n', "malformed CSV"),
        ("leads.parquet", b"PAR1 this is not parquet", "cannot be read"),
    ],
    ids=[
        "missing",
        "empty",
        "header-only",
        "xlsx",
        "not-text",
        "unquoted-comma",
        "unclosed-quote",
        "bad-parquet",
    ],
)
def test_unreadable_files_are_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert expected in one_line(path)


def test_file_digest_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    leads().to_csv(path, index=False)
    first = file_digest(path)
    assert file_digest(path) == first
    assert len(first) == 64
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    assert file_digest(copy) == first
    path.write_text(path.read_text().replace("L042", "L420"))
    assert file_digest(path) != first


# ---- in chunks (leadscore score) ----


def in_chunks(path: Path, wanted: list[str] | None = None, rows: int = 2) -> pd.DataFrame:
    """The file as TableChunks reads it, the chunks put back together."""
    return pd.concat([batch.to_pandas() for batch in TableChunks(path, wanted, rows)], ignore_index=True)


def cells(frame: pd.DataFrame) -> list[list[object]]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def read_alike(path: Path) -> None:
    """Whole and in chunks, the same columns and cells, or the same one-line error."""
    try:
        whole = load_table(path)
    except DataError as error:
        with pytest.raises(DataError) as caught:
            in_chunks(path)
        assert str(caught.value) == str(error)
        return
    chunked = in_chunks(path)
    assert list(chunked.columns) == list(whole.columns)
    assert cells(chunked) == cells(whole)


FILES = {  # id: (file name, what it holds)
    **{key: ("leads.csv", content) for key, (content, _) in MALFORMED.items()},
    "missing": ("leads.csv", None),
    "xlsx-name": ("leads.xlsx", b"lead_id,converted\n1,0\n"),
    "bad-parquet": ("leads.parquet", b"PAR1 this is not parquet"),
    "unquoted-comma": ("leads.csv", b"lead_id,company,converted\n1,Acme,0\n2,Acme, Inc.,1\n"),
    "text": ("leads.csv", leads().to_csv(index=False).encode()),
    "gzip": ("leads.csv.gz", gzip.compress(leads().to_csv(index=False).encode())),
    "missing-tokens": ("leads.csv", b'lead_id,country\n1,NA\n2,\n3,NULL\n4,N/A\n5,US\n6,""\n7,"NULL"\n8, \n'),
    "header-spaces": ("leads.csv", b" lead_id , country\n1,US\n"),
    **{enc: ("leads.csv", TEXT.encode(enc)) for enc in ("utf-16", "utf-16-le", "utf-16-be", "utf-32")},
    "utf-8-bom": ("leads.csv", b"\xef\xbb\xbf" + TEXT.encode()),
    "windows-1252": (
        "leads.csv",
        (TEXT + "4,Smart quotes \u201cok\u201d \u2013 \u20ac,1\n").encode("cp1252"),
    ),
    "broken-utf8": ("leads.csv", TEXT.encode() + b"4,Medell\xedn,1\n"),
    "short-rows": ("leads.csv", b"lead_id,city,converted\n1,Lima,0\n2,Quito\n3,Cusco,1\n4\n5,,\n"),
    "quoted-newlines": (
        "leads.csv",
        b'lead_id,note,converted\r\n1,"two\r\nlines",0,\r\n2,"say ""hi""",1,\r\n',
    ),
    "carriage-returns": ("leads.csv", b"lead_id,note\r1,a\r2,b\r"),
    "no-final-newline": ("leads.csv", b"lead_id,note\n1,a\n2,b"),
}


@pytest.mark.parametrize(("name", "content"), list(FILES.values()), ids=list(FILES))
def test_chunks_read_what_the_whole_file_reads_or_fail_alike(
    tmp_path: Path, name: str, content: bytes | None
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    read_alike(path)


STREAMED = ["text", "gzip", "missing-tokens", "header-spaces", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
STREAMED += ["utf-8-bom", "carriage-returns", "no-final-newline"]


@pytest.mark.parametrize("case", STREAMED)
def test_well_formed_csv_files_stream_rather_than_load_whole(tmp_path: Path, case: str) -> None:
    name, content = FILES[case]
    path = tmp_path / name
    path.write_bytes(content or b"")
    chunks = TableChunks(path, None, 2)
    assert chunks.unit == "B"  # progress in bytes read: Arrow's reader, not load_table
    assert sum(len(batch) for batch in chunks) == len(load_table(path))


def test_parquet_chunks_keep_the_stored_types_and_only_the_columns_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    table = leads().assign(page_views=lambda f: f["page_views"].astype(int), opened=[1.5, None] * (N // 2))
    table.to_parquet(path, index=False)
    read_alike(path)
    chunked = in_chunks(path, ["page_views", "lead_id", "absent"], rows=30)
    assert list(chunked.columns) == ["page_views", "lead_id"]  # asked for and present, in the order asked
    assert chunked["page_views"].tolist() == table["page_views"].tolist()
    assert [len(batch) for batch in TableChunks(path, None, 30)] == [30, 30, 30, 10]


def test_a_big_file_streams_and_a_late_short_row_goes_on_where_arrow_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = ["lead_id,page_views,city,note"]
    lines += [f"L{i:05d},{i % 7},City {i % 13},{'NULL' if i % 5 == 0 else 'x'}" for i in range(20_000)]
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n")
    sizes = [len(batch) for batch in TableChunks(path, ["lead_id", "city"], 1000)]
    assert sum(sizes) == 20_000 and len(sizes) > 10  # Arrow's chunks, about 1,000 leads each
    read_alike(path)

    lines[18_000] = (
        "L17999,3"  # Arrow refuses a short row: load_table reads it (with a warning) from there on
    )
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        read_alike(path)
    assert "fewer fields than the header on 1 rows (line 18001 has 2 of 4)" in caplog.text
