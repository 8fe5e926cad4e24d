"""Tests for the local Lambda runtime: handlers run in warm child processes with AWS-shaped outcomes."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile

import pytest

from lab_helpers.engines.lambda_.runtime import (FunctionSpec, InvalidRequestContent,
                                                LambdaRuntime, UnsupportedFunction)

RID = "11111111-2222-3333-4444-555555555555"


def make_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def make_spec(code: str | dict[str, str], handler: str = "app.handler", **overrides) -> FunctionSpec:
    files = {"app.py": code} if isinstance(code, str) else code
    data = make_zip(files)
    fields = dict(name="fn", handler=handler, runtime="python3.12", code_zip=data,
                  code_sha256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
                  environment={}, timeout=10)
    fields.update(overrides)
    return FunctionSpec(**fields)


@pytest.fixture
def runtime(tmp_path):
    rt = LambdaRuntime(str(tmp_path / "cache"))
    yield rt
    pids = rt.environments()
    rt.close()
    assert rt.environments() == [] and not any(_alive(pid) for pid in pids)  # no process left behind


def body_between_start_and_end(log: str) -> str:
    return log.split(f"START RequestId: {RID} Version: $LATEST\n", 1)[1].split(f"END RequestId: {RID}")[0]


def test_invoke_returns_the_handlers_result_as_json(runtime):
    spec = make_spec("def handler(event, context):\n    return {'sum': sum(event['xs'])}\n")
    result = runtime.invoke(spec, b'{"xs": [1, 2, 3]}', request_id=RID)
    assert json.loads(result.payload) == {"sum": 6}
    assert result.function_error is None and not result.timed_out
    assert result.request_id == RID


def test_none_result_is_null_and_empty_event_is_an_empty_dict(runtime):
    spec = make_spec("def handler(event, context):\n    assert event == {}\n    return None\n")
    assert runtime.invoke(spec, b"").payload == b"null"


def test_decimal_results_are_numbers_like_awslambdaric(runtime):
    spec = make_spec("from decimal import Decimal\n"
                     "def handler(event, context):\n    return [Decimal('2'), Decimal('1.5')]\n")
    assert runtime.invoke(spec, b"{}").payload == b"[2, 1.5]"


def test_non_json_event_is_rejected_like_the_invoke_api(runtime):
    spec = make_spec("def handler(event, context):\n    return 1\n")
    with pytest.raises(InvalidRequestContent, match="Could not parse request body into json"):
        runtime.invoke(spec, b"not json")


def test_function_and_standard_lambda_variables_are_visible(runtime):
    spec = make_spec("import os\ndef handler(event, context):\n    return dict(os.environ)\n",
                     environment={"STAGE": "lab", "TZ": "Europe/Paris"}, memory_mb=256)
    env = json.loads(runtime.invoke(spec, b"{}").payload)
    assert env["STAGE"] == "lab"
    assert env["TZ"] == "Europe/Paris"  # TZ is not reserved: functions may set it on AWS too
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fn"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert os.path.isfile(os.path.join(env["LAMBDA_TASK_ROOT"], "app.py"))
    assert env["LAMBDA_RUNTIME_DIR"] and env["PATH"] and env["LANG"]
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


def test_extra_env_credentials_are_used_and_parent_aws_settings_are_not_inherited(runtime, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "bogus-profile")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPARENTPARENT0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "parent-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://parent.invalid")
    spec = make_spec(
        "import os, boto3\n"
        "def handler(event, context):\n"
        "    creds = boto3.Session().get_credentials().get_frozen_credentials()\n"
        "    return {'aws': {k: v for k, v in os.environ.items() if k.startswith('AWS_')},\n"
        "            'key': creds.access_key, 'token': creds.token}\n")
    extra = {"AWS_ACCESS_KEY_ID": "ASIAROLEROLEROLE0000", "AWS_SECRET_ACCESS_KEY": "role-secret",
             "AWS_SESSION_TOKEN": "role-token"}
    out = json.loads(runtime.invoke(spec, b"{}", extra_env=extra).payload)
    assert out["key"] == "ASIAROLEROLEROLE0000" and out["token"] == "role-token"
    assert "AWS_PROFILE" not in out["aws"] and "AWS_ENDPOINT_URL" not in out["aws"]
    assert "parent-secret" not in json.dumps(out)


def test_child_imports_boto3_but_not_the_kit_or_other_kit_packages(runtime):
    spec = make_spec(
        "import importlib.util, sys\n"
        "def handler(event, context):\n"
        "    found = {m: importlib.util.find_spec(m) is not None\n"
        "             for m in ('boto3', 'botocore', 'lab_helpers', 'moto', 'pandas')}\n"
        "    return {'found': found, 'path0': sys.path[0]}\n")
    out = json.loads(runtime.invoke(spec, b"{}").payload)
    assert out["found"] == {"boto3": True, "botocore": True, "lab_helpers": False,
                            "moto": False, "pandas": False}
    assert os.path.isfile(os.path.join(out["path0"], "app.py"))


def test_context_has_aws_fields_and_remaining_time_counts_down(runtime):
    spec = make_spec(
        "import time\n"
        "def handler(event, context):\n"
        "    first = context.get_remaining_time_in_millis()\n"
        "    time.sleep(0.05)\n"
        "    return {'first': first, 'second': context.get_remaining_time_in_millis(),\n"
        "            'id': context.aws_request_id, 'name': context.function_name,\n"
        "            'version': context.function_version, 'arn': context.invoked_function_arn,\n"
        "            'memory': context.memory_limit_in_mb, 'group': context.log_group_name,\n"
        "            'stream': context.log_stream_name,\n"
        "            'custom': context.client_context.custom if context.client_context else None,\n"
        "            'identity': context.identity.cognito_identity_id}\n",
        timeout=7, region="eu-west-1", account="111122223333")
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    result = runtime.invoke(spec, b"{}", request_id=RID, client_context=client_context)
    out = json.loads(result.payload)
    assert 0 < out["second"] < out["first"] <= 7000
    assert out["id"] == RID and out["name"] == "fn" and out["version"] == "$LATEST"
    assert out["arn"] == "arn:aws:lambda:eu-west-1:111122223333:function:fn"
    assert out["memory"] == "128"  # a string, as on AWS
    assert out["group"] == "/aws/lambda/fn" and out["stream"] == result.log_stream
    assert out["custom"] == {"k": "v"} and out["identity"] is None


def test_unhandled_exception_gives_aws_error_payload_and_error_log(runtime):
    spec = make_spec("def handler(event, context):\n    raise ValueError('boom')\n")
    result = runtime.invoke(spec, b"{}", request_id=RID)
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "boom" and error["errorType"] == "ValueError"
    assert error["requestId"] == RID
    assert error["stackTrace"] == [
        '  File "/var/task/app.py", line 2, in handler\n    raise ValueError(\'boom\')\n']
    body = body_between_start_and_end(result.log)
    lines = body.splitlines()
    assert lines[0] == "[ERROR] ValueError: boom"
    assert lines[1] == "Traceback (most recent call last):"
    # AWS indents the traceback lines of the log with NO-BREAK SPACEs
    assert lines[2] == '\u00a0\u00a0File "/var/task/app.py", line 2, in handler'


def test_import_error_text_matches_aws(runtime):
    result = runtime.invoke(make_spec("x = 1\n", handler="missing.handler"), b"{}")
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'missing': No module named 'missing'"
    assert error["stackTrace"] == []
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'missing'" in result.log


def test_handler_not_found_and_malformed_handler_texts_match_aws(runtime):
    code = "def handler(event, context):\n    return 1\n"
    missing = json.loads(runtime.invoke(make_spec(code, handler="app.nope"), b"{}").payload)
    assert missing["errorType"] == "Runtime.HandlerNotFound"
    assert missing["errorMessage"] == "Handler 'nope' missing on module 'app'"
    bad = json.loads(runtime.invoke(make_spec(code, handler="apphandler"), b"{}").payload)
    assert bad["errorType"] == "Runtime.MalformedHandlerName"
    assert bad["errorMessage"] == ("Bad handler 'apphandler': not enough values to unpack "
                                   "(expected 2, got 1)")


def test_syntax_error_is_user_code_syntax_error(runtime):
    error = json.loads(runtime.invoke(make_spec("def handler(:\n"), b"{}").payload)
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'app': ")
    assert error["stackTrace"][0].startswith('  File "/var/task/app.py" Line 1')


def _alive(pid: int) -> bool:
    if os.path.isdir("/proc/self"):  # Linux: a zombie has already been killed
        try:
            with open(f"/proc/{pid}/status") as f:
                return "\nState:\tZ" not in f.read()
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_timeout_kills_the_process_tree_and_reports_sandbox_timedout(runtime):
    spec = make_spec(
        "import subprocess, sys, time\n"
        "def handler(event, context):\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    print('grandchild', child.pid)\n"
        "    time.sleep(30)\n", timeout=1)
    result = runtime.invoke(spec, b"{}", request_id=RID)   # returns at all: the handler alone sleeps 30 s
    assert result.timed_out and result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {RID} Error: Task timed out after 1.00 seconds"}
    assert re.search(rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {RID} Task timed out after 1\.00 "
                     rf"seconds\nEND RequestId: {RID}\n", result.log, re.M)
    assert "Duration: 1000.00 ms\tBilled Duration: 1000 ms" in result.log
    pid = int(re.search(r"grandchild (\d+)", result.log).group(1))
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid)


def test_timed_out_environment_is_replaced_by_a_cold_one(runtime):
    slow = make_spec("import time\ndef handler(event, context):\n    time.sleep(event['s'])\n",
                     timeout=1)
    first = runtime.invoke(slow, b'{"s": 5}')
    second = runtime.invoke(slow, b'{"s": 0}')
    assert first.timed_out and not second.timed_out
    assert second.log_stream != first.log_stream and "Init Duration" in second.log


@pytest.mark.parametrize("code, reason", [
    ("import sys\ndef handler(event, context):\n    sys.exit()\n",
     "Runtime exited without providing a reason"),
    ("import os\ndef handler(event, context):\n    os._exit(1)\n",
     "Runtime exited with error: exit status 1"),
    ("import os, signal\ndef handler(event, context):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
     "Runtime exited with error: signal: killed"),
])
def test_exit_or_crash_reports_runtime_exit_error(runtime, code, reason):
    result = runtime.invoke(make_spec(code), b"{}", request_id=RID)
    assert result.function_error == "Unhandled" and not result.timed_out
    assert json.loads(result.payload) == {"errorMessage": f"RequestId: {RID} Error: {reason}",
                                          "errorType": "Runtime.ExitError"}
    assert f"RequestId: {RID} Error: {reason}\nRuntime.ExitError\nEND RequestId: {RID}" in result.log


def test_print_stderr_and_logging_appear_between_start_and_end(runtime):
    spec = make_spec(
        "import logging, sys\n"
        "logger = logging.getLogger()\n"
        "def handler(event, context):\n"
        "    print('hello from print')\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    logger.info('hidden: the root logger is at WARNING, as on AWS')\n"
        "    logger.setLevel('INFO')\n"
        "    logger.info('processing %s', event['id'])\n"
        "    logging.getLogger('app').warning('careful')\n"
        "    return 1\n")
    result = runtime.invoke(spec, b'{"id": 7}', request_id=RID)
    lines = body_between_start_and_end(result.log).splitlines()
    assert lines[:2] == ["hello from print", "to stderr"]
    assert re.fullmatch(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{RID}\tprocessing 7",
                        lines[2])
    assert lines[3].startswith("[WARNING]\t") and lines[3].endswith(f"\t{RID}\tcareful")
    assert len(lines) == 4 and "hidden" not in result.log
    assert result.log.startswith(f"START RequestId: {RID} Version: $LATEST\n")


def test_report_line_fields_and_init_duration_only_on_cold_start(runtime):
    spec = make_spec("print('module init')\ndef handler(event, context):\n    return 1\n")
    cold = runtime.invoke(spec, b"{}", request_id=RID)
    warm = runtime.invoke(spec, b"{}", request_id=RID)
    report = re.compile(
        rf"REPORT RequestId: {RID}\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB(\tInit Duration: \d+\.\d\d ms)?\n$")
    cold_match, warm_match = report.search(cold.log), report.search(warm.log)
    assert cold_match and cold_match.group(4) and warm_match and not warm_match.group(4)
    duration, billed, memory = float(cold_match.group(1)), int(cold_match.group(2)), int(cold_match.group(3))
    assert billed >= duration and billed == cold.billed_ms and memory == cold.max_memory_mb > 0
    assert cold.log.startswith("module init\nSTART RequestId")  # init output precedes START
    assert "module init" not in warm.log  # a warm environment does not run init again
    assert warm.log_stream == cold.log_stream
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", cold.log_stream)


def test_code_is_unpacked_once_per_code_sha(runtime, tmp_path):
    spec = make_spec({"app.py": "def handler(event, context):\n    return open('data.txt').read()\n",
                      "data.txt": "v1"})
    assert runtime.invoke(spec, b"{}").payload == b'"v1"'
    dirs = [d for d in os.listdir(tmp_path / "cache") if not d.startswith(".")]
    assert len(dirs) == 1 and dirs[0] == base64.b64decode(spec.code_sha256).hex()
    marker = tmp_path / "cache" / dirs[0] / "data.txt"
    marker.write_text("changed locally")
    mtime = marker.stat().st_mtime_ns
    assert runtime.invoke(spec, b"{}").payload == b'"changed locally"'  # not re-extracted
    assert marker.stat().st_mtime_ns == mtime


def test_eight_concurrent_invocations_of_two_functions_are_all_correct(runtime):
    code = "import time\ndef handler(event, context):\n    time.sleep(0.2)\n    return [event['n'], context.aws_request_id]\n"
    specs = [make_spec(code), make_spec({"app.py": code, "other.txt": "x"}, name="fn2")]
    results: dict[int, object] = {}

    def call(n):
        results[n] = runtime.invoke(specs[n % 2], json.dumps({"n": n}).encode(), request_id=f"req-{n}")

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(8):
        assert json.loads(results[n].payload) == [n, f"req-{n}"]
        assert f"START RequestId: req-{n} " in results[n].log
    streams = {results[n].log_stream for n in range(8)}
    assert len(streams) >= 2  # overlapping invocations need separate environments


@pytest.mark.parametrize("runtime_name", ["nodejs20.x", "java21", "dotnet8", "ruby3.3",
                                          "provided.al2023", "go1.x", "python2.7"])
def test_unsupported_runtime_is_refused_with_a_clear_message(runtime, runtime_name):
    spec = make_spec("def handler(e, c): pass\n", runtime=runtime_name)
    with pytest.raises(UnsupportedFunction) as err:
        runtime.invoke(spec, b"{}")
    assert runtime_name in str(err.value) and "Python .zip functions only" in str(err.value)
    assert "LABKIT_TARGET=aws" in str(err.value)


def test_container_image_function_is_refused_with_a_clear_message(runtime):
    spec = make_spec("def handler(e, c): pass\n", package_type="Image")
    with pytest.raises(UnsupportedFunction, match=r"container image.*LABKIT_TARGET=aws"):
        runtime.validate(spec)


def test_unserialisable_result_is_a_marshal_error(runtime):
    spec = make_spec("def handler(event, context):\n    return {1, 2}\n")
    result = runtime.invoke(spec, b"{}", request_id=RID)
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError", "requestId": RID, "stackTrace": []}
    assert "[ERROR] Runtime.MarshalError: Unable to marshal response" in result.log


# --- warm execution environments -----------------------------------------------------------------

COUNTER = ("import os\n"
           "count = 0\n"
           "def handler(event, context):\n"
           "    global count\n"
           "    count += 1\n"
           "    return {'count': count, 'pid': os.getpid()}\n")


def _wait_gone(pids, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return not any(_alive(pid) for pid in pids)


def test_module_state_survives_warm_invocations_of_one_environment(runtime):
    spec = make_spec(COUNTER)
    outs = [json.loads(runtime.invoke(spec, b"{}").payload) for _ in range(3)]
    assert [o["count"] for o in outs] == [1, 2, 3]
    assert len({o["pid"] for o in outs}) == 1
    assert runtime.environments() == [outs[0]["pid"]]
    runtime.reset()


def test_tmp_file_written_by_one_invocation_is_there_for_the_next_warm_one(runtime):
    spec = make_spec("import os, tempfile\n"
                     "CACHE = tempfile.mkdtemp(prefix='lambda-test-')  # init: once per environment\n"
                     "def handler(event, context):\n"
                     "    path = os.path.join(CACHE, 'download')\n"
                     "    seen = os.path.exists(path)\n"
                     "    open(path, 'w').write('x')\n"
                     "    return [seen, path]\n")
    first, path = json.loads(runtime.invoke(spec, b"{}").payload)
    try:
        assert path.startswith(tempfile.gettempdir()) and not first
        assert json.loads(runtime.invoke(spec, b"{}").payload) == [True, path]
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    runtime.reset()


@pytest.mark.parametrize("failure", ["timeout", "crash"])
def test_timeout_or_crash_discards_the_environment_and_the_next_call_is_cold(runtime, failure):
    spec = make_spec("import os, time\n" + COUNTER.replace(
        "    count += 1\n",
        "    count += 1\n"
        "    if event.get('fail') == 'timeout':\n        time.sleep(30)\n"
        "    if event.get('fail') == 'crash':\n        os._exit(3)\n"), timeout=1)
    first = runtime.invoke(spec, b"{}")
    pid = json.loads(first.payload)["pid"]
    failed = runtime.invoke(spec, json.dumps({"fail": failure}).encode())
    assert failed.function_error == "Unhandled" and failed.timed_out == (failure == "timeout")
    assert failed.log_stream == first.log_stream  # it failed in the warm environment
    assert "Init Duration" not in failed.log
    assert _wait_gone([pid])
    after = runtime.invoke(spec, b"{}")
    assert json.loads(after.payload)["count"] == 1 and json.loads(after.payload)["pid"] != pid
    assert after.log_stream != first.log_stream and "Init Duration" in after.log
    runtime.reset()


def test_handled_error_keeps_the_warm_environment(runtime):
    spec = make_spec(COUNTER.replace("    count += 1\n",
                                     "    count += 1\n    if event.get('fail'):\n        raise ValueError('x')\n"))
    first = json.loads(runtime.invoke(spec, b"{}").payload)
    assert runtime.invoke(spec, b'{"fail": true}').function_error == "Unhandled"
    assert json.loads(runtime.invoke(spec, b"{}").payload) == {"count": 3, "pid": first["pid"]}
    runtime.reset()


def test_overlapping_invocations_run_in_two_processes(runtime):
    spec = make_spec("import os, time\n"
                     "def handler(event, context):\n    time.sleep(0.5)\n    return os.getpid()\n")
    results = {}

    def call(n):
        results[n] = runtime.invoke(spec, b"{}")

    threads = [threading.Thread(target=call, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pids = {json.loads(r.payload) for r in results.values()}
    assert len(pids) == 2 and len({r.log_stream for r in results.values()}) == 2
    assert all("Init Duration" in r.log for r in results.values())
    assert runtime.environments() == sorted(pids)  # both stay warm
    runtime.reset()


def test_reset_kills_idle_environments_and_their_children(runtime):
    # Started at init: processes an invocation starts die when it ends, init's live with the environment.
    spec = make_spec("import os, subprocess, sys\n"
                     "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                     "def handler(event, context):\n"
                     "    return [os.getpid(), child.pid]\n")
    other = make_spec(COUNTER, name="fn2")
    pids = json.loads(runtime.invoke(spec, b"{}").payload) + [json.loads(runtime.invoke(other, b"{}").payload)["pid"]]
    assert all(_alive(pid) for pid in pids)
    runtime.reset()
    assert runtime.environments() == []
    assert _wait_gone(pids)
    assert json.loads(runtime.invoke(other, b"{}").payload)["count"] == 1  # cold again
    runtime.close()
    assert runtime.environments() == []


def test_idle_environments_are_reaped_after_the_idle_ttl(tmp_path):
    runtime = LambdaRuntime(str(tmp_path / "cache"), idle_ttl=0.3)
    pid = json.loads(runtime.invoke(make_spec(COUNTER), b"{}").payload)["pid"]
    assert runtime.environments() == [pid]
    deadline = time.monotonic() + 10
    while runtime.environments() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.environments() == [] and _wait_gone([pid])


def test_idle_environments_per_configuration_are_capped(tmp_path):
    runtime = LambdaRuntime(str(tmp_path / "cache"), max_idle_per_config=2)
    spec = make_spec("import time\ndef handler(event, context):\n    time.sleep(0.3)\n")
    threads = [threading.Thread(target=runtime.invoke, args=(spec, b"{}")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runtime.environments()) == 2
    runtime.close()


def test_code_update_gets_a_new_environment_and_ends_the_old_one(runtime):
    v1 = make_spec(COUNTER)
    v2 = make_spec(COUNTER + "# v2\n")
    first = runtime.invoke(v1, b"{}")
    old_pid = json.loads(first.payload)["pid"]
    second = runtime.invoke(v2, b"{}")
    assert json.loads(second.payload)["count"] == 1 and json.loads(second.payload)["pid"] != old_pid
    assert second.log_stream != first.log_stream and "Init Duration" in second.log
    assert _wait_gone([old_pid])
    changed = runtime.invoke(make_spec(COUNTER + "# v2\n", environment={"STAGE": "new"}), b"{}")
    assert json.loads(changed.payload)["count"] == 1  # a configuration change is a new environment too
    runtime.reset()


def test_other_credentials_get_a_new_environment(runtime):
    spec = make_spec(COUNTER)
    a = {"AWS_ACCESS_KEY_ID": "ASIAFIRSTFIRSTFIRST0"}
    b = {"AWS_ACCESS_KEY_ID": "ASIASECONDSECONDSEC0"}
    assert json.loads(runtime.invoke(spec, b"{}", extra_env=a).payload)["count"] == 1
    assert json.loads(runtime.invoke(spec, b"{}", extra_env=a).payload)["count"] == 2
    assert json.loads(runtime.invoke(spec, b"{}", extra_env=b).payload)["count"] == 1
    runtime.reset()


def test_each_warm_invocation_logs_only_its_own_output(runtime):
    spec = make_spec("print('init once')\ndef handler(event, context):\n    print('event', event['n'])\n")
    logs = [runtime.invoke(spec, json.dumps({"n": n}).encode(), request_id=RID).log for n in range(3)]
    for n, log in enumerate(logs):
        assert body_between_start_and_end(log) == f"event {n}\n"
    assert logs[0].startswith("init once\n") and "init once" not in logs[1] + logs[2]
    runtime.reset()
