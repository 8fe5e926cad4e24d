"""glue_types: Glue's type widening and rendering."""
import pytest

from lab_helpers.engines.glue.types import json_type, merge_types, render_type


@pytest.mark.parametrize("a,b,expected", [
    ("bigint", "double", "double"), ("int", "bigint", "bigint"), ("smallint", "int", "int"),
    ("boolean", "bigint", "string"), ("string", "double", "string"), (None, "int", "int"),
    ("date", "timestamp", "timestamp"), ("decimal(10,2)", "decimal(12,4)", "decimal(12,4)"),
    ("decimal(10,2)", "bigint", "decimal(10,2)"), ("decimal(10,2)", "double", "double"),
    (("array", "int"), ("array", "double"), ("array", "double")), (("array", "int"), "int", "string"),
])
def test_merge_types_widens(a, b, expected):
    assert merge_types(a, b) == expected


def test_structs_merge_field_by_field_and_render_as_hive_text():
    a = json_type({"x": 1, "y": {"z": [1]}})
    b = json_type({"x": 2.5, "w": None, "y": {"z": [], "q": True}})
    assert render_type(merge_types(a, b)) == "struct<x:double,y:struct<z:array<int>,q:boolean>,w:string>"
    assert render_type(None) == "string" and render_type(("map", "string", "bigint")) == "map<string,bigint>"
