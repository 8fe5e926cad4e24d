"""The workshop's student-ext-2 recipe (5 inner joins, 19 renames) as a recipe job on the generated
SIS data in the Glue Data Catalog, compared with the same joins in pandas; and the row count
the lab explains (the inner join on the planned graduation semester drops the never-enrolled)."""
import io

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lab_helpers import datasets
from lab_helpers.stack import recipes
from lab_helpers.stack.provision import _generated

from .support import BUCKET, ROLE_ARN, read_parquet_objects, run_job

TABLES = ("student", "department", "school", "semester", "ed_level")


@pytest.fixture
def sis(brew):
    s3, glue, db = brew("s3"), brew("glue"), brew("databrew")
    glue.create_database(DatabaseInput={"Name": "db_raw_sisdemo"})
    frames = {}
    for obj in _generated(1.0, 2020):
        table = obj.key.split("/")[2]
        if obj.key.startswith("sisdb/sisdemo/") and table in TABLES:
            s3.put_object(Bucket=BUCKET, Key=obj.key, Body=obj.body)
            frames[table] = pq.read_table(io.BytesIO(obj.body)).to_pandas()
            glue.create_table(DatabaseName="db_raw_sisdemo", TableInput={
                "Name": table, "Parameters": {"classification": "parquet"},
                "StorageDescriptor": {
                    "Columns": [{"Name": f.name, "Type": datasets.glue_type(f.type)} for f in datasets.SIS_SCHEMAS[table]],
                    "Location": f"s3://{BUCKET}/sisdb/sisdemo/{table}/",
                    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    for name, table in recipes.DATASETS.items():
        db.create_dataset(Name=name, Input={"DataCatalogInputDefinition": {"DatabaseName": "db_raw_sisdemo",
                                                                           "TableName": table}})
    return frames


def pandas_student_ext(f, planned_how="inner") -> pd.DataFrame:
    s = f["student"].rename(columns={c: f"fk_{c}" for c in ("department_id", "admit_semester_id",
                                                             "planned_grad_semester_id")})
    s = s.merge(f["department"], left_on="fk_department_id", right_on="department_id").rename(
        columns={"school_id": "fk_school_id"})
    s = s.merge(f["school"], left_on="fk_school_id", right_on="school_id")
    first = f["semester"].rename(columns=lambda c: "admit_semester_id" if c == "semester_id"
                                 else f"first_semester_{c.removeprefix('semester_')}")
    s = s.merge(first, left_on="fk_admit_semester_id", right_on="admit_semester_id")
    final = f["semester"].rename(columns=lambda c: "planned_grad_semester_id" if c == "semester_id"
                                 else f"final_semester_{c.removeprefix('semester_')}")
    s = s.merge(final, how=planned_how, left_on="fk_planned_grad_semester_id", right_on="planned_grad_semester_id")
    ed = f["ed_level"].rename(columns=lambda c: f"parent_{c}")
    return s.merge(ed, left_on="parent_highest_ed", right_on="parent_ed_level_id")


def test_student_ext_2_recipe_job_matches_pandas_and_drops_the_never_enrolled(brew, sis):
    db = brew("databrew")
    db.create_recipe(Name=recipes.RECIPE_NAME, Steps=recipes.student_ext_2())
    db.publish_recipe(Name=recipes.RECIPE_NAME)
    partitions = ["first_semester_school_year_name", "first_semester_term_name"]
    db.create_recipe_job(Name="student-ext-2-recipe-job", DatasetName="student", RoleArn=ROLE_ARN,
                         RecipeReference={"Name": recipes.RECIPE_NAME, "RecipeVersion": "1.0"},
                         Outputs=[{"Location": {"Bucket": BUCKET, "Key": "sisdemo/student_ext_2/"},
                                   "Format": "PARQUET", "CompressionFormat": "SNAPPY", "PartitionColumns": partitions,
                                   "Overwrite": True}])
    run = run_job(db, "student-ext-2-recipe-job")
    assert run["State"] == "SUCCEEDED", run.get("ErrorMessage")
    got = read_parquet_objects(brew("s3"), "sisdemo/student_ext_2/")
    want = pandas_student_ext(sis)
    assert len(got.columns) + len(partitions) == 47 == len(recipes.output_columns())
    assert sorted(got["student_id"]) == sorted(want["student_id"])
    students = sis["student"]
    never = int((students["planned_grad_semester_id"] == 0).sum())
    assert never > 0 and len(got) == len(students) - never
    merged = got.merge(want, on="student_id", suffixes=("", "_pd"))
    for column in ("department_name", "school_name", "parent_ed_level_desc", "final_semester_term_name"):
        assert (merged[column] == merged[f"{column}_pd"]).all(), column


def test_a_left_join_on_the_planned_semester_keeps_every_student(brew, sis):
    db = brew("databrew")
    db.create_recipe(Name="left", Steps=recipes.student_ext_2(planned_grad_join="LEFT_JOIN"))
    db.publish_recipe(Name="left")
    db.create_recipe_job(Name="left-job", DatasetName="student", RoleArn=ROLE_ARN,
                         RecipeReference={"Name": "left", "RecipeVersion": "1.0"},
                         Outputs=[{"Location": {"Bucket": BUCKET, "Key": "left/"}, "Format": "PARQUET",
                                   "Overwrite": True}])
    assert run_job(db, "left-job")["State"] == "SUCCEEDED"
    got = read_parquet_objects(brew("s3"), "left/")
    want = pandas_student_ext(sis, planned_how="left")
    assert len(got) == len(want) == len(sis["student"])
    assert int(got["planned_grad_semester_id"].isna().sum()) == int((sis["student"]["planned_grad_semester_id"] == 0).sum())
