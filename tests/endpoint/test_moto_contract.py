"""The moto internals lab_helpers/endpoint/moto/ relies on, pinned against moto 5.2.5.

One test per internal (attribute, class, function, backend field) the package reads or writes;
each test's docstring opens with ``FIX:`` and the package function to change when a moto upgrade
breaks it. Resources are created through moto's own API, in-process (``moto.call`` with
``derived_request``), so these tests also pin the seam behind ``EngineContext.call_moto``.
"""
from __future__ import annotations

import inspect
import os
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
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
NEWER_POLICY = POLICY.replace("s3:*", "kms:*")


@pytest.fixture(scope="module")
def app():
    return moto.make_app()


def headers(service: str) -> dict[str, str]:
    """What call() needs of a signed request: the credential scope (service, region) and a host."""
    return {"authorization": f"AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0", "host": "127.0.0.1:4566"}


def api(app, service: str, operation: str, **params) -> moto.MotoAnswer:
    """moto's answer to one operation, run in-process; fails the test on an error answer."""
    answer = moto.call(app, *moto.derived_request(service, operation, params, headers(service)))
    assert answer.ok, (operation, answer.status, answer.body[:300])
    return answer


def _xml_text(body: bytes, tag: str) -> str:
    return body.split(f"<{tag}>".encode())[1].split(b"<")[0].decode()


# --- core (lab_helpers/endpoint/moto/__init__.py) -------------------------------------------------

def test_moto_version_is_the_pinned_one():
    """FIX: MOTO_VERSION: rerun this file, fix what fails, then update PINNED and the pyproject pin."""
    pins = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert f"moto[server]=={PINNED}" in pins["project"]["dependencies"]
    assert moto.MOTO_VERSION == PINNED, f"moto {moto.MOTO_VERSION} is installed; this contract pins {PINNED}"


