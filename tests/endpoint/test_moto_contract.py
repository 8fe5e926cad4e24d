"""The moto internals lab_helpers/endpoint/moto/ relies on, pinned against moto 5.2.5.

One test per internal (attribute, class, function, backend field) the package reads or writes.
When a moto upgrade breaks one, the failure names the package function to fix (``FIX:``).
Resources are created through moto's own API, in-process (``moto.call`` + ``derived_request``),
so these tests also pin the seam behind ``EngineContext.call_moto``.
"""
from __future__ import annotations

import inspect
import io
import json
import tomllib
import zipfile
from pathlib import Path

import pytest

from lab_helpers.endpoint import moto
from lab_helpers.endpoint.moto import athena as moto_athena
from lab_helpers.endpoint.moto import awslambda as moto_lambda
from lab_helpers.endpoint.moto import glue as moto_glue
from lab_helpers.endpoint.moto import iam as moto_iam
from lab_helpers.endpoint.moto import kms as moto_kms
from lab_helpers.endpoint.moto import s3 as moto_s3
from lab_helpers.endpoint.moto import sts as moto_sts

ACCOUNT = "123456789012"
REGION = "us-east-1"
PINNED = "5.2.5"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def app():
    return moto.make_app()


def headers(service: str, access_key: str = "test") -> dict[str, str]:
    """What call() needs of a signed request: the credential scope (service, region) and a host."""
    return {"authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/20250101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0", "host": "127.0.0.1:4566"}


def api(app, service: str, operation: str, **params) -> moto.MotoAnswer:
    return moto.call(app, *moto.derived_request(service, operation, params, headers(service)))


def ok(answer: moto.MotoAnswer) -> moto.MotoAnswer:
    assert answer.ok, (answer.status, answer.body[:300])
    return answer


# --- core (lab_helpers/endpoint/moto/__init__.py) -------------------------------------------------

def test_moto_is_the_pinned_version():
    pins = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert f"moto[server]=={PINNED}" in pins["project"]["dependencies"]
    assert moto.MOTO_VERSION == PINNED, (
        f"moto {moto.MOTO_VERSION} is installed, the contract was written for {PINNED}: run this file, "
        "fix what fails in lab_helpers/endpoint/moto/, then update PINNED and the pyproject pin")


def test_default_account_id_is_the_kits_account():
    # FIX: ACCOUNT_ID (every backend lookup is keyed by it)
    from moto.core import DEFAULT_ACCOUNT_ID

    assert DEFAULT_ACCOUNT_ID == moto.ACCOUNT_ID == ACCOUNT


def test_request_handler_is_a_werkzeug_request_handler():
    # FIX: REQUEST_HANDLER (server.py serves with it: it keeps S3 metadata headers with underscores)
    from werkzeug.serving import WSGIRequestHandler

    assert issubclass(moto.REQUEST_HANDLER, WSGIRequestHandler)
    assert "make_environ" in vars(moto.REQUEST_HANDLER)


def test_make_app_dispatches_by_the_credential_scope_in_process(app):
    # FIX: make_app, call (moto picks the backend from Authorization's credential scope)
    answer = ok(api(app, "glue", "GetDatabases"))
    assert answer.json() == {"DatabaseList": []}
    assert answer.header("Content-Type").startswith("application/x-amz-json")


def test_call_reads_json_error_codes(app):
    # FIX: MotoAnswer.error_code / error_message for JSON protocols (x-amzn-ErrorType or __type)
    answer = api(app, "glue", "GetCrawler", Name="nope")
    assert answer.status == 400
    assert answer.error_code == "EntityNotFoundException"
    assert "nope" in answer.error_message


def test_call_reads_xml_error_codes(app):
    # FIX: MotoAnswer.error_code / error_message for XML protocols (<Code>)
    answer = api(app, "s3", "GetObject", Bucket="no-such-bucket", Key="k")
    assert answer.status == 404
    assert answer.error_code == "NoSuchBucket"
    assert answer.error_message == "The specified bucket does not exist"


