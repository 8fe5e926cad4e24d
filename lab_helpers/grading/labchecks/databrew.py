"""Checks for lab 05_databrew: datasets, the profile job, the published recipe, the recipe job's
output in the curated zone, and the catalog table over it."""
from __future__ import annotations

from collections import Counter

from botocore.exceptions import ClientError

from ..checks import Check, Part, key_name

# The workshop's names; a check asks ctx.names.of(...) for the workspace's own (scoped in a shared account).
SIS_DATABASE = "db_raw_sisdemo"
DATASETS = {"student": "student", "department": "department", "school": "school",
            "admit-semester": "semester", "planned-grad-semester": "semester", "ed-level": "ed_level"}
PROFILE_JOB = "student-profile-job"
PROJECT = "student-ext-2-project"
RECIPE = "student-ext-2"
RECIPE_JOB = "student-ext-2-recipe-job"
OUTPUT_PREFIX = "sisdemo/student_ext_2/"
PARTITIONS = ["first_semester_school_year_name", "first_semester_term_name"]
CURATED_DB = "db_cur_sisdemo"
TABLE = "student_ext_2"


def _latest_run(databrew, job: str) -> dict | None:
    runs = databrew.list_job_runs(Name=job).get("JobRuns") or []
    return max(runs, key=lambda r: r.get("StartedOn") or 0) if runs else None


def datasets(ctx) -> list[Part]:
    databrew = ctx.client("databrew")
    found = {}
    for page in databrew.get_paginator("list_datasets").paginate():
        found.update({d["Name"]: d for d in page["Datasets"]})
    parts, database = [], ctx.names.of(SIS_DATABASE)
    for base, table in DATASETS.items():
        name = ctx.names.of(base)
        cat = (found.get(name, {}).get("Input") or {}).get("DataCatalogInputDefinition") or {}
        ok = cat.get("DatabaseName") == database and cat.get("TableName") == table
        what = (f"dataset {name} reads {cat.get('DatabaseName')}.{cat.get('TableName')}" if cat
                else f"dataset {name} {'does not read the Data Catalog' if name in found else 'is missing'}")
        parts.append(Part(ok, what, f"Create the dataset {name} on the Data Catalog table {database}.{table}."))
    return parts


def profile_job(ctx) -> list[Part]:
    databrew, s3 = ctx.client("databrew"), ctx.client("s3")
    name, student = ctx.names.of(PROFILE_JOB), ctx.names.of("student")
    try:
        job = databrew.describe_job(Name=name)
    except ClientError:
        return [Part(False, f"no profile job {name}", "Create it with databrew.create_profile_job (step 2).", 3)]
    location = ((job.get("Outputs") or [{}])[0].get("Location")) or {}
    run = _latest_run(databrew, name)
    state = run["State"] if run else "never run"
    hint = "Start the job and wait for it to finish."
    if run and "AccessDenied" in (run.get("ErrorMessage") or ""):
        hint = (f"The job's role is not a key user of {key_name(ctx)} yet: add it to the "
                "key policy, then run the job again.")
    written = []
    if location.get("Bucket"):
        try:
            written = [o["Key"] for o in s3.list_objects_v2(Bucket=location["Bucket"], Prefix=location.get("Key", ""))
                       .get("Contents", []) if o["Key"].endswith(".json")]
        except ClientError:
            written = []
    return [Part(job.get("DatasetName") == student and location.get("Bucket") == ctx.buckets["results"],
                 f"profiles dataset {job.get('DatasetName')} into s3://{location.get('Bucket')}/{location.get('Key', '')}",
                 f"Profile the dataset {student} into the results bucket {ctx.buckets['results']}."),
            Part(state == "SUCCEEDED", f"its latest run is {state}", hint),
            Part(bool(written), f"{len(written)} profile file(s) written", "A successful run writes the profile JSON.")]


