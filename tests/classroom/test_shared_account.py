"""A class in ONE account (`labkit class create --shared-account`, the only mode on the aws target):
each learner an IAM user, a scope in every account-wide name, a policy fenced to their names and tag;
teardown removes every learner's resources and users and nothing else of the account."""
import json

import pytest

from lab_helpers.classroom import learners, roster, shared
from lab_helpers.config import load
from lab_helpers.engines.iam.policy import identity_decision
from lab_helpers.grading.checks import CheckContext
from lab_helpers.grading.labchecks import glue_crawlers
from lab_helpers.sessions import isolated_session
from lab_helpers.stack.names import TAG_KEY, Names
from lab_helpers.targets import LocalTarget

N = 3
ACCOUNT = "123456789012"      # the instructor's (the local endpoint's default) account


@pytest.fixture
def instructor(endpoint, tmp_path):
    settings = load(environ={}, home=tmp_path / "instructor", port=endpoint.port)
    return settings, LocalTarget(settings)


def _session(learner):
    return isolated_session(learner.access_key, learner.secret_key)


def _names(learner):
    return Names(learner.guid, learner.scope)


def test_learners_share_the_account_with_scoped_names_and_teardown_leaves_the_rest(endpoint, instructor):
    settings, target = instructor
    iam = target.client("iam")
    target.client("s3").create_bucket(Bucket="instructor-bucket")           # the account's own things
    iam.create_role(RoleName="dataedu-glue-crawler-role", AssumeRolePolicyDocument="{}")   # an unscoped workshop

    made = learners.create(settings, target, "cs", N, with_data=False, shared_account=True)
    klass = made.klass
    assert klass.shared_account and made.created == ["learner-01", "learner-02", "learner-03"]
    assert [(l.account, l.scope, l.user) for l in klass.learners] == [
        (ACCOUNT, f"l0{i}", f"labkit-cs-learner-0{i}") for i in (1, 2, 3)]
    for learner in klass.learners:
        ident = _session(learner).client("sts", endpoint_url=endpoint.url).get_caller_identity()
        assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{learner.user}"
        role = iam.get_role(RoleName=f"{learner.scope}-dataedu-glue-crawler-role")["Role"]
        assert {t["Key"]: t["Value"] for t in role["Tags"]}[TAG_KEY] == learner.guid
        env = roster.env_file(klass, learner)
        assert f"LABKIT_SCOPE={learner.scope}" in env and f"LABKIT_ACCESS_KEY_ID={learner.access_key}" in env
        home = json.loads((settings.home / "classes" / "cs" / "learners" / learner.name / "home" /
                           "workspace.json").read_text())
        assert home["local"] == {"guid": learner.guid, "scope": learner.scope}
    aliases = {a["AliasName"] for a in target.client("kms").list_aliases()["Aliases"]}
    assert {"alias/l01-dataedu-key", "alias/l02-dataedu-key", "alias/l03-dataedu-key"} <= aliases

    # Same lab, same code, no cross-talk: learner 1's crawler database is not learner 2's.
    first, second = klass.learners[:2]
    _session(first).client("glue", endpoint_url=endpoint.url).create_database(
        DatabaseInput={"Name": _names(first).of("db_raw_sisdemo")})
    sis_first = glue_crawlers.sis_tables(CheckContext(_target(settings, first), _names(first)))
    sis_second = glue_crawlers.sis_tables(CheckContext(_target(settings, second), _names(second)))
    assert sis_first[0].found == "0 tables in l01_db_raw_sisdemo (expected 12)"
    assert sis_second[0].found == "no database l02_db_raw_sisdemo yet"
    assert sis_second[0].hint == "Run l02-dataedu-sisdemo-crawler and wait for READY."

    again = learners.create(settings, target, "cs", N, with_data=False, shared_account=True)   # idempotent
    assert len(again.kept) == N and not again.created
    with pytest.raises(roster.ClassError, match="scope l01 is already used"):   # another class, same scopes
        learners.create(settings, target, "other", 1, with_data=False, shared_account=True)
    assert [u["UserName"] for u in iam.list_users()["Users"] if "other" in u["UserName"]] == []

    results = learners.teardown(settings, target, klass)
    assert [r.failed for r in results] == [[] for _ in range(N)]
    assert all(r.deleted >= 12 for r in results)          # 4 buckets, 6 roles, 2 functions (+ key pending)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["dataedu-glue-crawler-role"]
    assert [b["Name"] for b in target.client("s3").list_buckets()["Buckets"]] == ["instructor-bucket"]