def test_core_default_account_id():
    """FIX: ACCOUNT_ID (every backend lookup in the package is keyed by it)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    assert DEFAULT_ACCOUNT_ID == moto.ACCOUNT_ID == ACCOUNT


def test_moto_request_handler_is_a_werkzeug_request_handler():
    """FIX: REQUEST_HANDLER (server.py serves with it; it keeps S3 metadata headers with underscores)."""
    from werkzeug.serving import WSGIRequestHandler

    assert issubclass(moto.REQUEST_HANDLER, WSGIRequestHandler)
    assert "make_environ" in vars(moto.REQUEST_HANDLER)


def test_domain_dispatcher_application_picks_the_backend_from_the_credential_scope(app):
    """FIX: make_app, call (moto reads service and region from Authorization's credential scope)."""
    answer = api(app, "glue", "GetDatabases")
    assert answer.json() == {"DatabaseList": []}
    assert answer.header("Content-Type").startswith("application/x-amz-json")


def test_the_dispatcher_asks_moto_once_per_host_and_answers_the_same(app, monkeypatch):
    """FIX: _Dispatcher.get_backend_for_host (moto's DomainDispatcherApplication.get_backend_for_host(host),
    which walks moto's package directory on every request)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    fresh = moto.make_app()
    plain = DomainDispatcherApplication(lambda backend: None)
    for host in ("s3.us-east-1.amazonaws.com", "glue.eu-west-1.amazonaws.com", "sts.amazonaws.com", "s3"):
        assert fresh.get_backend_for_host(host) == plain.get_backend_for_host(host) is not None, host
    calls = []
    original = DomainDispatcherApplication.get_backend_for_host
    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host",
                        lambda self, host: calls.append(host) or original(self, host))
    for _ in range(3):
        assert fresh.get_backend_for_host("kms.us-east-1.amazonaws.com") == "kms"
    assert calls == ["kms.us-east-1.amazonaws.com"]
    assert fresh.get_backend_for_host(None) is None


def test_json_error_answers_carry_the_code_and_message(app):
    """FIX: MotoAnswer.error_code / error_message (JSON protocols: x-amzn-ErrorType or __type, message)."""
    answer = moto.call(app, *moto.derived_request("glue", "GetCrawler", {"Name": "nope"}, headers("glue")))
    assert (answer.status, answer.error_code) == (400, "EntityNotFoundException")
    assert "nope" in answer.error_message


def test_xml_error_answers_carry_the_code_and_message(app):
    """FIX: MotoAnswer.error_code / error_message (XML protocols: <Code>, <Message>)."""
    answer = moto.call(app, *moto.derived_request("s3", "GetObject", {"Bucket": "no-such-bucket", "Key": "k"},
                                                  headers("s3")))
    assert (answer.status, answer.error_code) == (404, "NoSuchBucket")
    assert answer.error_message == "The specified bucket does not exist"


def test_request_raw_uri_is_the_s3_path_as_it_arrived(app):
    """FIX: call's RAW_URI (moto matches S3 routes against the percent-encoded path, not PATH_INFO)."""
    from moto.core.request import Request

    assert "RAW_URI" in inspect.getsource(Request)
    api(app, "s3", "CreateBucket", Bucket="raw-uri")
    key = "dir/a b+c%2Fd?.txt"
    api(app, "s3", "PutObject", Bucket="raw-uri", Key=key, Body=b"x")
    assert [k for k, _ in moto_s3._backend().get_bucket("raw-uri").keys.items()] == [key]
    assert api(app, "s3", "GetObject", Bucket="raw-uri", Key=key).body == b"x"


def test_moto_api_backend_reset_wipes_every_backend(app):
    """FIX: reset."""
    from moto.glue.models import glue_backends

    api(app, "glue", "CreateDatabase", DatabaseInput={"Name": "gone"})
    assert "gone" in glue_backends[ACCOUNT][REGION].databases
    moto.reset()
    assert "gone" not in glue_backends[ACCOUNT][REGION].databases


@pytest.mark.parametrize("service, operation", [
    ("glue", "GetCrawler"), ("lambda", "Invoke"), ("sagemaker-runtime", "InvokeEndpoint"),
    ("redshift-data", "ExecuteStatement"), ("athena", "GetWorkGroup")])
def test_responses_modules_have_a_snake_case_method_per_operation(service, operation):
    """FIX: operation_implemented, _MOTO_PACKAGES (moto.<package>.responses, one method per operation)."""
    assert moto.operation_implemented(service, operation) is True


def test_a_service_moto_lacks_has_no_responses_module():
    """FIX: operation_implemented (False: no moto.<package>.responses to import)."""
    assert moto.operation_implemented("no-such-service", "Anything") is False


@pytest.mark.parametrize("service, operation, adapter", [
    ("glue", "UpdateCrawler", "glue.update_glue_crawler"),
    ("athena", "UpdateWorkGroup", "athena.update_athena_work_group"),
])
def test_moto_still_lacks_the_writes_the_package_does_itself(service, operation, adapter):
    """FIX: when moto implements one, drop lab_helpers/endpoint/moto/<adapter> and the engine's handler."""
    assert moto.operation_implemented(service, operation) is None, f"moto now has {operation}: drop {adapter}"


def test_fakebucket_get_permission_takes_action_and_resource():
    """FIX: disable_bucket_policy_evaluation (replaces FakeBucket.get_permission with NEUTRAL)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    assert list(inspect.signature(FakeBucket.get_permission).parameters) == ["self", "action", "resource"]
    assert {PermissionResult.NEUTRAL, PermissionResult.DENIED} <= set(PermissionResult)


def test_s3_writes_consult_bucket_get_permission(app):
    """FIX: disable_bucket_policy_evaluation (moto's S3 must ask get_permission, so a NEUTRAL answer
    leaves bucket policies to iam_lite)."""
    from moto.s3 import responses

    assert "bucket.get_permission(" in inspect.getsource(responses)
    moto.disable_bucket_policy_evaluation()
    api(app, "s3", "CreateBucket", Bucket="denied")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                    "Resource": "arn:aws:s3:::denied/*"}]}
    api(app, "s3", "PutBucketPolicy", Bucket="denied", Policy=json.dumps(deny))
    api(app, "s3", "PutObject", Bucket="denied", Key="k", Body=b"x")


# --- sts.py -------------------------------------------------------------------------------------

@pytest.fixture
def assumed_key(app) -> str:
    api(app, "iam", "CreateRole", RoleName="worker", AssumeRolePolicyDocument="{}")
    creds = api(app, "sts", "AssumeRole", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="job-1")
    return _xml_text(creds.body, "AccessKeyId")


def test_sts_backends_are_keyed_by_account_then_partition():
    """FIX: sts.principal_for_access_key (iterates sts_backends[ACCOUNT_ID].values())."""
    from moto.sts.models import STSBackend, sts_backends

    assert isinstance(sts_backends[ACCOUNT]["aws"], STSBackend)


def test_sts_get_assumed_role_from_access_key(assumed_key):
    """FIX: sts.principal_for_access_key (AssumedRole.role_arn, .session_name; None for other keys)."""
    from moto.sts.models import sts_backends

    role = sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key(assumed_key)
    assert (role.role_arn, role.session_name) == (f"arn:aws:iam::{ACCOUNT}:role/worker", "job-1")
    assert sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key("test") is None
    assert moto_sts.principal_for_access_key(assumed_key).arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/job-1"
    assert moto_sts.principal_for_access_key("test").kind == "root"


# --- kms.py -------------------------------------------------------------------------------------

@pytest.fixture
def key(app) -> dict:
    meta = api(app, "kms", "CreateKey").json()["KeyMetadata"]
    api(app, "kms", "CreateAlias", AliasName="alias/lab", TargetKeyId=meta["KeyId"])
    return meta


def _kms():
    from moto.kms.models import kms_backends

    return kms_backends[ACCOUNT][REGION]


def test_kms_get_key_id_strips_a_key_arn(key):
    """FIX: kms.kms_key."""
    assert _kms().get_key_id(key["Arn"]) == key["KeyId"]
    assert _kms().get_key_id("alias/lab") == "alias/lab"


def test_kms_get_alias_name_strips_an_alias_arn(key):
    """FIX: kms.kms_key."""
    assert _kms().get_alias_name(f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/lab") == "alias/lab"
    assert _kms().get_alias_name(key["KeyId"]) == key["KeyId"]


def test_kms_get_key_id_from_alias_is_none_for_an_unknown_alias(key):
    """FIX: kms.kms_key (None, not an exception: kms_key relies on it)."""
    assert _kms().get_key_id_from_alias("alias/lab") == key["KeyId"]
    assert _kms().get_key_id_from_alias("alias/nope") is None


def test_kms_keys_maps_key_ids_to_keys_with_arn_policy_and_state(key):
    """FIX: kms.kms_key (KmsBackend.keys, Key.arn / .id / .policy / .key_state)."""
    from moto.kms.models import Key

    found = _kms().keys[key["KeyId"]]
    assert isinstance(found, Key) and isinstance(found.policy, str) and json.loads(found.policy)
    assert (found.arn, found.id, found.key_state) == (key["Arn"], key["KeyId"], "Enabled")
    for ref in (key["KeyId"], key["Arn"], "alias/lab", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/lab"):
        assert moto_kms.kms_key(ref, REGION).key_id == key["KeyId"], ref
    for ref in ("nope", "alias/nope", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/nope", ""):
        assert moto_kms.kms_key(ref, REGION) is None, ref



def test_kms_key_state_names_disabled_and_pending_deletion_keys(app, key):
    """FIX: kms.kms_key (KmsKey.state: iam_lite.usable_key maps "Disabled" to KMS.DisabledException and
    "PendingDeletion" to KMS.KMSInvalidStateException; "alias/aws/s3" must resolve, moto creates it)."""
    api(app, "kms", "DisableKey", KeyId=key["KeyId"])
    assert moto_kms.kms_key(key["KeyId"], REGION).state == "Disabled"
    api(app, "kms", "ScheduleKeyDeletion", KeyId=key["KeyId"], PendingWindowInDays=7)
    assert moto_kms.kms_key(key["KeyId"], REGION).state == "PendingDeletion"
    assert moto_kms.kms_key("alias/aws/s3", REGION) is not None

# --- iam.py -------------------------------------------------------------------------------------

@pytest.fixture
def reader_role(app) -> str:
    """A role with an inline policy and a managed policy whose second version is the default."""
    api(app, "iam", "CreateRole", RoleName="reader", AssumeRolePolicyDocument="{}")
    api(app, "iam", "PutRolePolicy", RoleName="reader", PolicyName="inline", PolicyDocument=POLICY)
    arn = _xml_text(api(app, "iam", "CreatePolicy", PolicyName="managed", PolicyDocument=POLICY).body, "Arn")
    api(app, "iam", "CreatePolicyVersion", PolicyArn=arn, PolicyDocument=NEWER_POLICY, SetAsDefault=True)
    api(app, "iam", "AttachRolePolicy", RoleName="reader", PolicyArn=arn)
    return arn


def _iam():
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT]["global"]


def test_iam_get_role_raises_not_found_exception():
    """FIX: iam.role_policy_documents."""
    from moto.iam.exceptions import NotFoundException

    with pytest.raises(NotFoundException):
        _iam().get_role("nobody")
    assert moto_iam.role_policy_documents("nobody") == []


def test_iam_role_policies_maps_inline_names_to_documents(reader_role):
    """FIX: iam.role_policy_documents (Role.policies)."""
    assert _iam().get_role("reader").policies == {"inline": POLICY}


def test_iam_role_managed_policies_hold_versions_with_a_default(reader_role):
    """FIX: iam.role_policy_documents (Role.managed_policies, policy.versions, .is_default, .document)."""
    versions = _iam().get_role("reader").managed_policies[reader_role].versions
    assert [(v.is_default, json.loads(v.document)) for v in versions] == [
        (False, json.loads(POLICY)), (True, json.loads(NEWER_POLICY))]
    assert [json.loads(d) for d in moto_iam.role_policy_documents("reader")] == [
        json.loads(POLICY), json.loads(NEWER_POLICY)]


# --- awslambda.py -------------------------------------------------------------------------------

def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


@pytest.fixture
def function(app) -> bytes:
    api(app, "iam", "CreateRole", RoleName="fn-role", AssumeRolePolicyDocument="{}")
    code = _zip()
    api(app, "lambda", "CreateFunction", FunctionName="fn", Runtime="python3.11", Handler="app.handler",
        Role=f"arn:aws:iam::{ACCOUNT}:role/fn-role", Code={"ZipFile": code}, Timeout=7, MemorySize=256,
        Environment={"Variables": {"A": "1"}})
    return code


def _lambda():
    from moto.awslambda.models import lambda_backends

    return lambda_backends[ACCOUNT][REGION]


def test_lambda_get_function_finds_names_arns_and_qualifiers(function):
    """FIX: awslambda.lambda_function (LambdaBackend.get_function(name_or_arn, qualifier))."""
    assert _lambda().get_function("fn", None).function_name == "fn"
    assert _lambda().get_function(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn", None).function_name == "fn"
    assert str(_lambda().get_function("fn", "$LATEST").version) == "$LATEST"
    assert moto_lambda.lambda_function("fn", REGION, "$LATEST").version == "$LATEST"


def test_lambda_get_function_raises_unknown_function_or_value_error(function):
    """FIX: awslambda.lambda_function (the exceptions it catches)."""
    from moto.awslambda.exceptions import UnknownFunctionException

    with pytest.raises(UnknownFunctionException):
        _lambda().get_function("nope", None)
    with pytest.raises(ValueError):       # moto unpacks name.split(":") into two
        _lambda().get_function("a:b:c", None)
    for name in ("nope", "a:b:c", f"{ACCOUNT}:function:fn"):
        assert moto_lambda.lambda_function(name, REGION) is None, name


def test_lambda_function_fields_hold_code_and_configuration(function):
    """FIX: awslambda.lambda_function (LambdaFunction fields it copies into LambdaCode)."""
    fn = _lambda().get_function("fn", None)
    assert (fn.function_name, fn.handler, fn.run_time, fn.code_bytes, fn.timeout, fn.memory_size) == (
        "fn", "app.handler", "python3.11", function, 7, 256)
    assert (fn.environment_vars, fn.role, fn.package_type) == (
        {"A": "1"}, f"arn:aws:iam::{ACCOUNT}:role/fn-role", "Zip")
    assert fn.code_sha_256
    assert moto_lambda.lambda_function("fn", REGION).code_zip == function


# --- s3.py --------------------------------------------------------------------------------------

def test_s3_backends_are_keyed_by_account_then_partition():
    """FIX: s3._backend."""
    from moto.s3.models import S3Backend, s3_backends

    assert isinstance(s3_backends[ACCOUNT]["aws"], S3Backend)


def test_s3_get_bucket_raises_missing_bucket():
    """FIX: s3._bucket."""
    from moto.s3.exceptions import MissingBucket

    with pytest.raises(MissingBucket):
        moto_s3._backend().get_bucket("no-such-bucket")
    assert moto_s3.bucket_policy("no-such-bucket") is None


@pytest.fixture
def versions(app):
    """Bucket 'versions': 'a' written twice, 'b' written then deleted (a delete marker on top)."""
    api(app, "s3", "CreateBucket", Bucket="versions")
    api(app, "s3", "PutBucketVersioning", Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
    for key, body in (("a", b"one"), ("a", b"two"), ("b", b"x")):
        api(app, "s3", "PutObject", Bucket="versions", Key=key, Body=body)
    api(app, "s3", "DeleteObject", Bucket="versions", Key="b")
    return moto_s3._backend().get_bucket("versions").keys


def test_s3_bucket_keys_get_is_the_latest_version_or_none(versions):
    """FIX: s3._latest (FakeBucket.keys.get)."""
    assert versions.get("a").value == b"two"
    assert versions.get("missing") is None


def test_s3_delete_markers_are_not_fake_keys(versions):
    """FIX: s3._latest, MotoObjectStore.list_objects (isinstance FakeKey tells objects from delete markers)."""
    from moto.s3.models import FakeDeleteMarker, FakeKey

    assert isinstance(versions.get("a"), FakeKey)
    assert isinstance(versions.get("b"), FakeDeleteMarker) and not isinstance(versions.get("b"), FakeKey)
    assert moto_s3.head_object("versions", "b") is None


def test_s3_bucket_keys_items_are_latest_versions(versions):
    """FIX: MotoObjectStore.list_objects (FakeBucket.keys.items)."""
    assert {k: type(v).__name__ for k, v in versions.items()} == {"a": "FakeKey", "b": "FakeDeleteMarker"}
    assert [o.key for o in moto_s3.MotoObjectStore(cache=None).list_objects("versions")] == ["a"]


def test_s3_fake_key_value_is_a_copying_property():
    """FIX: s3._latest (never probe .value on an instance: it copies the whole object)."""
    from moto.s3.models import FakeKey

    assert isinstance(vars(FakeKey)["value"], property)


@pytest.fixture
def sse_object(app):
    api(app, "s3", "CreateBucket", Bucket="fields")
    api(app, "s3", "PutObject", Bucket="fields", Key="k", Body=b"0123456789", ServerSideEncryption="aws:kms",
        SSEKMSKeyId="key-1")
    return moto_s3._backend().get_bucket("fields").keys.get("k")


def test_s3_fake_key_size_etag_and_encryption(sse_object):
    """FIX: s3.head_object, MotoObjectStore.list_objects / local_path (FakeKey.size, .etag quoted,
    .encryption, .kms_key_id)."""
    assert (sse_object.size, sse_object.encryption, sse_object.kms_key_id) == (10, "aws:kms", "key-1")
    assert sse_object.etag.startswith('"') and sse_object.etag.endswith('"')
    assert moto_s3.head_object("fields", "k").etag == sse_object.etag.strip('"')


def test_s3_fake_key_lock_and_value_buffer(sse_object):
    """FIX: MotoObjectStore.get_object_range (FakeKey.lock, FakeKey._value_buffer)."""
    with sse_object.lock:
        sse_object._value_buffer.seek(3)
        assert sse_object._value_buffer.read(4) == b"3456"
    assert moto_s3.MotoObjectStore(cache=None).get_object_range("fields", "k", 3, 7) == b"3456"


def test_s3_bucket_encryption_is_the_configuration_dict(app):
    """FIX: s3.bucket_encryption (iam_lite reads Rule(s)/ApplyServerSideEncryptionByDefault from it)."""
    api(app, "s3", "CreateBucket", Bucket="guarded")
    api(app, "s3", "PutBucketEncryption", Bucket="guarded", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"}}]})
    encryption = moto_s3.bucket_encryption("guarded")
    rules = encryption["Rule"] if isinstance(encryption["Rule"], list) else [encryption["Rule"]]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"}


def test_s3_bucket_policy_is_bytes(app):
    """FIX: s3.bucket_policy (FakeBucket.policy)."""
    api(app, "s3", "CreateBucket", Bucket="guarded")
    api(app, "s3", "PutBucketPolicy", Bucket="guarded", Policy=POLICY)
    assert moto_s3.bucket_policy("guarded") == POLICY.encode()


def test_s3_backend_put_object_takes_bucket_key_and_bytes(app):
    """FIX: s3.seed_object (S3Backend.put_object(bucket_name, key_name, value))."""
    from moto.s3.models import S3Backend

    assert list(inspect.signature(S3Backend.put_object).parameters)[1:4] == ["bucket_name", "key_name", "value"]
    api(app, "s3", "CreateBucket", Bucket="seeded")
    moto_s3.seed_object("seeded", "k", b"bytes")
    assert api(app, "s3", "GetObject", Bucket="seeded", Key="k").body == b"bytes"


# --- glue.py ------------------------------------------------------------------------------------

@pytest.fixture
def crawler(app):
    api(app, "glue", "CreateCrawler", Name="c", Role="r", DatabaseName="db",
        Targets={"S3Targets": [{"Path": "s3://b/p/"}]})
    from moto.glue.models import glue_backends

    return glue_backends[ACCOUNT][REGION].get_crawler("c")


def test_glue_get_crawler_raises_crawler_not_found(crawler):
    """FIX: glue.update_glue_crawler."""
    from moto.glue.exceptions import CrawlerNotFoundException, EntityNotFoundException
    from moto.glue.models import glue_backends

    assert issubclass(CrawlerNotFoundException, EntityNotFoundException)
    with pytest.raises(CrawlerNotFoundException):
        glue_backends[ACCOUNT][REGION].get_crawler("nope")
    assert moto_glue.update_glue_crawler("nope", REGION, {"Description": "x"}) is False


@pytest.mark.parametrize("field, attr", sorted(moto_glue.CRAWLER_FIELDS.items()))
def test_glue_fake_crawler_attribute_is_what_getcrawler_answers(app, crawler, field, attr):
    """FIX: glue.CRAWLER_FIELDS (UpdateCrawler field -> FakeCrawler attribute moto answers from)."""
    value = {"Targets": {"S3Targets": [{"Path": "s3://b/q/"}]}, "Classifiers": ["mine"],
             "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
             "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
             "LineageConfiguration": {"CrawlerLineageSettings": "ENABLE"},
             "Schedule": "cron(0 1 * * ? *)"}.get(field, f"new-{field}")
    assert hasattr(crawler, attr)
    assert moto_glue.update_glue_crawler("c", REGION, {field: value})
    answered = api(app, "glue", "GetCrawler", Name="c").json()["Crawler"][field]
    assert answered == ({"ScheduleExpression": value, "State": "SCHEDULED"} if field == "Schedule" else value)


def test_glue_fake_crawler_version_and_last_updated(app, crawler):
    """FIX: glue.update_glue_crawler (FakeCrawler.version int, .last_updated from moto.core.utils.utcnow)."""
    from moto.core.utils import utcnow

    before = api(app, "glue", "GetCrawler", Name="c").json()["Crawler"]
    assert isinstance(crawler.version, int) and type(crawler.last_updated) is type(utcnow())
    moto_glue.update_glue_crawler("c", REGION, {"Description": "moved"})
    after = api(app, "glue", "GetCrawler", Name="c").json()["Crawler"]
    assert after["Version"] == before["Version"] + 1
    assert after["LastUpdated"] >= before["LastUpdated"]


def test_glue_list_crawlers_pages_names(app):
    """FIX: the glue engine's _crawler_names (ListCrawlers' CrawlerNames and NextToken, via call_moto)."""
    for i in range(3):
        api(app, "glue", "CreateCrawler", Name=f"c{i}", Role="r", Targets={"S3Targets": []})
    first = api(app, "glue", "ListCrawlers", MaxResults=2).json()
    rest = api(app, "glue", "ListCrawlers", NextToken=first["NextToken"]).json()
    assert first["CrawlerNames"] + rest["CrawlerNames"] == ["c0", "c1", "c2"]
    assert "NextToken" not in rest


# --- athena.py ----------------------------------------------------------------------------------

@pytest.fixture
def team(app):
    api(app, "athena", "CreateWorkGroup", Name="team", Description="d",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}})
    from moto.athena.models import athena_backends

    return athena_backends[ACCOUNT][REGION]


def test_athena_work_groups_maps_names_to_work_group_objects(team):
    """FIX: athena.update_athena_work_group (AthenaBackend.work_groups)."""
    from moto.athena.models import WorkGroup

    assert isinstance(team.work_groups["team"], WorkGroup)
    assert team.work_groups.get("nope") is None
    assert moto_athena.update_athena_work_group("nope", REGION, {}) is False


def test_athena_work_group_configuration_and_description_are_what_getworkgroup_answers(app, team):
    """FIX: athena.update_athena_work_group (WorkGroup.configuration, .description)."""
    group = team.work_groups["team"]
    assert (group.description, group.configuration["ResultConfiguration"]) == ("d", {"OutputLocation": "s3://r/"})
    moto_athena.update_athena_work_group("team", REGION, {"EnforceWorkGroupConfiguration": True}, "new")
    answer = api(app, "athena", "GetWorkGroup", WorkGroup="team").json()["WorkGroup"]
    assert (answer["Description"], answer["Configuration"]) == ("new", {"EnforceWorkGroupConfiguration": True})


def test_athena_work_group_state_is_a_class_attribute_an_instance_can_shadow(app, team):
    """FIX: athena.update_athena_work_group (WorkGroup.state)."""
    from moto.athena.models import WorkGroup

    assert WorkGroup.state == "ENABLED" and "state" not in vars(team.work_groups["team"])
    moto_athena.update_athena_work_group("team", REGION, team.work_groups["team"].configuration, state="DISABLED")
    assert api(app, "athena", "GetWorkGroup", WorkGroup="team").json()["WorkGroup"]["State"] == "DISABLED"
    assert WorkGroup.state == "ENABLED"


def test_athena_get_work_group_of_an_unknown_name_is_null(app):
    """FIX: the athena engine's update_work_group (reads "no such workgroup" from this answer)."""
    assert api(app, "athena", "GetWorkGroup", WorkGroup="nope").json() == {"WorkGroup": None}


