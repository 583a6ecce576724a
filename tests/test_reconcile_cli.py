"""`vlkg reconcile`: text mode and CSV mode (every row and column kept, codes as strings), errors, and the
fallback to building the registry when there is no build."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from vlkg.cli import main
from vlkg.namespaces import ID

DATA = Path(__file__).resolve().parent.parent / "data"
ADDRESS = "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa"


@pytest.fixture(scope="module")
def store(built: Path) -> Path:
    """The real build: `vlkg reconcile` reads its current/units.json.gz."""
    return built


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_text_mode_on_a_date(store: Path) -> None:
    code, out, _ = run("reconcile", ADDRESS, "--date", "2021-12-22", "--store", str(store))
    assert code == 0
    first = out.splitlines()[:3]
    assert first[0].startswith("1. Xã Vĩnh Hùng  (code 15379, from 2004-08-31 until 2025-06-30)  score 100  MATCH")
    assert first[1].strip() == f"{ID}au/15379/2004-08-31"
    assert "parent Huyện Vĩnh Lộc" in first[2] and "valid on 2021-12-22" in first[2]


def test_text_mode_successor(store: Path) -> None:
    code, out, _ = run("reconcile", ADDRESS, "--date", "2026-01-01", "--store", str(store), "--limit", "1")
    assert code == 0
    assert out.startswith("1. Xã Biện Thượng  (code 15382, from 2025-07-01)")
    assert "successor of Xã Vĩnh Hùng (15379) on 2026-01-01" in out
    assert out.count("\n") == 3


def test_text_mode_keywords(store: Path) -> None:
    code, out, _ = run("reconcile", "Minh Tân", "--province", "Thanh Hóa", "--date", "2021-12-22",
                       "--store", str(store))
    assert code == 0 and out.startswith("1. Xã Minh Tân  (code 15382")


def test_text_mode_errors(store: Path) -> None:
    code, _, err = run("reconcile", ADDRESS, "--date", "22.13.2021", "--store", str(store))
    assert code == 2 and "'22.13.2021' is not a date" in err
    code, _, err = run("reconcile", "--store", str(store))
    assert code == 2 and "--csv FILE --column NAME" in err
    code, out, _ = run("reconcile", "99999", "--date", "2021-01-01", "--store", str(store))
    assert code == 1 and "No unit matches '99999' on 2021-01-01" in out


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_csv_mode_keeps_rows_columns_and_codes(store: Path, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [
        ["id", "place", "day", "count", "code"],
        ["001", ADDRESS, "2021-12-22", "0012", "x"],
        ["002", "vinh tan vinh loc", "2010-01-01", "5", ""],
        ["003", "", "", "", ""],
        ["004", "15379", "01/01/2026", "7", "y"],
        ["005", "Minh Tân", "2021-12-22", "1", "z"],
    ])
    out = tmp_path / "out.csv"
    code, stdout, stderr = run("reconcile", "--csv", str(src), "--column", "place", "--date-column", "day",
                               "--out", str(out), "--store", str(store))
    assert code == 0, stderr
    assert stdout == "" and "5 rows, 3 matched with confidence; written to" in stderr
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "place", "day", "count", "code", "iri", "vlkg_code", "label", "valid_from",
                             "valid_through", "score", "match"]
    assert [r["id"] for r in rows] == ["001", "002", "003", "004", "005"]
    assert rows[0]["count"] == "0012" and rows[0]["code"] == "x"
    assert rows[0]["iri"] == f"{ID}au/15379/2004-08-31" and rows[0]["vlkg_code"] == "15379"
    assert rows[0]["match"] == "true" and rows[0]["valid_through"] == "2025-06-30"
    assert rows[1]["label"] == "Xã Vĩnh Tân" and rows[1]["valid_from"] == "2004-08-31"
    assert rows[2]["iri"] == "" and rows[2]["match"] == "false"
    assert rows[3]["label"] == "Xã Biện Thượng" and rows[3]["valid_through"] == ""
    assert rows[4]["match"] == "false"  # Minh Tân: many communes on that day


def test_csv_mode_to_stdout_with_one_date_and_leading_zeros(store: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("\ufeffma,ten\n00919,Xã Minh Tân\n15382,15382\n", encoding="utf-8")
    code, stdout, _ = run("reconcile", "--csv", str(src), "--column", "ma", "--date", "2021-12-22",
                          "--store", str(store))
    assert code == 0
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows[0] == ["ma", "ten", "iri", "code", "label", "valid_from", "valid_through", "score", "match"]
    assert rows[1][:5] == ["00919", "Xã Minh Tân", f"{ID}au/00919/2004-08-31", "00919", "Xã Minh Tân"]
    assert rows[2][3:5] == ["15382", "Xã Minh Tân"]


def test_csv_ragged_rows_keep_every_cell(store: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("a,b\n1,15382,extra\n2\n", encoding="utf-8")
    code, stdout, _ = run("reconcile", "--csv", str(src), "--column", "b", "--date", "2021-12-22",
                          "--store", str(store))
    assert code == 0
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows[0][:4] == ["a", "b", "column 3", "iri"]
    assert rows[1][:5] == ["1", "15382", "extra", f"{ID}au/15382/2019-12-01", "15382"]
    assert rows[2] == ["2", "", "", "", "", "", "", "", "", "false"]


def test_csv_missing_column(store: Path, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [["id", "commune"], ["1", "Minh Tân"]])
    code, _, err = run("reconcile", "--csv", str(src), "--column", "xa", "--store", str(store))
    assert code == 2
    assert "--column 'xa' is not a column of" in err and "its columns are: 'id', 'commune'." in err
    code, _, err = run("reconcile", "--csv", str(src), "--column", "commune", "--date-column", "ngay",
                       "--store", str(store))
    assert code == 2 and "--date-column 'ngay'" in err


def test_csv_bad_date_names_row_and_value(store: Path, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [["commune", "day"], ["Minh Tân", "2021-12-22"], ["Vĩnh Hùng", "next week"]])
    out = tmp_path / "out.csv"
    code, _, err = run("reconcile", "--csv", str(src), "--column", "commune", "--date-column", "day",
                       "--out", str(out), "--store", str(store))
    assert code == 2 and "row 2 (line 3)" in err and "'next week', not a date" in err
    assert not out.exists()


def test_csv_usage_errors(store: Path, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [["commune", "day"], ["Minh Tân", "2021-12-22"]])
    code, _, err = run("reconcile", "--csv", str(src), "--store", str(store))
    assert code == 2 and "--csv needs --column NAME" in err
    code, _, err = run("reconcile", "--csv", str(src), "--column", "commune", "--date", "2021-01-01",
                       "--date-column", "day", "--store", str(store))
    assert code == 2 and "not both" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run("reconcile", "--csv", str(empty), "--column", "commune", "--store", str(store))
    assert code == 2 and "no header row" in err


def test_without_a_build_the_registry_is_built(tmp_path: Path) -> None:
    code, out, err = run("reconcile", "15382", "--date", "2021-12-22", "--store", str(tmp_path / "nowhere"),
                         "--data", str(DATA))
    assert code == 0 and out.startswith("1. Xã Minh Tân  (code 15382")
    assert "No unit index at" in err and "building the registry from" in err
