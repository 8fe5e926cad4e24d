"""The labkit CLI as a newcomer uses it: up, status, env, up again, down — no process left behind."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.support import LABKIT, free_port, run



@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ, LABKIT_HOME=str(tmp_path / "home"), LABKIT_PORT=str(free_port()))
    env.pop("LABKIT_TARGET", None)
    yield env
    subprocess.run(LABKIT + ["down"], env=env, capture_output=True, timeout=60)


def test_up_status_env_twice_and_down(cli_env):
    first = run(cli_env, "up")
    assert "labkit is up on target 'local'" in first.stdout
    status = json.loads(run(cli_env, "status", "--json").stdout)
    assert status["target"] == "local" and status["healthy"] is True
    assert status["endpoint_url"] == f"http://127.0.0.1:{cli_env['LABKIT_PORT']}"
    ws = status["workspace"]
    assert len(ws["guid"]) == 12
    assert set(ws["buckets"]) == {"raw", "curated", "results", "source"}
    assert ws["buckets"]["raw"] == f"dataedu-raw-{ws['guid']}"
    assert ws["kms_alias"] == "alias/dataedu-key"
    pid = status["pid"]

    second = run(cli_env, "up")
    assert "nothing to do" in second.stdout
    assert json.loads(run(cli_env, "status", "--json").stdout)["pid"] == pid

    exports = run(cli_env, "env").stdout
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{cli_env['LABKIT_PORT']}" in exports
    assert "unset AWS_PROFILE" in exports
    script = f'eval "$({sys.executable} -m lab_helpers.cli env)"; {sys.executable} -c "import boto3; print(len(boto3.client(\'s3\').list_buckets()[\'Buckets\']))"'
    out = subprocess.run(["bash", "-c", script], env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "4", out.stderr

    assert "stopped" in run(cli_env, "down").stdout
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
            time.sleep(0.1)
        except ProcessLookupError:
            break
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert json.loads(run(cli_env, "status", "--json").stdout)["healthy"] is False


def test_every_command_has_help_with_an_example():
    from click.testing import CliRunner

    from lab_helpers.cli import main

    commands = ["up", "down", "status", "env", "reset", "check", "quiz", "progress", "build", "catch-up", "exam",
                "quiz-coverage", "data", "execute"]
    for command in commands:   # in-process: --help runs no command, so a subprocess each only costs start-up
        out = CliRunner().invoke(main, [command, "--help"])
        assert out.exit_code == 0 and "Example:" in out.output, command


def test_up_on_a_busy_port_explains_the_fix(cli_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(cli_env["LABKIT_PORT"])))
        s.listen()
        proc = run(cli_env, "up", check=False)
    assert proc.returncode != 0
    assert "is in use" in proc.stderr and "--port" in proc.stderr


def test_unknown_lab_lists_valid_labs(cli_env):
    proc = run(cli_env, "check", "99_nope", check=False)
    assert proc.returncode != 0 and "00_orientation" in proc.stderr


def test_quiz_in_the_terminal_grades_reprompts_and_records(cli_env, tmp_path):
    from lab_helpers.grading import bank

    questions = bank.bank("01_kms_key_users")
    answers = []
    for q in questions:
        if q.type == "single":
            wrong = next(k for k in q.choices if k != q.answer)
            answers += ["zz", wrong]          # an invalid answer is re-asked, then a wrong one recorded
        else:
            answers.append("")                # skip
    proc = subprocess.run(LABKIT + ["quiz", "01_kms_key_users"], env=cli_env, input="\n".join(answers) + "\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "is not a choice of" in proc.stdout and "Not quite" in proc.stdout
    assert "Score: 0/" in proc.stdout
    progress = json.loads(run(cli_env, "progress", "--json").stdout)
    lab01 = next(r for r in progress["labs"] if r["lab"] == "01_kms_key_users")
    # The notebook's own questions count as its quiz; the rest of the bank answered here is reported apart.
    assert lab01["quiz_answered"] + lab01["bank_answered"] == sum(q.type == "single" for q in questions)
    assert lab01["quiz_correct"] == lab01["bank_correct"] == 0
    assert "01_kms_key_users" in run(cli_env, "progress").stdout
    report = tmp_path / "progress.html"
    run(cli_env, "progress", "--html", str(report))
    assert "<svg" in report.read_text()
