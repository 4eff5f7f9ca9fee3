"""Messy lead files: malformed CSV, other encodings, repeated rows, text labels, empty and id-like features."""

from __future__ import annotations

import gzip
import logging
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.schema import parse_schema
from training.data import DataError, usable_schema, validate_leads
from training.table_file import load_table

TEXT = "lead_id,city,converted\n1,Bogotá,0\n2,Zürich,1\n3,São Paulo,0\n"
CITIES = ["Bogotá", "Zürich", "São Paulo"]


def one_line(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_table(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n", "line 3 has 4 fields but the header has 3"),
        (b"a,b,c\n1,2,3,x\n4,5,6,y\n", "line 2 has 4 fields but the header has 3"),
        (b'a,b,c\n1,2,3\n4,5,6\n7,"8,9\n10,11,12\n', "the quote opened on line 4 is never closed"),
        (b"a,b,a\n1,2,3\n", "names column 'a' twice (columns 1 and 3)"),
        (b"a, b,b \n1,2,3\n", "names column 'b' twice (columns 2 and 3)"),
        (b"", "the file is empty"),
        (b"\n \n\n", "the file is empty"),
        (b"lead_id,converted\n", "the file has no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel .xlsx workbook"),
        (b"PAR1" + bytes(100), "a Parquet file; name it .parquet"),
        (gzip.compress(b"a,b\n1,2\n"), "gzip-compressed; name it .csv.gz"),
        (random.Random(0).randbytes(4000), "not a CSV text file"),
        (b"lead_id,city\n1,Bogot\x81\n", "neither UTF-8 nor Windows-1252 text (byte 0x81 on line 2)"),
    ],
    ids=[
        "long-row",
        "every-row-long",
        "unclosed-quote",
        "column-twice",
        "column-twice-after-strip",
        "empty",
        "blank-lines",
        "header-only",
        "xlsx",
        "parquet-as-csv",
        "gzip-as-csv",
        "binary-garbage",
        "not-text",
    ],
)
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


# ---- repeated leads, text labels ----

SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits"],
        "categorical": ["city"],
        "na_values": ["Select"],
    }
)
N = 60


def table(n: int = N) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "visits": [str(i % 7) for i in range(n)],
            "city": [CITIES[i % 3] for i in range(n)],
            "converted": [str(i % 2) for i in range(n)],
        }
    )


def test_rows_repeated_exactly_are_kept_once_with_a_warning() -> None:
    frame = pd.concat([table(), table().iloc[[4, 9, 9]]], ignore_index=True)
    leads = validate_leads(frame, SCHEMA)
    assert leads.frame["lead_id"].tolist() == table()["lead_id"].tolist()
    assert len(leads.y) == N
    assert leads.warnings == ["3 repeated rows (identical to an earlier row, e.g. lead 'L4') kept once"]


def test_one_id_with_different_rows_is_refused_naming_count_example_and_column() -> None:
    frame = table()
    frame.loc[[10, 11], "lead_id"] = "L3"  # L3 now has three rows that differ in their label or visits
    frame.loc[20, "lead_id"] = "L5"
    with pytest.raises(DataError) as caught:
        validate_leads(frame, SCHEMA)
    assert str(caught.value) == (
        "id column 'lead_id' repeats 2 ids with different values (e.g. 'L3', which differs in 'visits'); "
        "keep one row per lead"
    )


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["yes", "no"], "found 'no' (30), 'yes' (30)"),
        (["Won", "Lost", "0", "1"], "found 'Lost' (15), 'Won' (15)"),
        (["1", "0", "1", "maybe"], "found 'maybe' (15)"),
        (["1", "0", "2", "-1", "x", "y", "0"], "and 1 more values"),
    ],
)
def test_text_in_a_plain_label_names_the_values_and_the_mapping(labels: list[str], expected: str) -> None:
    frame = table().assign(converted=[labels[i % len(labels)] for i in range(N)])
    with pytest.raises(DataError) as caught:
        validate_leads(frame, SCHEMA)
    message = str(caught.value)
    assert message.startswith("label column 'converted' must hold 0/1, found")
    assert expected in message
    assert "label: {column: converted, positive: [...], negative: [...]}" in message


def test_label_mapping_ignores_case_and_space_and_names_the_statuses_left_out() -> None:
    schema = parse_schema(
        SCHEMA.to_dict() | {"label": {"column": "stage", "positive": ["Won"], "negative": ["Lost"]}}
    )
    stages = ["Won", " won", "LOST", "lost ", "maybe", "Open"]
    frame = table(120).drop(columns=["converted"]).assign(stage=[stages[i % 6] for i in range(120)])
    leads = validate_leads(frame, schema)
    assert leads.y.tolist() == [1, 1, 0, 0] * 20
    assert leads.unlabeled == 40
    assert leads.warnings == [
        "label 'stage': 40 leads have a status in neither label.positive nor label.negative and are left out: "
        "'Open' (20), 'maybe' (20)"
    ]


def test_a_label_mapping_that_matches_nothing_names_what_the_column_holds() -> None:
    schema = parse_schema(
        SCHEMA.to_dict() | {"label": {"column": "stage", "positive": ["Won"], "negative": ["Lost"]}}
    )
    frame = table().drop(columns=["converted"]).assign(stage=["Closed Won", "Closed Lost"] * (N // 2))
    with pytest.raises(
        DataError, match=r"only 0 labelled leads in 'stage'.*holds 'Closed Lost' \(30\), 'Closed Won' \(30\)$"
    ):
        validate_leads(frame, schema)


# ---- features without information ----

WIDE = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits", "budget"],
        "boolean": ["newsletter"],
        "categorical": ["city", "region", "cookie"],
        "na_values": ["Select"],
        "groups": {"fit": ["city", "region"], "engagement": ["visits", "newsletter"]},
    }
)


def wide(n: int = 200) -> pd.DataFrame:
    return table(n).assign(
        budget=np.nan, newsletter="", region="Select", cookie=[f"c{i:05d}" for i in range(n)]
    )


def test_empty_features_are_ignored_and_id_like_ones_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        schema, notes = usable_schema(wide(), WIDE)
    assert schema.features == ["visits", "city", "cookie"]
    assert schema.drop == ["budget", "newsletter", "region"]
    assert (
        schema.groups is not None and schema.groups.fit == ["city"] and schema.groups.engagement == ["visits"]
    )
    assert len(notes) == 4
    for column in ("budget", "newsletter", "region"):
        assert f"feature {column!r} has no usable value in any of the 200 training leads" in caplog.text
    assert (
        "feature 'cookie' has 200 different values in 200 training leads, like an identifier" in caplog.text
    )
    assert "'city'" not in caplog.text


def test_a_schema_with_usable_features_only_is_kept_as_is() -> None:
    frame = wide().assign(budget="5", newsletter="yes", region="North", cookie="same")
    assert usable_schema(frame, WIDE) == (WIDE, [])


def test_no_usable_feature_at_all_is_one_line() -> None:
    frame = wide().assign(visits="", city="Select", cookie=None)
    with pytest.raises(DataError, match=r"^no feature has a usable value in the 200 training leads$"):
        usable_schema(frame, WIDE)
