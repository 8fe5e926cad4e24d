"""Class mode as people run it: the instructor's `labkit class ...`, learners' `labkit` with their env file —
real subprocesses, temp homes, a free port, one shared endpoint."""
import json
import os
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support import LABKIT, free_port, run



@pytest.fixture
def instructor(tmp_path):
    env = dict(os.environ, LABKIT_HOME=str(tmp_path / "instructor"), LABKIT_PORT=str(free_port()))
    for var in ("LABKIT_TARGET", "LABKIT_CLASS_STORE", "LABKIT_LEARNER", "LABKIT_SHARED_ENDPOINT",
                "LABKIT_ACCESS_KEY_ID", "LABKIT_SECRET_ACCESS_KEY", "LABKIT_SCOPE"):
        env.pop(var, None)
    try:
        yield env
    finally:
        subprocess.run(LABKIT + ["down"], env=env, capture_output=True, timeout=60)


def learner_env(instructor, name, klass="c1"):
    path = os.path.join(instructor["LABKIT_HOME"], "classes", klass, "learners", f"{name}.env")
    pairs = [line.split("=", 1) for line in open(path).read().splitlines() if line and not line.startswith("#")]
    return dict(instructor, **{k: v.strip("'") for k, v in pairs})


def test_a_class_from_create_to_report_to_teardown(instructor):
    made = run(instructor, "class", "create", "c1", "--learners", "2", "--no-data")
    assert "Created 2, kept 0" in made.stdout and "learner-02" in made.stdout
    roster = json.load(open(os.path.join(instructor["LABKIT_HOME"], "classes", "c1", "roster.json")))
    one, two = roster["learners"]
    assert one["account"] != two["account"]

    ana = learner_env(instructor, "learner-01")
    status = json.loads(run(ana, "status", "--json").stdout)
    assert status["healthy"] and status["workspace"]["guid"] == one["guid"]
    assert status["endpoint_url"] == f"http://127.0.0.1:{instructor['LABKIT_PORT']}"
    checked = run(ana, "check", "00_orientation", check=False)          # nothing done yet: checks fail
    assert checked.returncode == 1 and "checks passed" in checked.stdout
    submitted = os.path.join(instructor["LABKIT_HOME"], "classes", "c1", "store", "learner-01.json")
    assert json.load(open(submitted))["labs"]["00_orientation"]["checks"]   # sent by the check itself
    assert "Submitted learner-01" in run(ana, "submit").stdout
    assert "would wipe every learner" in run(ana, "reset", "--yes", check=False).stderr
    run(ana, "down")                                                    # a learner cannot stop the class
    assert json.loads(run(ana, "status", "--json").stdout)["healthy"]

    # learner-02 cannot read learner-01's buckets; their own work is theirs.
    url = f"http://127.0.0.1:{instructor['LABKIT_PORT']}"
    s3_two = boto3.session.Session(aws_access_key_id=two["access_key"], aws_secret_access_key=two["secret_key"],
                                   region_name="us-east-1").client("s3", endpoint_url=url)
    with pytest.raises(ClientError) as err:
        s3_two.list_objects_v2(Bucket=f"dataedu-raw-{one['guid']}")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert {b["Name"] for b in s3_two.list_buckets()["Buckets"]} == {
        f"dataedu-{zone}-{two['guid']}" for zone in ("raw", "curated", "results", "source")}

    report = json.loads(run(instructor, "class", "report", "c1", "--json").stdout)
    rows = {r["learner"]: r for r in report["rows"]}
    assert rows["learner-01"]["submitted"] and rows["learner-01"]["current_lab"] == "00_orientation"
    assert rows["learner-01"]["labs"]["00_orientation"]["checks_total"] == 2
    assert rows["learner-02"]["submitted"] is False
    page = run(instructor, "class", "report", "c1")
    assert "2 learners, 1 submitted" in page.stdout
    assert os.path.exists(os.path.join(instructor["LABKIT_HOME"], "classes", "c1", "report.html"))

    assert run(instructor, "class", "teardown", "c1", check=False).returncode == 1   # needs --yes
    gone = run(instructor, "class", "teardown", "c1", "--yes")
    assert "torn down" in gone.stdout and "0 learners with failures" in gone.stdout
    assert not os.path.exists(os.path.join(instructor["LABKIT_HOME"], "classes", "c1"))
    with pytest.raises(ClientError):
        s3_two.head_bucket(Bucket=f"dataedu-raw-{two['guid']}")


def test_a_class_in_one_shared_account_from_the_command_line(instructor):
    made = run(instructor, "class", "create", "cs", "--learners", "2", "--no-data", "--shared-account",
               "--scope-prefix", "t")
    assert "Created 2" in made.stdout and "scope t01" in made.stdout and "scope t02" in made.stdout
    ana = learner_env(instructor, "learner-01", "cs")
    assert ana["LABKIT_SCOPE"] == "t01"
    status = json.loads(run(ana, "status", "--json").stdout)
    assert status["workspace"]["scope"] == "t01" and "t01-dataedu-glue-crawler-role" in status["workspace"]["roles"]
    checked = run(ana, "check", "03_glue_crawlers", "--json", check=False)
    hints = json.dumps(json.loads(checked.stdout)["checks"])
    assert "t01-dataedu-sisdemo-crawler" in hints and "t02-" not in hints
    gone = run(instructor, "class", "teardown", "cs", "--yes")
    assert "0 learners with failures" in gone.stdout


def test_class_commands_have_help_with_an_example():
    from click.testing import CliRunner

    from lab_helpers.cli import main

    for args in (["class"], ["class", "create"], ["class", "env"], ["class", "report"], ["class", "teardown"],
                 ["class", "list"], ["submit"], ["teardown"], ["costs"]):
        out = CliRunner().invoke(main, args + ["--help"])
        assert out.exit_code == 0 and "Example" in out.output, args
