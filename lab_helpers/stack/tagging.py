"""tagging: every resource a notebook creates carries ``labkit:workspace=<guid>`` (or enters the manifest).

Notebooks call plain ``boto3.client(...).create_crawler(...)`` without tags — the same cells run on
a real account. So the kit adds the tag itself: ``install(session, ...)`` registers botocore hooks
on the session notebooks use (boto3's default session; the SageMaker SDK and awswrangler use it
too) that put the workspace tag into every ``Create*`` call that takes tags, tag a new S3 bucket
right after CreateBucket (S3 takes bucket tags in a second call), and record in the workspace
manifest what AWS cannot tag: Glue databases (created by CreateDatabase, by Athena DDL, or by a
crawler whose database does not exist yet) and Glue tables. ``labkit teardown`` then finds all of
it — and nothing else. A hook never fails the learner's call: its own errors are logged.
"""
from __future__ import annotations

import logging
import re
import threading

from .manifest import Manifest
from .names import TAG_KEY

log = logging.getLogger("labkit.tagging")

# (botocore event service name, operation) -> (parameter, shape of the tags parameter)
#   list: [{"Key", "Value"}]   map: {key: value}   lower: [{"key", "value"}]   kms: [{"TagKey", "TagValue"}]
TAGGED_CREATES: dict[tuple[str, str], tuple[str, str]] = {
    ("iam", "CreateRole"): ("Tags", "list"), ("iam", "CreateUser"): ("Tags", "list"),
    ("iam", "CreatePolicy"): ("Tags", "list"),
    ("kms", "CreateKey"): ("Tags", "kms"),
    ("lambda", "CreateFunction"): ("Tags", "map"),
    ("glue", "CreateCrawler"): ("Tags", "map"), ("glue", "CreateJob"): ("Tags", "map"),
    ("athena", "CreateWorkGroup"): ("Tags", "list"),
    ("databrew", "CreateDataset"): ("Tags", "map"), ("databrew", "CreateProject"): ("Tags", "map"),
    ("databrew", "CreateRecipe"): ("Tags", "map"), ("databrew", "CreateRuleset"): ("Tags", "map"),
    ("databrew", "CreateProfileJob"): ("Tags", "map"), ("databrew", "CreateRecipeJob"): ("Tags", "map"),
    ("redshift-serverless", "CreateNamespace"): ("tags", "lower"),
    ("redshift-serverless", "CreateWorkgroup"): ("tags", "lower"),
    ("sagemaker", "CreateTrainingJob"): ("Tags", "list"), ("sagemaker", "CreateModel"): ("Tags", "list"),
    ("sagemaker", "CreateEndpointConfig"): ("Tags", "list"), ("sagemaker", "CreateEndpoint"): ("Tags", "list"),
    ("sagemaker", "CreateNotebookInstance"): ("Tags", "list"),
    ("cloudwatch-logs", "CreateLogGroup"): ("tags", "map"),
    ("secrets-manager", "CreateSecret"): ("Tags", "list"),
    ("kinesis", "CreateStream"): ("Tags", "map"),
    ("firehose", "CreateDeliveryStream"): ("Tags", "list"),
    ("sfn", "CreateStateMachine"): ("tags", "lower"),
}

_IDENT = r'(?:"([^"]+)"|`([^`]+)`|([A-Za-z_][\w]*))'
_CREATE_DB = re.compile(r"^\s*CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _IDENT, re.I)
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:EXTERNAL\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    + _IDENT + r"(?:\s*\.\s*" + _IDENT + r")?", re.I)


def with_tag(value, shape: str, guid: str):
    """The tags parameter with the workspace tag added (a tag the caller set explicitly is kept)."""
    if shape == "map":
        out = dict(value or {})
        out.setdefault(TAG_KEY, guid)
        return out
    key_name, value_name = {"list": ("Key", "Value"), "lower": ("key", "value"), "kms": ("TagKey", "TagValue")}[shape]
    out = list(value or [])
    if not any(t.get(key_name) == TAG_KEY for t in out):
        out.append({key_name: TAG_KEY, value_name: guid})
    return out


def _name(match, first: int) -> str:
    return next((g for g in match.groups()[first:first + 3] if g), "")


def ddl_targets(sql: str, default_database: str = "default") -> list[tuple[str, str, str]]:
    """What an Athena statement would create: [("glue_database", name, ""), ("glue_table", db, name)]."""
    m = _CREATE_DB.match(sql or "")
    if m:
        return [("glue_database", _name(m, 0).lower(), "")]
    m = _CREATE_TABLE.match(sql or "")
    if m:
        first, second = _name(m, 0), _name(m, 3)
        database, table = (first, second) if second else (default_database, first)
        return [("glue_table", database.lower(), table.lower())]
    return []