# --- core: the region listing moto builds backends from ---------------------------------------------

def test_moto_lists_regions_through_a_cached_classmethod_session():
    """FIX: moto.seal_from_user_aws_config — moto builds a boto3.Session() (which reads ~/.aws and
    AWS_PROFILE) in AccountSpecificBackend.get_session; the kit replaces that classmethod."""
    from moto.core.base_backend import AccountSpecificBackend

    from lab_helpers.endpoint import moto as kit_moto

    assert isinstance(AccountSpecificBackend.__dict__["get_session"], classmethod)
    kit_moto.seal_from_user_aws_config()
    session = AccountSpecificBackend.get_session()
    assert "us-east-1" in session.get_available_regions("s3")
    assert session._session.get_config_variable("config_file") == os.devnull


# --- accounts.py (and s3.bucket_account) --------------------------------------------------------

OTHER = "210987654321"


def test_get_account_id_from_maps_iam_and_sts_keys_to_their_account(app):
    """FIX: accounts.for_access_key (moto.iam.models.get_account_id_from; unknown keys -> default)."""
    from moto.iam.models import get_account_id_from

    creds = api(app, "sts", "AssumeRole", RoleArn=f"arn:aws:iam::{OTHER}:role/OrganizationAccountAccessRole",
                RoleSessionName="class")
    assert get_account_id_from(_xml_text(creds.body, "AccessKeyId")) == OTHER
    assert get_account_id_from("test") == ACCOUNT


