"""30 learners on one endpoint: each in an account of their own, none sees another's buckets or tables,
and `class teardown` removes every learner's resources and nothing of the instructor's."""
import pytest
from botocore.exceptions import ClientError

from lab_helpers.classroom import learners, roster
from lab_helpers.config import load
from lab_helpers.sessions import isolated_session
from lab_helpers.stack.names import Names
from lab_helpers.targets import LocalTarget

N = 30


@pytest.fixture
def instructor(endpoint, tmp_path):
    settings = load(environ={}, home=tmp_path / "instructor", port=endpoint.port)
    return settings, LocalTarget(settings)


def _client(endpoint, learner, service):
    return isolated_session(learner.access_key, learner.secret_key).client(service, endpoint_url=endpoint.url)


def test_thirty_learners_are_isolated_and_teardown_removes_only_theirs(endpoint, instructor):
    settings, target = instructor
    made = learners.create(settings, target, "c30", N, with_data=False)
    klass = made.klass
    assert len(made.created) == N and len({l.account for l in klass.learners}) == N
    assert len({l.guid for l in klass.learners}) == N and len({l.access_key for l in klass.learners}) == N
    assert roster.load(settings.home, "c30").learners == klass.learners
    decoy = target.client("s3")
    decoy.create_bucket(Bucket="instructor-bucket")           # the default account: not any learner's

    for i, learner in enumerate(klass.learners):
        s3, glue = _client(endpoint, learner, "s3"), _client(endpoint, learner, "glue")
        assert _client(endpoint, learner, "sts").get_caller_identity()["Account"] == learner.account
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == sorted(Names(learner.guid).buckets.values())
        # Every learner makes the database lab 03 makes, with the same name, pointing at their own bucket.
        glue.create_database(DatabaseInput={"Name": "db_raw_sisdemo",
                                            "LocationUri": f"s3://{Names(learner.guid).buckets['raw']}/"})
        neighbour = klass.learners[(i + 1) % N]
        with pytest.raises(ClientError) as err:
            s3.list_objects_v2(Bucket=Names(neighbour.guid).buckets["raw"])
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        key = _client(endpoint, learner, "kms").describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["Arn"]
        assert key.split(":")[4] == learner.account

    for learner in klass.learners:
        dbs = _client(endpoint, learner, "glue").get_databases()["DatabaseList"]
        assert [(d["Name"], d["LocationUri"]) for d in dbs] == [
            ("db_raw_sisdemo", f"s3://{Names(learner.guid).buckets['raw']}/")]

    again = learners.create(settings, target, "c30", N, with_data=False)   # idempotent
    assert len(again.kept) == N and not again.created and not again.rekeyed

    results = learners.teardown(settings, target, klass)
    assert [r.failed for r in results] == [[] for _ in range(N)]
    assert all(r.deleted >= 12 for r in results)                   # 4 buckets, 6 roles, 2 functions (+ key pending)
    from lab_helpers.endpoint.moto import accounts, s3 as moto_s3
    # The learners' keys are gone: the endpoint no longer knows them (they would land in the default account).
    assert {accounts.for_access_key(l.access_key) for l in klass.learners} == {"123456789012"}
    assert all(moto_s3.bucket_account(b) is None for l in klass.learners for b in Names(l.guid).buckets.values())
    assert [b["Name"] for b in decoy.list_buckets()["Buckets"]] == ["instructor-bucket"]
    assert not (settings.home / "classes" / "c30").exists()


def test_a_restarted_endpoint_gets_new_keys_for_the_same_accounts(endpoint, instructor):
    from tests.conftest import reset_endpoint

    settings, target = instructor
    first = learners.create(settings, target, "c2", 2, with_data=False).klass
    reset_endpoint(endpoint)                                          # as if the endpoint restarted
    again = learners.create(settings, target, "c2", 2, with_data=False)
    assert again.rekeyed == ["learner-01", "learner-02"]
    assert [l.account for l in again.klass.learners] == [l.account for l in first.learners]
    assert [l.guid for l in again.klass.learners] == [l.guid for l in first.learners]
    learner = again.klass.learners[0]
    assert _client(endpoint, learner, "s3").head_bucket(Bucket=Names(learner.guid).buckets["raw"])


def test_a_class_name_is_checked(tmp_path):
    with pytest.raises(roster.ClassError, match="lower-case"):
        roster.class_dir(tmp_path, "Bad Name")