def recipe(ctx) -> list[Part]:
    databrew = ctx.client("databrew")
    parts = []
    name, recipe_name, student = ctx.names.of(PROJECT), ctx.names.of(RECIPE), ctx.names.of("student")
    try:
        project = databrew.describe_project(Name=name)
        parts.append(Part(project.get("RecipeName") == recipe_name and project.get("DatasetName") == student,
                          f"project {name} edits recipe {project.get('RecipeName')} on {project.get('DatasetName')}",
                          f"The project should use the dataset {student} and the recipe {recipe_name}."))
    except ClientError:
        parts.append(Part(False, f"no project {name}", "Create the project (step 4)."))
    try:
        published = databrew.describe_recipe(Name=recipe_name, RecipeVersion="LATEST_PUBLISHED")
    except ClientError:
        return parts + [Part(False, f"recipe {recipe_name} has no published version",
                             "Build the steps in the project, then publish the recipe (step 5).", 3)]
    ops = Counter(s["Action"]["Operation"] for s in published.get("Steps") or [])
    inner = all((s["Action"].get("Parameters") or {}).get("joinType") == "INNER_JOIN"
                for s in published.get("Steps") or [] if s["Action"]["Operation"] == "JOIN")
    return parts + [
        Part(True, f"recipe {recipe_name} version {published.get('RecipeVersion')} is published"),
        Part(ops["JOIN"] == 5 and inner, f"{ops['JOIN']} JOIN steps (expected 5 inner joins)",
             "Join department, school, admit-semester, planned-grad-semester and ed-level."),
        Part(ops["RENAME"] == 19, f"{ops['RENAME']} RENAME steps (expected 19)",
             "Rename the three foreign keys, school_id, and the columns each join brings in.")]


def recipe_job(ctx) -> list[Part]:
    databrew, s3 = ctx.client("databrew"), ctx.client("s3")
    name, recipe_name = ctx.names.of(RECIPE_JOB), ctx.names.of(RECIPE)
    try:
        job = databrew.describe_job(Name=name)
    except ClientError:
        return [Part(False, f"no recipe job {name}", "Create it with databrew.create_recipe_job (step 6).", 3)]
    out = (job.get("Outputs") or [{}])[0]
    location = out.get("Location") or {}
    where = f"s3://{location.get('Bucket')}/{location.get('Key', '')}"
    want = f"s3://{ctx.buckets['curated']}/{OUTPUT_PREFIX}"
    run = _latest_run(databrew, name)
    files = []
    if location.get("Bucket") == ctx.buckets["curated"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.buckets["curated"], Prefix=OUTPUT_PREFIX):
            files += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".parquet")]
    partitioned = bool(files) and all(f"/{PARTITIONS[0]}=" in f and f"/{PARTITIONS[1]}=" in f for f in files)
    return [Part((job.get("RecipeReference") or {}).get("Name") == recipe_name and where.rstrip("/") + "/" == want,
                 f"runs recipe {(job.get('RecipeReference') or {}).get('Name')} into {where}",
                 f"Run the published {recipe_name} and write to {want}"),
            Part(out.get("Format") in ("PARQUET", "GLUEPARQUET") and list(out.get("PartitionColumns") or []) == PARTITIONS,
                 f"writes {out.get('Format', 'CSV')} partitioned by {', '.join(out.get('PartitionColumns') or []) or 'nothing'}",
                 f"Write Parquet partitioned by {', '.join(PARTITIONS)}."),
            Part(bool(run) and run["State"] == "SUCCEEDED", f"its latest run is {run['State'] if run else 'never run'}",
                 "Start the job and wait for SUCCEEDED; a FAILED run's ErrorMessage says why."),
            Part(partitioned, f"{len(files)} Parquet file(s) in partition folders under {want}",
                 "A successful run writes them.")]


def curated_table(ctx) -> list[Part]:
    glue, database = ctx.client("glue"), ctx.names.of(CURATED_DB)
    try:
        table = glue.get_table(DatabaseName=database, Name=TABLE)["Table"]
    except ClientError:
        return [Part(False, f"no table {database}.{TABLE}", f"Crawl the job's output folder {OUTPUT_PREFIX} of the "
                                                           f"curated bucket into {database} (step 7).", 2)]
    columns = table["StorageDescriptor"].get("Columns", [])
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    partitions = sum(len(p["Partitions"]) for p in glue.get_paginator("get_partitions").paginate(
        DatabaseName=database, TableName=TABLE))
    return [Part(len(columns) + len(keys) == 47, f"{len(columns)} columns + {len(keys)} partition keys "
                                                 "(the recipe makes 47)", "Run the crawler again after the job."),
            Part(keys == PARTITIONS and partitions > 0, f"partitioned by {', '.join(keys) or 'nothing'}, "
                                                         f"{partitions} partitions",
                 "The recipe job must write partition folders before the crawl.")]


CHECKS = [
    Check("datasets", "six DataBrew datasets on the SIS tables of the Data Catalog", datasets, 10),
    Check("profile_job", "a successful profile of student in the results zone", profile_job, 10),
    Check("recipe", "the published student-ext-2 recipe (5 joins, 19 renames)", recipe, 10),
    Check("recipe_job", "the recipe job wrote partitioned Parquet to the curated zone", recipe_job, 10),
    Check("curated_table", "db_cur_sisdemo.student_ext_2 in the Data Catalog", curated_table, 10),
]
