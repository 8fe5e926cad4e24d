"""The workshop's DataBrew recipe ``student-ext-2`` (setup/databrew/student-ext-2-recipe.json upstream).

24 steps: 5 inner JOINs (department, school, admit semester, planned graduation semester, parent
education level) and 19 RENAMEs, taking `student` (24 columns) to 47 columns. Built from the SIS
schemas so the column lists in each JOIN match the data set exactly. Lab 05's solution builds the
same steps by hand; tests and benchmarks use this copy. ``RECIPE_NAME`` and the dataset names are the
workshop's: in an account shared with a class, pass the workspace's ``Names`` and the JOIN steps name
its own datasets (``l07-department``), and the recipe is ``names.of(RECIPE_NAME)``.
"""
from __future__ import annotations

import json

from ..datasets.schemas import SIS_SCHEMAS
from .names import Names

RECIPE_NAME = "student-ext-2"
# DataBrew dataset name -> SIS table (two datasets read `semester`)
DATASETS = {"student": "student", "department": "department", "school": "school",
            "admit-semester": "semester", "planned-grad-semester": "semester", "ed-level": "ed_level"}
SEMESTER_FIELDS = ("start_date", "end_date", "term_name", "semester_year", "school_year_name")


def rename(source: str, target: str) -> dict:
    return {"Action": {"Operation": "RENAME", "Parameters": {"sourceColumn": source, "targetColumn": target}}}


def join(left: list[str], dataset: str, left_key: str, right_key: str, join_type: str = "INNER_JOIN",
         names: Names | None = None) -> dict:
    """A JOIN step with the workshop's dataset ``dataset`` (the workspace's, given its ``names``)."""
    right = [f.name for f in SIS_SCHEMAS[DATASETS[dataset]]]
    return {"Action": {"Operation": "JOIN", "Parameters": {
        "joinKeys": json.dumps([{"key": left_key, "value": right_key}]),
        "joinType": join_type,
        "leftColumns": json.dumps(left),
        "rightColumns": json.dumps(right),
        "secondaryDatasetName": names.of(dataset) if names else dataset}}}


def student_ext_2(planned_grad_join: str = "INNER_JOIN", names: Names | None = None) -> list[dict]:
    """The recipe's steps; ``planned_grad_join="LEFT_JOIN"`` keeps students who never enrolled; with
    ``names``, the JOINs name the workspace's datasets."""
    cols = [f.name for f in SIS_SCHEMAS["student"]]
    steps = []

    def do_rename(source, target):
        steps.append(rename(source, target))
        cols[cols.index(source)] = target

    def do_join(dataset, left_key, right_key, kind="INNER_JOIN"):
        steps.append(join(list(cols), dataset, left_key, right_key, kind, names))
        cols.extend(f.name for f in SIS_SCHEMAS[DATASETS[dataset]])

    for col in ("department_id", "admit_semester_id", "planned_grad_semester_id"):
        do_rename(col, f"fk_{col}")
    do_join("department", "fk_department_id", "department_id")
    do_rename("school_id", "fk_school_id")
    do_join("school", "fk_school_id", "school_id")
    do_join("admit-semester", "fk_admit_semester_id", "semester_id")
    do_rename("semester_id", "admit_semester_id")
    for f in SEMESTER_FIELDS:
        do_rename(f, f"first_semester_{f.removeprefix('semester_')}")   # semester_year -> first_semester_year
    do_join("planned-grad-semester", "fk_planned_grad_semester_id", "semester_id", planned_grad_join)
    do_rename("semester_id", "planned_grad_semester_id")
    for f in SEMESTER_FIELDS:
        do_rename(f, f"final_semester_{f.removeprefix('semester_')}")   # semester_year -> final_semester_year
    do_join("ed-level", "parent_highest_ed", "ed_level_id")
    for f in ("ed_level_id", "ed_level_code", "ed_level_desc"):
        do_rename(f, f"parent_{f}")
    return steps


def output_columns() -> list[str]:
    """The 47 column names the recipe produces, in order."""
    cols = [f.name for f in SIS_SCHEMAS["student"]]
    for step in student_ext_2():
        params = step["Action"]["Parameters"]
        if step["Action"]["Operation"] == "RENAME":
            cols[cols.index(params["sourceColumn"])] = params["targetColumn"]
        else:
            cols.extend(json.loads(params["rightColumns"]))
    return cols