def test_call_keeps_percent_encoded_s3_keys_through_raw_uri(app):
    # FIX: call's RAW_URI (moto matches S3 routes against the path as it arrived, encoded)
    ok(api(app, "s3", "CreateBucket", Bucket="raw-uri"))
    key = "dir/a b+c%2Fd?.txt"
    ok(api(app, "s3", "PutObject", Bucket="raw-uri", Key=key, Body=b"x"))
    assert [k for k, _ in moto_s3._backend().get_bucket("raw-uri").keys.items()] == [key]
    assert ok(api(app, "s3", "GetObject", Bucket="raw-uri", Key=key)).body == b"x"


def test_moto_api_backend_reset_wipes_every_backend(app):
    # FIX: reset
    from moto.glue.models import glue_backends

    ok(api(app, "glue", "CreateDatabase", DatabaseInput={"Name": "gone"}))
    assert "gone" in glue_backends[ACCOUNT][REGION].databases
    moto.reset()
    assert "gone" not in glue_backends[ACCOUNT][REGION].databases


def test_operation_implemented_finds_moto_responses_methods():
    # FIX: operation_implemented (moto.<package>.responses classes with snake_case methods)
    assert moto.operation_implemented("glue", "GetCrawler") is True
    assert moto.operation_implemented("lambda", "Invoke") is True               # lambda -> awslambda
    assert moto.operation_implemented("sagemaker-runtime", "InvokeEndpoint") is True
    assert moto.operation_implemented("redshift-data", "ExecuteStatement") is True
    assert moto.operation_implemented("no-such-service", "Anything") is False


@pytest.mark.parametrize("service, operation, engine", [
    ("glue", "UpdateCrawler", "moto/glue.py: update_glue_crawler"),
    ("athena", "UpdateWorkGroup", "moto/athena.py: update_athena_work_group"),
])
def test_moto_still_lacks_the_writes_the_package_patches_in(service, operation, engine):
    # When moto implements one of these, its engine handler and the adapter function can go.
    assert moto.operation_implemented(service, operation) is None, f"moto now has {operation}: drop {engine}"


def test_bucket_policy_evaluation_is_fakebucket_get_permission(app):
    # FIX: disable_bucket_policy_evaluation (moto's S3 asks FakeBucket.get_permission on writes)
    from moto.iam.access_control import PermissionResult
    from moto.s3 import responses
    from moto.s3.models import FakeBucket

    assert list(inspect.signature(FakeBucket.get_permission).parameters) == ["self", "action", "resource"]
    assert "bucket.get_permission(" in inspect.getsource(responses)
    assert PermissionResult.NEUTRAL and PermissionResult.DENIED
    moto.disable_bucket_policy_evaluation()
    ok(api(app, "s3", "CreateBucket", Bucket="denied"))
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                    "Resource": "arn:aws:s3:::denied/*"}]}
    ok(api(app, "s3", "PutBucketPolicy", Bucket="denied", Policy=json.dumps(deny)))
    ok(api(app, "s3", "PutObject", Bucket="denied", Key="k", Body=b"x"))   # iam_lite decides, not moto


# --- sts.py -------------------------------------------------------------------------------------

def test_sts_backends_find_the_role_behind_an_assumed_role_access_key(app):
    # FIX: sts.principal_for_access_key
    from moto.sts.models import sts_backends

    ok(api(app, "iam", "CreateRole", RoleName="worker", AssumeRolePolicyDocument="{}"))
    creds = ok(api(app, "sts", "AssumeRole", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker",
                   RoleSessionName="job-1"))
    access_key = creds.body.split(b"<AccessKeyId>")[1].split(b"<")[0].decode()
    assert "aws" in sts_backends[ACCOUNT]      # keyed by partition: STS is global per partition
    role = sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key(access_key)
    assert (role.role_arn, role.session_name) == (f"arn:aws:iam::{ACCOUNT}:role/worker", "job-1")
    assert sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key("test") is None
    principal = moto_sts.principal_for_access_key(access_key)
    assert principal.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/job-1"
    assert moto_sts.principal_for_access_key("test").kind == "root"


# --- kms.py -------------------------------------------------------------------------------------

