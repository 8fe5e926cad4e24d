"""Local Lambda runtime: run a Python .zip function's handler in a child process, as AWS would.

Emulated (texts and shapes follow AWS's Python runtime client, awslambdaric, and the platform):
- the code zip is unpacked once per CodeSha256 into ``<cache_dir>/<sha256 hex>/`` (atomic rename,
  safe across threads and processes); it is the child's cwd and first ``sys.path`` entry;
- one child process per invocation with only the function's variables, the standard Lambda
  variables and the caller's ``extra_env``: never the parent's AWS_* variables or ~/.aws; boto3
  and its dependencies are importable (Lambda ships them), other kit packages and the kit are not;
- ``context`` as on AWS; results marshalled like awslambdaric (None → null, Decimal → number,
  bytes as-is, else ``Runtime.MarshalError``); exceptions and init errors (ImportModuleError,
  HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError) as ``errorMessage/errorType/
  requestId/stackTrace`` plus the ``[ERROR]`` log block; ``Sandbox.Timedout`` (the process group
  is killed); ``Runtime.ExitError`` when the process exits or crashes;
- the log: init output (cold starts only), START, stdout/stderr and ``logging`` in AWS's format,
  END, REPORT with ``Init Duration`` on cold starts. Execution environments are modelled: one is
  reused (same log stream, warm) by a later invocation of the same configuration unless it timed
  out, crashed or failed to initialise; overlapping invocations get environments of their own.

LIMITATIONS:
- All runtimes python3.8 … python3.13 run on the kit's own interpreter (``sys.executable``).
- Each invocation is a fresh process, so module-level state and /tmp files do NOT survive between
  "warm" invocations as on AWS; init code runs every time (not counted in Duration).
- Init errors are logged once between START and END (AWS logs them before START with INIT_REPORT
  lines and retries init); no INIT_START/INIT_REPORT lines; LoggingConfig JSON format not emulated.
- Memory size is reported, not enforced (no OOM); Max Memory Used is the child's peak RSS. No
  payload or /tmp size limits; the code dir is writable; /tmp is the host's.
- Environments are never reclaimed for idleness while the LambdaRuntime object lives.
- Python .zip functions only: other runtimes and container images raise UnsupportedFunction.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import importlib.metadata as _metadata
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field

SUPPORTED_RUNTIMES = tuple(f"python3.{minor}" for minor in range(8, 14))
INIT_LIMIT_S = 10.0  # AWS's init phase limit; a longer init continues into the invoke phase
# What AWS's Python runtimes ship besides the standard library: the AWS SDK and its dependencies.
_SDK_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six",
                      "urllib3")
_BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lambda_bootstrap.py")
_RUN_ON_AWS = ("To run it, use a real AWS account: set LABKIT_TARGET=aws and restart the kernel.")
# Signal names as the Lambda platform (Go) prints them in "Runtime exited with error: signal: …".
_SIGNAL_NAMES = {1: "hangup", 2: "interrupt", 3: "quit", 4: "illegal instruction", 6: "aborted",
                 7: "bus error", 8: "floating point exception", 9: "killed",
                 11: "segmentation fault", 15: "terminated"}


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    runtime: str
    code_zip: bytes = field(repr=False)
    code_sha256: str
    environment: dict[str, str]
    timeout: float  # seconds
    memory_mb: int = 128
    version: str = "$LATEST"
    region: str = "us-east-1"
    account: str = "123456789012"
    package_type: str = "Zip"
    log_group: str = ""  # default /aws/lambda/<name>


@dataclass
class InvokeResult:
    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log: str  # the full log text of this invocation (START … END … REPORT lines)
    log_stream: str
    duration_ms: float
    billed_ms: int
    max_memory_mb: int
    request_id: str
    timed_out: bool


class UnsupportedFunction(Exception):
    """The function cannot run on the local target (runtime, package type or code)."""


class InvalidFunctionCode(UnsupportedFunction):
    """The function's code zip cannot be unpacked."""


class InvalidRequestContent(ValueError):
    """The event is not JSON (the Invoke API answers InvalidRequestContentException, HTTP 400)."""


@dataclass
class _Outcome:
    spawned: float
    log: bytes = b""
    init: dict | None = None
    result: dict | None = None
    payload: bytes = b""
    returncode: int | None = None
    timed_out: bool = False
    ended: float = 0.0
    maxrss_kb: int = 0


