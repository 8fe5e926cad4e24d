"""The public API of lab_helpers.datasets: layout, determinism, scale, writing to disk."""

import functools
import io
import re
from itertools import islice

import pyarrow.parquet as pq
import pytest

from lab_helpers.datasets import (DataObject, LMS_COLUMNS, SIS_SCHEMAS, generate, inventory,
                                  requests_rows, write_dir)
from lab_helpers.datasets.__main__ import main as cli_main

SIS_TABLES = {"university", "school", "department", "ed_level", "semester", "course",
              "faculty", "student", "course_registration", "course_outcome",
              "course_schedule", "degree_plan"}
LMS_TABLES = {"account_dim", "assignment_dim", "assignment_fact", "course_dim",
              "enrollment_dim", "enrollment_fact", "requests", "submission_dim",
              "submission_fact", "user_dim"}
FALL_2020_MONDAYS = ["2020-08-17", "2020-08-24", "2020-08-31", "2020-09-07", "2020-09-14",
                     "2020-09-21", "2020-09-28", "2020-10-05", "2020-10-12", "2020-10-19",
                     "2020-10-26", "2020-11-02", "2020-11-09", "2020-11-16", "2020-11-23",
                     "2020-11-30"]
SPRING_2021_MONDAYS = ["2021-01-18", "2021-01-25", "2021-02-01", "2021-02-08", "2021-02-15",
                       "2021-02-22", "2021-03-01", "2021-03-08", "2021-03-15", "2021-03-22",
                       "2021-03-29", "2021-04-05", "2021-04-12", "2021-04-19", "2021-04-26",
                       "2021-05-03"]
KEY = re.compile(r"lmsapi/(\w+)/process_date=(\d{4}-\d\d-\d\d)/(\w+\.csv)$")


@functools.cache
def default_objects() -> dict[str, bytes]:
    return {obj.key: obj.body for obj in generate()}


def _lms_layout(keys) -> dict[str, dict[str, list[str]]]:
    """table -> process_date -> file names."""
    layout: dict[str, dict[str, list[str]]] = {}
    for key in keys:
        m = KEY.match(key)
        if m:
            layout.setdefault(m[1], {}).setdefault(m[2], []).append(m[3])
    return layout


def _data_rows(body: bytes) -> int:
    return body.count(b"\n") - 1


def test_inventory_has_12_sis_and_141_lms_keys():
    keys = inventory()
    assert len(keys) == 153 == len(set(keys))
    assert keys == sorted(keys)
    sis = [k for k in keys if k.startswith("sisdb/")]
    assert sorted(sis) == sorted(f"sisdb/sisdemo/{t}/LOAD00000001.parquet" for t in SIS_TABLES)
    assert len([k for k in keys if k.startswith("lmsapi/")]) == 141


def test_inventory_lms_partitions_follow_the_workshop_layout():
    layout = _lms_layout(inventory())
    assert set(layout) == LMS_TABLES
    weeks = FALL_2020_MONDAYS + SPRING_2021_MONDAYS
    assert sorted(layout["requests"]) == weeks
    assert all(sorted(files) == ["general.csv", "submissions.csv"]
               for files in layout["requests"].values())
    for table in ("submission_dim", "submission_fact"):
        assert sorted(layout[table]) == weeks
        assert all(len(files) == 1 for files in layout[table].values())
    for table in ("assignment_dim", "assignment_fact", "course_dim", "enrollment_dim",
                  "enrollment_fact"):
        assert sorted(layout[table]) == ["2020-08-17", "2021-01-18"]
    assert list(layout["account_dim"]) == ["2020-08-17"]
    assert sorted(layout["user_dim"]["2020-08-17"]) == ["faculty.csv", "students.csv"]
    counts = {t: sum(len(f) for f in parts.values()) for t, parts in layout.items()}
    assert counts["requests"] == 64 and counts["submission_dim"] == 32
    assert sum(counts.values()) == 141


def test_generate_yields_every_inventory_key_once_in_sorted_order():
    assert list(default_objects()) == inventory()  # dicts keep the order generate() yielded
    assert all(default_objects().values())


def test_generate_is_byte_identical_for_the_same_seed_and_scale():
    again = {obj.key: obj.body for obj in generate(scale=1.0, seed=2020)}
    assert again == default_objects()


def test_generate_differs_for_another_seed():
    other = {obj.key: obj.body for obj in generate(seed=2021)}
    base = default_objects()
    differing = [k for k in base if base[k] != other[k]]
    assert "sisdb/sisdemo/student/LOAD00000001.parquet" in differing
    assert all(k in differing for k in base if "/requests/" in k)
    assert len(differing) > 140  # only fixed reference tables (semester, ed_level, ...) agree


def test_generate_yields_frozen_data_objects():
    obj = next(generate(scale=0.1))
    assert isinstance(obj, DataObject) and isinstance(obj.body, bytes)
    with pytest.raises(AttributeError):
        obj.key = "elsewhere"  # type: ignore[misc]


def test_default_scale_generates_about_a_thousand_students_and_100k_requests():
    objects = default_objects()
    students = pq.read_table(io.BytesIO(objects["sisdb/sisdemo/student/LOAD00000001.parquet"]))
    assert 900 <= students.num_rows <= 1100
    generated = sum(_data_rows(b) for k, b in objects.items() if "/requests/" in k)
    assert generated == requests_rows(1.0)
    assert 50_000 <= generated <= 150_000


def test_scale_grows_rows_but_never_the_keys():
    bigger = {obj.key: obj.body for obj in generate(scale=2.0)}
    base = default_objects()
    assert list(bigger) == list(base)
    big_requests = sum(_data_rows(b) for k, b in bigger.items() if "/requests/" in k)
    assert big_requests == requests_rows(2.0) > requests_rows(1.0)
    for table in ("student", "course_registration"):
        key = f"sisdb/sisdemo/{table}/LOAD00000001.parquet"
        assert (pq.read_metadata(io.BytesIO(bigger[key])).num_rows
                > pq.read_metadata(io.BytesIO(base[key])).num_rows)


def test_requests_rows_reaches_ten_million_around_scale_100():
    assert requests_rows(100) >= 10_000_000
    assert requests_rows(0.5) < requests_rows(1.0) < requests_rows(10.0)


def test_objects_are_generated_lazily_partition_by_partition():
    first = list(islice(generate(scale=0.2), 3))
    assert [o.key for o in first] == inventory()[:3]


@pytest.mark.parametrize("scale", [0, -1.0, "big"])
def test_generate_rejects_a_scale_that_is_not_positive(scale):
    with pytest.raises(ValueError, match="scale"):
        next(generate(scale=scale))


def test_write_dir_writes_every_key_as_a_file(tmp_path):
    keys = write_dir(tmp_path, scale=0.1, seed=5)
    assert keys == inventory()
    assert all((tmp_path / k).is_file() for k in keys)
    assert (tmp_path / keys[0]).read_bytes() == next(generate(scale=0.1, seed=5)).body


def test_module_cli_writes_the_data_set(tmp_path, capsys):
    assert cli_main([str(tmp_path / "out"), "--scale", "0.1", "--seed", "3"]) == 0
    assert "wrote 153 objects" in capsys.readouterr().out
    assert len([p for p in (tmp_path / "out").rglob("*") if p.is_file()]) == 153


def test_public_contracts_cover_every_table():
    assert set(SIS_SCHEMAS) == SIS_TABLES
    assert set(LMS_COLUMNS) == LMS_TABLES