def test_kms_backend_resolves_ids_arns_and_aliases_step_by_step(app):
    # FIX: kms.kms_key (get_alias_name, get_key_id, get_key_id_from_alias, keys, Key fields)
    from moto.kms.models import Key, kms_backends

    meta = ok(api(app, "kms", "CreateKey")).json()["KeyMetadata"]
    ok(api(app, "kms", "CreateAlias", AliasName="alias/lab", TargetKeyId=meta["KeyId"]))
    backend = kms_backends[ACCOUNT][REGION]
    assert backend.get_key_id(meta["Arn"]) == meta["KeyId"]
    assert backend.get_alias_name(f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/lab") == "alias/lab"
    assert backend.get_key_id_from_alias("alias/lab") == meta["KeyId"]
    assert backend.get_key_id_from_alias("alias/nope") is None
    key = backend.keys[meta["KeyId"]]
    assert isinstance(key, Key) and isinstance(key.policy, str)
    assert (key.arn, key.id, key.key_state) == (meta["Arn"], meta["KeyId"], "Enabled")
    for ref in (meta["KeyId"], meta["Arn"], "alias/lab", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/lab"):
        assert moto_kms.kms_key(ref, REGION).key_id == meta["KeyId"], ref
    for ref in ("nope", "alias/nope", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/nope", ""):
        assert moto_kms.kms_key(ref, REGION) is None, ref


# --- iam.py -------------------------------------------------------------------------------------

def test_iam_role_holds_inline_and_managed_policy_documents(app):
    # FIX: iam.role_policy_documents (get_role, NotFoundException, policies, managed_policies, versions)
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    ok(api(app, "iam", "CreateRole", RoleName="reader", AssumeRolePolicyDocument="{}"))
    ok(api(app, "iam", "PutRolePolicy", RoleName="reader", PolicyName="inline", PolicyDocument=POLICY))
    created = ok(api(app, "iam", "CreatePolicy", PolicyName="managed", PolicyDocument=POLICY))
    arn = created.body.split(b"<Arn>")[1].split(b"<")[0].decode()
    newer = POLICY.replace("s3:*", "kms:*")
    ok(api(app, "iam", "CreatePolicyVersion", PolicyArn=arn, PolicyDocument=newer, SetAsDefault=True))
    ok(api(app, "iam", "AttachRolePolicy", RoleName="reader", PolicyArn=arn))
    backend = iam_backends[ACCOUNT]["global"]
    with pytest.raises(NotFoundException):
        backend.get_role("nobody")
    role = backend.get_role("reader")
    assert role.policies == {"inline": POLICY}
    versions = role.managed_policies[arn].versions
    assert [(v.is_default, json.loads(v.document)) for v in versions] == [
        (False, json.loads(POLICY)), (True, json.loads(newer))]
    assert [json.loads(d) for d in moto_iam.role_policy_documents("reader")] == [json.loads(POLICY), json.loads(newer)]
    assert moto_iam.role_policy_documents("nobody") == []


# --- awslambda.py -------------------------------------------------------------------------------

def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def test_lambda_backend_get_function_exposes_code_and_configuration(app):
    # FIX: awslambda.lambda_function (get_function, UnknownFunctionException, LambdaFunction fields)
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import lambda_backends

    ok(api(app, "iam", "CreateRole", RoleName="fn-role", AssumeRolePolicyDocument="{}"))
    code = _zip()
    ok(api(app, "lambda", "CreateFunction", FunctionName="fn", Runtime="python3.11", Handler="app.handler",
           Role=f"arn:aws:iam::{ACCOUNT}:role/fn-role", Code={"ZipFile": code}, Timeout=7, MemorySize=256,
           Environment={"Variables": {"A": "1"}}))
    backend = lambda_backends[ACCOUNT][REGION]
    fn = backend.get_function("fn", None)
    assert (fn.function_name, fn.handler, fn.run_time, fn.code_bytes, fn.timeout, fn.memory_size) == (
        "fn", "app.handler", "python3.11", code, 7, 256)
    assert (fn.environment_vars, fn.role, fn.package_type, str(fn.version)) == (
        {"A": "1"}, f"arn:aws:iam::{ACCOUNT}:role/fn-role", "Zip", "$LATEST")
    assert fn.code_sha_256
    assert backend.get_function(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn", None).function_name == "fn"
    with pytest.raises(UnknownFunctionException):
        backend.get_function("nope", None)
    with pytest.raises(ValueError):       # moto unpacks name.split(":") into two
        backend.get_function("a:b:c", None)
    assert moto_lambda.lambda_function("fn", REGION).code_zip == code
    assert moto_lambda.lambda_function("fn", REGION, "$LATEST").version == "$LATEST"
    for name in ("nope", "a:b:c", f"{ACCOUNT}:function:fn"):
        assert moto_lambda.lambda_function(name, REGION) is None, name


# --- s3.py --------------------------------------------------------------------------------------

def test_s3_get_bucket_raises_missing_bucket():
    # FIX: s3._bucket
    from moto.s3.exceptions import MissingBucket

    with pytest.raises(MissingBucket):
        moto_s3._backend().get_bucket("no-such-bucket")
    assert moto_s3.bucket_policy("no-such-bucket") is None


def test_s3_bucket_keys_store_latest_versions_and_delete_markers(app):
    # FIX: s3._latest, MotoObjectStore.list_objects (keys.get / keys.items, FakeKey vs FakeDeleteMarker)
    from moto.s3.models import FakeDeleteMarker, FakeKey

    ok(api(app, "s3", "CreateBucket", Bucket="versions"))
    ok(api(app, "s3", "PutBucketVersioning", Bucket="versions", VersioningConfiguration={"Status": "Enabled"}))
    ok(api(app, "s3", "PutObject", Bucket="versions", Key="a", Body=b"one"))
    ok(api(app, "s3", "PutObject", Bucket="versions", Key="a", Body=b"two"))
    ok(api(app, "s3", "PutObject", Bucket="versions", Key="b", Body=b"x"))
    ok(api(app, "s3", "DeleteObject", Bucket="versions", Key="b"))
    keys = moto_s3._backend().get_bucket("versions").keys
    assert isinstance(keys.get("a"), FakeKey) and keys.get("a").value == b"two"
    assert isinstance(keys.get("b"), FakeDeleteMarker) and not isinstance(keys.get("b"), FakeKey)
    assert keys.get("missing") is None
    assert {k: type(v).__name__ for k, v in keys.items()} == {"a": "FakeKey", "b": "FakeDeleteMarker"}
    assert moto_s3.head_object("versions", "b") is None
    assert [o.key for o in moto_s3.MotoObjectStore(cache=None).list_objects("versions")] == ["a"]


def test_s3_fake_key_fields_and_buffer(app):
    # FIX: s3.head_object, MotoObjectStore.get_object / get_object_range / local_path
    from moto.s3.models import FakeKey

    assert isinstance(vars(FakeKey)["value"], property)   # reading it copies the object: never probe it
    ok(api(app, "s3", "CreateBucket", Bucket="fields"))
    ok(api(app, "s3", "PutObject", Bucket="fields", Key="k", Body=b"0123456789",
           ServerSideEncryption="aws:kms", SSEKMSKeyId="key-1"))
    fake = moto_s3._backend().get_bucket("fields").keys.get("k")
    assert (fake.size, fake.encryption, fake.kms_key_id) == (10, "aws:kms", "key-1")
    assert fake.etag.startswith('"') and fake.etag.endswith('"')
    with fake.lock:
        fake._value_buffer.seek(3)
        assert fake._value_buffer.read(4) == b"3456"
    assert moto_s3.MotoObjectStore(cache=None).get_object_range("fields", "k", 3, 7) == b"3456"
    assert moto_s3.head_object("fields", "k").etag == fake.etag.strip('"')


def test_s3_bucket_encryption_and_policy_fields(app):
    # FIX: s3.bucket_encryption (the dict iam_lite reads Rule/ApplyServerSideEncryptionByDefault from),
    # s3.bucket_policy (bytes)
    ok(api(app, "s3", "CreateBucket", Bucket="guarded"))
    ok(api(app, "s3", "PutBucketEncryption", Bucket="guarded", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"}}]}))
    ok(api(app, "s3", "PutBucketPolicy", Bucket="guarded", Policy=POLICY))
    encryption = moto_s3.bucket_encryption("guarded")
    rules = encryption["Rule"] if isinstance(encryption["Rule"], list) else [encryption["Rule"]]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"}
    assert moto_s3.bucket_policy("guarded") == POLICY.encode()


def test_s3_backend_put_object_seeds_bytes(app):
    # FIX: s3.seed_object (S3Backend.put_object(bucket_name, key_name, value))
    ok(api(app, "s3", "CreateBucket", Bucket="seeded"))
    moto_s3.seed_object("seeded", "k", b"bytes")
    assert ok(api(app, "s3", "GetObject", Bucket="seeded", Key="k")).body == b"bytes"


# --- glue.py ------------------------------------------------------------------------------------

def test_glue_crawler_attributes_are_what_getcrawler_answers(app):
    # FIX: glue.update_glue_crawler (get_crawler, CrawlerNotFoundException, CRAWLER_FIELDS, version, last_updated)
    from moto.glue.exceptions import CrawlerNotFoundException, EntityNotFoundException
    from moto.glue.models import glue_backends

    ok(api(app, "glue", "CreateCrawler", Name="c", Role="r", DatabaseName="db",
           Targets={"S3Targets": [{"Path": "s3://b/p/"}]}))
    backend = glue_backends[ACCOUNT][REGION]
    assert issubclass(CrawlerNotFoundException, EntityNotFoundException)
    with pytest.raises(CrawlerNotFoundException):
        backend.get_crawler("nope")
    crawler = backend.get_crawler("c")
    for attr in moto_glue.CRAWLER_FIELDS.values():
        assert hasattr(crawler, attr), attr
    before = ok(api(app, "glue", "GetCrawler", Name="c")).json()["Crawler"]
    assert moto_glue.update_glue_crawler("c", REGION, {
        "DatabaseName": "db2", "Description": "moved", "TablePrefix": "p_", "Schedule": "cron(0 1 * * ? *)",
        "Targets": {"S3Targets": [{"Path": "s3://b/q/"}]}, "Configuration": '{"Version": 1.0}'})
    after = ok(api(app, "glue", "GetCrawler", Name="c")).json()["Crawler"]
    assert (after["DatabaseName"], after["Description"], after["TablePrefix"]) == ("db2", "moved", "p_")
    assert after["Schedule"]["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert after["Targets"] == {"S3Targets": [{"Path": "s3://b/q/"}]}
    assert after["Version"] == before["Version"] + 1
    assert after["LastUpdated"] >= before["LastUpdated"]
    assert moto_glue.update_glue_crawler("nope", REGION, {"Description": "x"}) is False


def test_glue_list_crawlers_pages_names(app):
    # FIX: the glue engine's _crawler_names (ListCrawlers' CrawlerNames and NextToken, via call_moto)
    for i in range(3):
        ok(api(app, "glue", "CreateCrawler", Name=f"c{i}", Role="r", Targets={"S3Targets": []}))
    first = ok(api(app, "glue", "ListCrawlers", MaxResults=2)).json()
    rest = ok(api(app, "glue", "ListCrawlers", NextToken=first["NextToken"])).json()
    assert first["CrawlerNames"] + rest["CrawlerNames"] == ["c0", "c1", "c2"]
    assert "NextToken" not in rest


# --- athena.py ----------------------------------------------------------------------------------

def test_athena_work_groups_are_objects_with_a_class_level_state(app):
    # FIX: athena.update_athena_work_group (work_groups, configuration, description, state)
    from moto.athena.models import WorkGroup, athena_backends

    assert WorkGroup.state == "ENABLED"
    ok(api(app, "athena", "CreateWorkGroup", Name="team", Description="d",
           Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}}))
    backend = athena_backends[ACCOUNT][REGION]
    group = backend.work_groups["team"]
    assert (group.description, group.configuration["ResultConfiguration"]) == ("d", {"OutputLocation": "s3://r/"})
    assert moto_athena.update_athena_work_group("team", REGION, {"EnforceWorkGroupConfiguration": True},
                                                "new", "DISABLED")
    answer = ok(api(app, "athena", "GetWorkGroup", WorkGroup="team")).json()["WorkGroup"]
    assert (answer["State"], answer["Description"]) == ("DISABLED", "new")
    assert answer["Configuration"] == {"EnforceWorkGroupConfiguration": True}
    assert backend.work_groups.get("nope") is None
    assert moto_athena.update_athena_work_group("nope", REGION, {}) is False
    # the athena engine reads "no such workgroup" from this answer
    assert ok(api(app, "athena", "GetWorkGroup", WorkGroup="nope")).json() == {"WorkGroup": None}