class LambdaRuntime:
    def __init__(self, cache_dir: str):
        self.cache_dir = os.path.abspath(cache_dir)
        os.makedirs(os.path.join(self.cache_dir, ".work"), exist_ok=True)
        self._lock = threading.Lock()
        self._idle: dict[tuple, list[str]] = {}  # config -> log streams of warm environments
        self._site: str | None = None

    def validate(self, spec: FunctionSpec) -> None:
        """Raise UnsupportedFunction if the local target cannot run this function."""
        if spec.package_type != "Zip":
            raise UnsupportedFunction(
                f"Function '{spec.name}' is a container image (PackageType={spec.package_type}). "
                "The local target runs Python .zip functions only (runtimes "
                f"{SUPPORTED_RUNTIMES[0]} … {SUPPORTED_RUNTIMES[-1]}), without Docker. {_RUN_ON_AWS}")
        if spec.runtime not in SUPPORTED_RUNTIMES:
            raise UnsupportedFunction(
                f"Function '{spec.name}' uses runtime '{spec.runtime}', which the local target "
                "cannot run: it runs Python .zip functions only (runtimes "
                f"{SUPPORTED_RUNTIMES[0]} … {SUPPORTED_RUNTIMES[-1]}). {_RUN_ON_AWS}")

    def reset(self) -> None:
        """Forget warm environments: the next invocation of every function is a cold start."""
        with self._lock:
            self._idle.clear()

    def invoke(self, spec: FunctionSpec, event: bytes, *, request_id: str | None = None,
               extra_env: dict[str, str] | None = None,
               client_context: str | None = None) -> InvokeResult:
        self.validate(spec)
        event_text = _event_text(event)
        code_dir = self._code_dir(spec)
        request_id = request_id or str(uuid.uuid4())
        key = _sandbox_key(spec)
        with self._lock:
            idle = self._idle.get(key)
            stream = idle.pop() if idle else None
        cold = stream is None
        if cold:  # a new execution environment, with its own log stream
            stream = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{spec.version}]{uuid.uuid4().hex}"
        env = self._child_env(spec, code_dir, stream, extra_env or {})
        work = tempfile.mkdtemp(prefix="inv-", dir=os.path.join(self.cache_dir, ".work"))
        try:
            invocation = {"request_id": request_id, "event": event_text, "timeout": spec.timeout,
                          "invoked_function_arn": _function_arn(spec),
                          "client_context": _client_context_json(client_context),
                          "trace_id": _trace_id()}
            with open(os.path.join(work, "invoke.json"), "w", encoding="utf-8") as f:
                json.dump(invocation, f)
            outcome = _run_child(spec, code_dir, env, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result = _compose(spec, outcome, request_id, stream, cold)
        healthy = (outcome.result is not None and not outcome.timed_out
                   and not outcome.result.get("init_error"))
        if healthy:  # AWS keeps an environment after handled errors, not after timeouts or crashes
            with self._lock:
                self._idle.setdefault(key, []).append(stream)
        return result

    # -- code and runtime directories --------------------------------------------------------

    def _code_dir(self, spec: FunctionSpec) -> str:
        target = os.path.join(self.cache_dir, _sha_dirname(spec.code_sha256, spec.code_zip))
        if os.path.isdir(target):
            return target
        tmp = tempfile.mkdtemp(prefix=".unpack-", dir=self.cache_dir)
        try:
            with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as zf:
                zf.extractall(tmp)  # extractall drops absolute paths and '..' components
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise InvalidFunctionCode(
                f"Could not unzip the code of function '{spec.name}' ({e}). Please check your "
                "file, then upload it again (on AWS, CreateFunction rejects such a file).") from e
        _publish(tmp, target)
        return target

    def _runtime_site(self) -> str:
        with self._lock:
            if self._site is None:
                self._site = _build_runtime_site(os.path.join(self.cache_dir, ".runtime"))
            return self._site

    def _child_env(self, spec: FunctionSpec, code_dir: str, log_stream: str,
                   extra_env: dict[str, str]) -> dict[str, str]:
        site_dir = self._runtime_site()
        # Non-reserved variables (PATH, LANG, TZ, PYTHONPATH) may be overridden by the function,
        # as on AWS; reserved ones may not (CreateFunction rejects them there).
        env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                        "/usr/bin", "/bin"]),
               "LANG": "en_US.UTF-8", "TZ": ":UTC",
               # Not a Lambda variable: without credentials from the caller, botocore would
               # otherwise probe the EC2 metadata service and could reach outside the kit.
               "AWS_EC2_METADATA_DISABLED": "true"}
        if os.name == "nt":  # Python cannot start on Windows without it
            env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
        env.update({str(k): str(v) for k, v in spec.environment.items()})
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), site_dir) if p)
        env.update({
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group or f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": site_dir.split(os.pathsep)[0],
            # Never fall back to ~/.aws: without files from the caller, there is no config at all.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        })
        env.update({str(k): str(v) for k, v in extra_env.items()})
        return env


# -- running the child ---------------------------------------------------------------------------

def _run_child(spec: FunctionSpec, code_dir: str, env: dict[str, str], work: str) -> _Outcome:
    # -S: no site-packages and no .pth hooks (the kit's editable install is one); -P: the
    # bootstrap's own folder is not put on sys.path. PYTHONPATH (runtime site) gives boto3.
    cmd = [sys.executable, "-S", "-P", "-u", "-X", "utf8", _BOOTSTRAP, work]
    log_path = os.path.join(work, "log")
    outcome = _Outcome(spawned=time.time())
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd, cwd=code_dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            close_fds=True, start_new_session=(os.name == "posix"),
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    waiter = threading.Thread(target=proc.wait, daemon=True)  # join() wakes at once on exit
    waiter.start()
    deadline = outcome.spawned + INIT_LIMIT_S + spec.timeout
    while waiter.is_alive():
        if outcome.init is None:
            outcome.init = _read_json(os.path.join(work, "init.json"))
            if outcome.init is not None and outcome.init.get("ok"):
                deadline = min(deadline, outcome.init["t"] + spec.timeout)
        remaining = deadline - time.time()
        if remaining <= 0:
            outcome.timed_out = True
            outcome.maxrss_kb = _peak_rss_kb(proc.pid)
            _kill_tree(proc)
            waiter.join()
            break
        waiter.join(remaining if outcome.init is not None else min(remaining, 0.005))
    outcome.ended = time.time()
    _kill_tree(proc)  # background processes the handler left behind
    outcome.returncode = proc.returncode
    outcome.init = outcome.init or _read_json(os.path.join(work, "init.json"))
    outcome.result = _read_json(os.path.join(work, "result.json"))
    if outcome.result is not None:
        outcome.timed_out = False  # the response was in before the kill
        outcome.maxrss_kb = outcome.result.get("maxrss_kb", 0)
        if os.path.exists(os.path.join(work, "payload")):
            with open(os.path.join(work, "payload"), "rb") as f:
                outcome.payload = f.read()
    elif not outcome.maxrss_kb and outcome.init:
        outcome.maxrss_kb = outcome.init.get("maxrss_kb", 0)
    with open(log_path, "rb") as f:
        outcome.log = f.read()
    return outcome


def _kill_tree(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.returncode is None:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _peak_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_json(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


# -- composing the AWS-shaped outcome ------------------------------------------------------------

def _compose(spec: FunctionSpec, out: _Outcome, request_id: str, log_stream: str,
             cold: bool) -> InvokeResult:
    init, result = out.init or {}, out.result
    init_ok = bool(init.get("ok"))
    offset = int(init.get("log_offset", 0)) if init_ok else 0
    # Init output happened before START on AWS, and a warm environment would not run it again.
    pre = out.log[:offset].decode("utf-8", "replace") if cold else ""
    body = out.log[offset:].decode("utf-8", "replace")
    if body and not body.endswith("\n"):
        body += "\n"
    invoke_start = init["t"] if init_ok else out.spawned
    init_ms = max(invoke_start - out.spawned, 0) * 1000 if (cold and init_ok) else None
    tail, status, function_error = "", "", "Unhandled"
    if result is not None:
        payload = out.payload
        function_error = "Unhandled" if result.get("error") else None
        if result.get("init_error"):
            duration = (out.ended - out.spawned) * 1000
        else:
            duration = float(result.get("duration_ms", 0.0))
    elif out.timed_out:
        duration = spec.timeout * 1000
        message = f"Task timed out after {spec.timeout:.2f} seconds"
        payload = _compact({"errorType": "Sandbox.Timedout",
                            "errorMessage": f"RequestId: {request_id} Error: {message}"})
        tail = f"{_iso(out.ended)} {request_id} {message}\n"
        status = "\tStatus: timeout"
    else:
        duration = (out.ended - invoke_start) * 1000
        message = f"RequestId: {request_id} Error: {_exit_reason(out.returncode)}"
        payload = _compact({"errorMessage": message, "errorType": "Runtime.ExitError"})
        tail = f"{message}\nRuntime.ExitError\n"
    billed = int(spec.timeout * 1000) if out.timed_out else max(math.ceil(duration), 1)
    memory = max(round(out.maxrss_kb / 1024), 1)
    report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
              f"Billed Duration: {billed} ms\tMemory Size: {spec.memory_mb} MB\t"
              f"Max Memory Used: {memory} MB")
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    log = (f"{pre}START RequestId: {request_id} Version: {spec.version}\n{body}{tail}"
           f"END RequestId: {request_id}\n{report}{status}\n")
    return InvokeResult(payload=payload, function_error=function_error, log=log,
                        log_stream=log_stream, duration_ms=round(duration, 2), billed_ms=billed,
                        max_memory_mb=memory, request_id=request_id, timed_out=out.timed_out)


def _exit_reason(returncode: int | None) -> str:
    if not returncode:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return f"Runtime exited with error: signal: {_SIGNAL_NAMES.get(-returncode, -returncode)}"
    return f"Runtime exited with error: exit status {returncode}"


def _compact(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()  # platform errors are compact JSON


def _iso(epoch: float) -> str:
    moment = _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- small helpers ---------------------------------------------------------------------------

def _event_text(event: bytes | str | None) -> str:
    text = event.decode("utf-8") if isinstance(event, (bytes, bytearray)) else (event or "")
    if not text.strip():
        return "{}"  # an Invoke without a payload hands the handler {}
    try:
        json.loads(text)
    except ValueError as e:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {e}") from e
    return text


def _client_context_json(client_context: str | None) -> str | None:
    """The Invoke API's ClientContext is base64-encoded JSON; accept plain JSON too."""
    if not client_context:
        return None
    try:
        decoded = base64.b64decode(client_context, validate=True).decode("utf-8")
        json.loads(decoded)
        return decoded
    except ValueError:
        return client_context


def _function_arn(spec: FunctionSpec) -> str:
    arn = f"arn:aws:lambda:{spec.region}:{spec.account}:function:{spec.name}"
    return arn if spec.version == "$LATEST" else f"{arn}:{spec.version}"


def _trace_id() -> str:
    return (f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};"
            f"Parent={secrets.token_hex(8)};Sampled=0;Lineage=1:{secrets.token_hex(4)}:0")


def _sandbox_key(spec: FunctionSpec) -> tuple:
    return (spec.name, spec.version, spec.code_sha256, spec.handler, spec.runtime, spec.timeout,
            spec.memory_mb, spec.region, spec.account, spec.log_group,
            tuple(sorted(spec.environment.items())))


def _sha_dirname(code_sha256: str, code_zip: bytes) -> str:
    """A filename-safe hex name: AWS's CodeSha256 is base64, which may contain '/'."""
    sha = code_sha256 or hashlib.sha256(code_zip).hexdigest()
    if re.fullmatch(r"[0-9a-fA-F]{64}", sha):
        return sha.lower()
    try:
        raw = base64.b64decode(sha, validate=True)
        if len(raw) == 32:
            return raw.hex()
    except ValueError:
        pass
    return hashlib.sha256(sha.encode()).hexdigest()


def _publish(tmp: str, target: str) -> None:
    """Atomically move a finished directory into place; losing a race to an equal copy is fine."""
    try:
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isdir(target):
            raise


def _build_runtime_site(root: str) -> str:
    """A directory of links to boto3 & co. only, for the child's PYTHONPATH (AWS's /var/runtime)."""
    dists = []
    for name in _SDK_DISTRIBUTIONS:
        try:
            dists.append(_metadata.distribution(name))
        except _metadata.PackageNotFoundError:
            pass
    tag = "\n".join([sys.prefix] + [f"{d.metadata['Name']}=={d.version}" for d in dists])
    target = os.path.join(root, hashlib.sha256(tag.encode()).hexdigest()[:16])
    if os.path.isdir(target):
        return target
    entries = {path.parts[0]: str(dist.locate_file(path.parts[0]))  # packages and .dist-info
               for dist in dists for path in dist.files or ()
               if path.parts[0] not in ("..", "__pycache__") and not path.parts[0].endswith(".pth")}
    os.makedirs(root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".build-", dir=root)
    try:
        for top, src in entries.items():
            if os.path.exists(src):
                os.symlink(src, os.path.join(tmp, top))
        _publish(tmp, target)
    except OSError:  # no symlinks here (Windows without developer mode): expose their folders
        shutil.rmtree(tmp, ignore_errors=True)
        return os.pathsep.join(sorted({os.path.dirname(src) for src in entries.values()}))
    return target