def test_iam_backend_create_temp_access_key_registers_a_key_of_that_account():
    """FIX: accounts.admin_key (IAMBackend.create_temp_access_key, .access_keys, iam_backends[acct]["aws"])."""
    from moto.iam.models import get_account_id_from, iam_backends

    key = iam_backends[OTHER]["aws"].create_temp_access_key()
    assert key.physical_resource_id in iam_backends[OTHER]["aws"].access_keys and key.secret_access_key
    assert get_account_id_from(key.physical_resource_id) == OTHER
    assert iam_backends[OTHER]["global"] is iam_backends[OTHER]["aws"]


def test_s3_bucket_accounts_maps_a_bucket_to_partition_and_account(app):
    """FIX: s3.bucket_account (s3_backends.bucket_accounts[name] == (partition, account))."""
    from moto.s3.models import s3_backends

    api(app, "s3", "CreateBucket", Bucket="owned-bucket")
    assert s3_backends.bucket_accounts["owned-bucket"] == ("aws", ACCOUNT)
    assert moto_s3.bucket_account("owned-bucket") == ACCOUNT and moto_s3.bucket_account("nope-bucket") is None


def test_moto_honours_the_x_moto_account_id_header(app):
    """FIX: gateway.__call__ strips this header (else any caller could act in any account)."""
    method, path, query, hdrs, body = moto.derived_request("s3", "CreateBucket", {"Bucket": "header-bucket"},
                                                           headers("s3"))
    answer = moto.call(app, method, path, query, dict(hdrs, **{"x-moto-account-id": OTHER}), body)
    assert answer.ok
    assert moto_s3.bucket_account("header-bucket") == OTHER