class _Hooks:
    def __init__(self, session, guid: str, manifest: Manifest, region: str):
        self.session, self.guid, self.manifest, self.region = session, guid, manifest, region
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()

    def _client(self, service: str):
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(service, region_name=self.region)
            return self._clients[service]

    def add_tags(self, params, model, **_):
        try:
            key = (model.service_model.service_id.hyphenize(), model.name)
            param, shape = TAGGED_CREATES[key]
            params[param] = with_tag(params.get(param), shape, self.guid)
        except Exception:  # noqa: BLE001 - tagging must never fail the learner's call
            log.exception("could not add the workspace tag")

    def tag_bucket(self, http_response, parsed, model, context=None, **_):
        if http_response.status_code >= 300:
            return
        bucket = (context or {}).get("labkit_bucket")
        if not bucket:
            return
        try:
            s3 = self._client("s3")
            try:
                tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
            except Exception:  # noqa: BLE001 - NoSuchTagSet: a new bucket has none
                tags = []
            if not any(t["Key"] == TAG_KEY for t in tags):
                s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags + [{"Key": TAG_KEY, "Value": self.guid}]})
        except Exception:  # noqa: BLE001
            log.exception("could not tag bucket %s", bucket)

    def remember_bucket(self, params, context=None, **_):
        if context is not None and isinstance(params, dict):
            context["labkit_bucket"] = params.get("Bucket")

    def _database_exists(self, name: str) -> bool:
        glue = self._client("glue")
        try:
            glue.get_database(Name=name)
            return True
        except glue.exceptions.EntityNotFoundException:
            return False

    def _table_exists(self, database: str, name: str) -> bool:
        glue = self._client("glue")
        try:
            glue.get_table(DatabaseName=database, Name=name)
            return True
        except glue.exceptions.EntityNotFoundException:
            return False

    def record_database(self, http_response, parsed, model, context=None, **_):
        if http_response.status_code < 300 and (context or {}).get("labkit_database"):
            self.manifest.record("glue_database", self.region, name=context["labkit_database"])

    def record_table(self, http_response, parsed, model, context=None, **_):
        if http_response.status_code < 300 and (context or {}).get("labkit_table"):
            self.manifest.record("glue_table", self.region, database=context["labkit_table"][0],
                                 name=context["labkit_table"][1])

    def glue_params(self, params, model, context=None, **_):
        try:
            if model.name == "CreateDatabase":
                context["labkit_database"] = (params.get("DatabaseInput") or {}).get("Name", "").lower()
            elif model.name == "CreateTable":
                context["labkit_table"] = (params.get("DatabaseName", "").lower(),
                                           (params.get("TableInput") or {}).get("Name", "").lower())
            elif model.name == "CreateCrawler":
                db = (params.get("DatabaseName") or "").lower()
                # A crawl creates its database when it is missing: then the database is ours.
                if db and not self._database_exists(db):
                    context["labkit_database"] = db
        except Exception:  # noqa: BLE001
            log.exception("could not prepare the manifest entry")

    def athena_ddl(self, params, model, **_):
        try:
            default_db = ((params.get("QueryExecutionContext") or {}).get("Database") or "default").lower()
            for kind, first, second in ddl_targets(params.get("QueryString", ""), default_db):
                if kind == "glue_database" and not self._database_exists(first):
                    self.manifest.record("glue_database", self.region, name=first)
                elif kind == "glue_table" and not self.manifest.owns("glue_database", self.region, name=first) \
                        and not self._table_exists(first, second):
                    self.manifest.record("glue_table", self.region, database=first, name=second)
        except Exception:  # noqa: BLE001
            log.exception("could not record what an Athena statement creates")


def install(session, guid: str, manifest: Manifest, region: str) -> None:
    """Register the hooks on a boto3 session (idempotent: a second call replaces the first)."""
    hooks = _Hooks(session, guid, manifest, region)
    registrations = [(f"provide-client-params.{service}.{operation}", hooks.add_tags, f"labkit-tag-{service}-{operation}")
                     for service, operation in TAGGED_CREATES]
    registrations += [
        ("provide-client-params.s3.CreateBucket", hooks.remember_bucket, "labkit-bucket-name"),
        ("after-call.s3.CreateBucket", hooks.tag_bucket, "labkit-bucket-tag"),
        ("provide-client-params.glue.CreateDatabase", hooks.glue_params, "labkit-glue-db"),
        ("provide-client-params.glue.CreateTable", hooks.glue_params, "labkit-glue-table"),
        ("provide-client-params.glue.CreateCrawler", hooks.glue_params, "labkit-glue-crawler"),
        ("after-call.glue.CreateDatabase", hooks.record_database, "labkit-glue-db-done"),
        ("after-call.glue.CreateCrawler", hooks.record_database, "labkit-glue-crawler-done"),
        ("after-call.glue.CreateTable", hooks.record_table, "labkit-glue-table-done"),
        ("provide-client-params.athena.StartQueryExecution", hooks.athena_ddl, "labkit-athena-ddl"),
    ]
    events = session.events
    for event, handler, uid in registrations:
        # botocore ignores a second registration under the same unique_id: drop the old hook first.
        events.unregister(event, unique_id=uid)
        events.register(event, handler, unique_id=uid)


def install_default(settings, names) -> None:
    """Hooks on boto3's default session (what ``boto3.client(...)`` in a notebook uses)."""
    import boto3

    from .manifest import for_workspace

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    install(boto3.DEFAULT_SESSION, names.guid, for_workspace(settings, names.guid), settings.region)