def _target(settings, learner):
    return LocalTarget(learners.learner_settings(settings, learner))


def test_a_learners_policy_allows_their_resources_and_not_a_neighbours():
    mine, theirs = Names("0123456789ab", "l01"), Names("ba9876543210", "l02")
    policy = shared.learner_policy(mine, ACCOUNT, "us-east-1")
    arn = f"arn:aws:{{}}:us-east-1:{ACCOUNT}:{{}}"

    def decide(action, resource, **context):
        return identity_decision(policy, action, resource, context)

    for names, want in ((mine, "Allow"), (theirs, "ImplicitDeny")):
        raw = names.buckets["raw"]
        assert decide("s3:GetObject", f"arn:aws:s3:::{raw}/sisdb/x.parquet") == want
        assert decide("s3:CreateBucket", f"arn:aws:s3:::{raw}") == want
        assert decide("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{names.of('dataedu-glue-crawler-role')}") == want
        assert decide("glue:GetTable", arn.format("glue", f"table/{names.of('db_raw_sisdemo')}/student")) == want
        assert decide("glue:CreateCrawler", arn.format("glue", f"crawler/{names.of('dataedu-sisdemo-crawler')}")) == want
        assert decide("lambda:InvokeFunction", arn.format("lambda", f"function:{names.of('dataedu-fetch-s3-data')}")) \
            == want
        assert decide("athena:StartQueryExecution", arn.format("athena", f"workgroup/{names.of('dataedu-workgroup')}")) \
            == want
        assert decide("databrew:StartJobRun", arn.format("databrew", f"job/{names.of('student-ext-2-recipe-job')}")) \
            == want
        assert decide("sagemaker:CreateTrainingJob",
                      arn.format("sagemaker", f"training-job/{names.of('at-risk-xgboost')}-2026")) == want
        assert decide("kms:CreateAlias", arn.format("kms", f"alias/{names.of('dataedu-key')}")) == want
        # Services that name by id: the workspace tag decides, on the resource and on creation.
        tag = {f"aws:ResourceTag/{TAG_KEY}": names.guid}
        assert decide("kms:Decrypt", arn.format("kms", "key/1234abcd"), **tag) == want
        assert decide("redshift-serverless:GetWorkgroup", arn.format("redshift-serverless", "workgroup/x"), **tag) \
            == want
        assert decide("kms:CreateKey", "*", **{f"aws:RequestTag/{TAG_KEY}": names.guid}) == want
    assert decide("kms:CreateKey", "*") == "ImplicitDeny"                      # an untagged key
    assert decide("s3:ListAllMyBuckets", "*") == "Allow"                       # discovery is account-wide
    assert decide("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/anyone") == "ImplicitDeny"
    with pytest.raises(ValueError, match="scoped"):
        shared.learner_policy(Names("0123456789ab"), ACCOUNT)


def test_class_mode_refuses_the_localstack_target_and_a_bad_scope_prefix(tmp_path):
    with pytest.raises(roster.ClassError, match="local target .* or the aws target"):
        learners.create(load(environ={}, home=tmp_path, target="localstack"), None, "c1", 3)
    with pytest.raises(roster.ClassError, match="--scope-prefix '9x'"):
        learners.create(load(environ={}, home=tmp_path), None, "c1", 3, shared_account=True, scope_prefix="9x")
