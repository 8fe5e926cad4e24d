"""databrew: Glue DataBrew jobs that really run, on the local endpoint.

moto stores datasets, recipes (versions, publish), rulesets and jobs; those calls pass through to
it, and this engine patches what moto gets wrong or drops (DescribeDataset's Source,
DescribeJob's JobSample / ProfileConfiguration / profile Outputs, input checks). moto answers
StartJobRun, job runs and every project call with 404: this engine owns them.

- **Datasets** are read as the job's role through the kit's object store (iam_lite applies: a
  role that is not a key user of the bucket's KMS key fails with AccessDenied): S3 files (CSV
  with delimiter / header options, JSON lines or MultiLine, Parquet, ORC; gzip/bz2/zstd files;
  a key or a folder; PathOptions.FilesLimit) and Glue Data Catalog tables (location, partitions,
  SerDe, the catalog's column types).
- **Recipe jobs** run the steps (``recipe``, ``actions``, ``combine``) on Arrow tables with a
  sandboxed DuckDB (no host files, no network, configuration locked): JOIN (seven join types,
  joinKeys, leftColumns/rightColumns, second dataset by name, Input or S3 URL), UNION, GROUP_BY,
  RENAME, DELETE, CHANGE_DATA_TYPE, FILL_WITH_AVERAGE/MEDIAN/MOST_FREQUENT/CUSTOM/EMPTY/NULL,
  REMOVE_MISSING, REMOVE_DUPLICATES, REPLACE_WITH_CUSTOM, REPLACE_TEXT, UPPER_CASE, LOWER_CASE,
  SPLIT_COLUMN_SINGLE_DELIMITER, MERGE, DATE_FORMAT, with ConditionExpressions on the actions that
  change values. A job runs the recipe version it names (RecipeReference) or its project's
  working version. Outputs: CSV / JSON / PARQUET / GLUEPARQUET / ORC, compression, Hive
  PartitionColumns, MaxOutputFiles, Overwrite, CSV delimiter, DataBrew's file names;
  DataCatalogOutputs create or update the Glue table (and its partitions).
- **Profile jobs** write DataBrew's profile JSON (``profile``) for the job sample (CUSTOM_ROWS,
  default 20,000 first rows, or FULL_DATASET) with ProfileColumns and statistic selection, and
  evaluate ValidationConfigurations rulesets into a validation report (``rules``).
- **Runs**: StartJobRun, DescribeJobRun, ListJobRuns, StopJobRun; STARTING → RUNNING →
  SUCCEEDED | FAILED | STOPPING → STOPPED; ExecutionTime, Outputs, ErrorMessage, CloudWatch logs
  in ``/aws-glue-databrew/jobs/<job>`` (a stream per run). Projects: Create/Describe/List/
  Update/Delete, StartProjectSession, SendProjectSessionAction (preview on the sample, or add
  the step to the working recipe).

LIMITATIONS: only the recipe actions listed above (any other step fails the run naming its step
number and action); DataBrew's exact error wording and the JSON inside SendProjectSessionAction's
Result are not documented, so the kit's own wording/format is used; a name kept from both sides
of a JOIN gets a ``_1`` suffix on the second dataset's copy, SPLIT names its parts
``<column>_1..n`` and drops the source column (DataBrew's naming here is unconfirmed); CSV column
types are inferred by Arrow's CSV reader, not Spark's; the job sample takes the first rows (not a
random sample); percentiles are exact, not Spark's approximations; the z-score distribution and
validation report layouts are the kit's; EXCEL, AVRO, XML, TABLEAUHYPER, JDBC datasets and
database outputs, parameterized S3 paths, schedules, job Timeout/MaxRetries, encryption settings
of job outputs (the bucket default applies), changing the tags of a dataset, recipe, job or
ruleset after creation (TagResource/UntagResource work on projects), recipe action "NEST/UNNEST/PIVOT" families are
not emulated; a job reads the whole dataset into memory (fine for lab data and a few million
rows); runs, projects and sessions live in memory and are cleared by reset.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("databrew", op): f"{__name__}.api:{fn}" for op, fn in (
    ("CreateDataset", "create_dataset"), ("UpdateDataset", "update_dataset"),
    ("DescribeDataset", "describe_dataset"), ("ListDatasets", "list_datasets"),
    ("CreateProfileJob", "create_profile_job"), ("CreateRecipeJob", "create_recipe_job"),
    ("UpdateProfileJob", "update_job"), ("UpdateRecipeJob", "update_job"),
    ("DescribeJob", "describe_job"), ("ListJobs", "list_jobs"), ("DeleteJob", "delete_job"),
    ("StartJobRun", "start_job_run"), ("DescribeJobRun", "describe_job_run"), ("ListJobRuns", "list_job_runs"),
    ("StopJobRun", "stop_job_run"),
    ("CreateProject", "create_project"), ("DescribeProject", "describe_project"), ("ListProjects", "list_projects"),
    ("UpdateProject", "update_project"), ("DeleteProject", "delete_project"),
    ("StartProjectSession", "start_project_session"), ("SendProjectSessionAction", "send_project_session_action"),
    ("ListTagsForResource", "list_tags_for_resource"), ("TagResource", "tag_resource"),
    ("UntagResource", "untag_resource"))}
GUARDS: dict = {}
