"""Local Lambda runtime: run Python .zip functions in warm execution environments, as AWS would.

Emulated (texts and shapes follow AWS's Python runtime client, awslambdaric, and the platform):
- the code zip is unpacked once per CodeSha256 into ``<cache_dir>/<sha256 hex>/`` (atomic rename,
  safe across threads and processes); it is the child's cwd and first ``sys.path`` entry;
- execution environments are worker processes (platform/workers.py, with bootstrap.py as their
  program): a cold start spawns one, which imports the handler module once (init) and then serves
  invocations one at a time over its pipe; its stdout/stderr stream into the log. A later
  invocation of the same configuration (code, handler, settings, variables) with the same
  ``extra_env`` reuses an idle one, so module-level state, the cwd and /tmp files survive
  between warm invocations, as on AWS. Overlapping invocations get environments of their own;
  at most ``max_idle_per_config`` (8) idle ones are kept per configuration; idle ones end after
  ``idle_ttl`` (5 min), on ``reset()``/``close()``, when the runtime is garbage collected and at
  interpreter exit. A new configuration (UpdateFunctionCode or -Configuration) or other
  credentials never reach an old environment: the function's idle environments of the old one
  are ended;
- each environment sees only the function's variables, the standard Lambda variables and the
  caller's ``extra_env`` of its cold start: never the parent's AWS_* variables or ~/.aws; boto3
  and its dependencies are importable (Lambda ships them), other kit packages and the kit are not;
- ``context`` as on AWS; results marshalled like awslambdaric (None → null, Decimal → number,
  bytes as-is, else ``Runtime.MarshalError``); exceptions and init errors (ImportModuleError,
  HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError) as ``errorMessage/errorType/
  requestId/stackTrace`` plus the ``[ERROR]`` log block; ``Sandbox.Timedout`` (the process tree
  is killed and the environment discarded); ``Runtime.ExitError`` when the process exits or
  crashes (discarded too, with every process it started); a handled error keeps the environment,
  as on AWS;
- no process an invocation started runs after it (Linux): once the answer is in, and before
  invoke() returns, every process below the environment's process is SIGKILLed, whether the
  handler started it directly or not (setsid() children and double-forked daemons included,
  see platform/workers.py), except the processes that were running when init finished (a sidecar
  started at module level lives as long as its environment; processes it starts later do not).
  A timeout or crash kills the environment's whole tree. On AWS the environment is frozen instead
  and such a process resumes in the next invocation. No process outlives its environment
  (reset(), close(), idle expiry, endpoint stop or reset);
- the log: init output (cold starts only), START, stdout/stderr and ``logging`` in AWS's format,
  END, REPORT with ``Init Duration`` on cold starts; one log stream per environment.

LIMITATIONS:
- All runtimes python3.8 … python3.13 run on the kit's own interpreter (``sys.executable``).
- Idle environments are not frozen: threads the handler leaves behind, and processes running
  when init finished, keep running between invocations (AWS freezes them); output between
  invocations goes into the next invocation's log (the first 1 MiB of it); processes a thread
  starts between invocations die when the next one ends. Processes an invocation started are
  killed when it ends instead of frozen (see above). Off Linux, leftovers are not killed after
  an invocation, and ending an environment kills only its process group, so processes that
  called setsid() survive. No SnapStart, no provisioned concurrency; idle environments end
  after a fixed time, not AWS's (unpublished) one.
- Init errors are logged once between START and END (AWS logs them before START with INIT_REPORT
  lines and retries init); no INIT_START/INIT_REPORT lines; LoggingConfig JSON format not emulated.
- Memory size is reported, not enforced (no OOM); Max Memory Used is the environment's peak RSS
  so far. No payload or /tmp size limits; the code dir is writable; /tmp is the host's, shared by
  every environment (on AWS each has its own).
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
import sys
import tempfile
import threading
import time
import uuid
import weakref
import zipfile
from dataclasses import dataclass, field

from ..platform.workers import WorkerExited, WorkerProcess, WorkerTimeout

SUPPORTED_RUNTIMES = tuple(f"python3.{minor}" for minor in range(8, 14))
INIT_LIMIT_S = 10.0  # AWS's init phase limit; a longer init continues into the invoke phase
IDLE_TTL_S = 300.0  # idle environments end after this; AWS keeps them for minutes (unpublished)
MAX_IDLE_PER_CONFIG = 8  # the async worker pool of lambda_.py runs 8 at a time
# What AWS's Python runtimes ship besides the standard library: the AWS SDK and its dependencies.
_SDK_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six",
                      "urllib3")
_BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
# -S: no site-packages and no .pth hooks (the kit's editable install is one); -P: the worker's own
# folder is not put on sys.path. PYTHONPATH (the runtime site) gives boto3.
_PYTHON_FLAGS = ("-S", "-P", "-u", "-X", "utf8")
_IDLE_OUTPUT_LIMIT = 1 << 20  # output of an idle environment kept for the next invocation's log
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
    spawned: float  # the process start (cold) or the moment the invocation was sent (warm)
    cold: bool
    init: dict | None = None  # the environment's init message (cold starts only)
    init_log: bytes = b""
    log: bytes = b""
    result: dict | None = None
    payload: bytes = b""
    returncode: int | None = None
    timed_out: bool = False
    ended: float = 0.0
    maxrss_kb: int = 0


class LambdaRuntime:
    """Execution environments for Python .zip functions: warm processes kept per configuration."""

    def __init__(self, cache_dir: str, *, idle_ttl: float = IDLE_TTL_S,
                 max_idle_per_config: int = MAX_IDLE_PER_CONFIG):
        self.cache_dir = os.path.abspath(cache_dir)
        os.makedirs(self.cache_dir, exist_ok=True)
        self.idle_ttl = idle_ttl
        self.max_idle_per_config = max_idle_per_config
        self._lock = threading.Lock()
        self._idle: dict[tuple, list[_Environment]] = {}  # config -> idle environments, oldest first
        self._live: set[_Environment] = set()  # every running environment, busy or idle
        self._generation = 0  # bumped by reset(): busy environments of older ones are not kept
        self._site: str | None = None
        self._reaper: threading.Thread | None = None
        self._stop_reaper = threading.Event()
        # No process may outlive the runtime: they are killed on garbage collection and at exit.
        weakref.finalize(self, _kill_all, self._live, self._stop_reaper)

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
        """End every execution environment, idle or busy: the next invocation is a cold start.

        The process trees are killed; an invocation still running ends as Runtime.ExitError."""
        with self._lock:
            self._generation += 1
            doomed = list(self._live)
            self._live.clear()
            self._idle = {}
        for environment in doomed:
            environment.close()

    def close(self) -> None:
        """reset() and stop the idle reaper (a later invoke() starts them again)."""
        self._stop_reaper.set()
        self.reset()

    def environments(self) -> list[int]:
        """Process ids of the running execution environments, busy and idle."""
        with self._lock:
            return sorted(e.worker.pid for e in self._live if e.worker.pid is not None)

    def invoke(self, spec: FunctionSpec, event: bytes, *, request_id: str | None = None,
               extra_env: dict[str, str] | None = None,
               client_context: str | None = None) -> InvokeResult:
        self.validate(spec)
        event_text = _event_text(event)
        code_dir = self._code_dir(spec)
        request_id = request_id or str(uuid.uuid4())
        key = _sandbox_key(spec)
        # Variables, credentials included, are fixed when an environment starts, as on AWS: an
        # idle environment is reused only for the same configuration and the same extra_env.
        extra = {str(k): str(v) for k, v in (extra_env or {}).items()}
        environment, stale, generation = self._take_idle(key, extra)
        try:
            if environment is None:  # a cold start: a new environment with its own log stream
                stream = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{spec.version}]{uuid.uuid4().hex}"
                environment = _Environment(key, extra, stream,
                                           self._child_env(spec, code_dir, stream, extra), code_dir)
                with self._lock:
                    self._live.add(environment)
                    if generation != self._generation:  # reset() ran meanwhile
                        self._live.discard(environment)
                        environment.close()
        finally:
            for old in stale:  # while the new environment's interpreter starts
                old.close()
        invocation = {"request_id": request_id, "invoked_function_arn": _function_arn(spec),
                      "client_context": _client_context_json(client_context),
                      "trace_id": _trace_id()}
        try:
            outcome = environment.run(spec, invocation, event_text.encode())
        except BaseException:
            self._discard(environment)
            raise
        result = _compose(spec, outcome, request_id, environment.stream)
        healthy = (outcome.result is not None and not outcome.timed_out
                   and not outcome.result.get("init_error"))
        if healthy:  # AWS keeps an environment after handled errors, not after timeouts or crashes
            self._release(environment, generation)
        else:
            self._discard(environment)
        return result

    # -- the pool of execution environments ----------------------------------------------------

    def _take_idle(self, key: tuple, extra: dict[str, str]):
        """(an idle environment for key and extra or None, environments to close, generation).

        When none fits, the idle environments of the same function with other code, settings or
        credentials are obsolete: AWS never routes to them again either."""
        with self._lock:
            idle = self._idle.get(key, [])
            for environment in reversed(idle):  # the most recently used one
                if environment.extra == extra:
                    idle.remove(environment)
                    return environment, [], self._generation
            stale = []
            for other in list(self._idle):
                if _function_identity(other) == _function_identity(key):
                    stale += self._idle.pop(other)
            for environment in stale:
                self._live.discard(environment)
            return None, stale, self._generation

    def _release(self, environment: _Environment, generation: int) -> None:
        surplus = None
        with self._lock:
            if generation != self._generation or environment not in self._live:
                surplus = environment  # reset() ran during the invocation
            else:
                environment.last_used = time.monotonic()
                idle = self._idle.setdefault(environment.key, [])
                idle.append(environment)
                if len(idle) > self.max_idle_per_config:
                    surplus = idle.pop(0)  # the least recently used
                    self._live.discard(surplus)
                self._start_reaper()
        if surplus is not None:
            surplus.close()

    def _discard(self, environment: _Environment) -> None:
        with self._lock:
            self._live.discard(environment)
        environment.close()

    def _start_reaper(self) -> None:  # with self._lock held
        if self._reaper is not None and self._reaper.is_alive():
            return
        self._stop_reaper.clear()
        self._reaper = threading.Thread(target=_reap_loop, args=(weakref.ref(self), self._stop_reaper),
                                        name="lambda-reaper", daemon=True)
        self._reaper.start()

    def _reap_idle(self) -> bool:
        """Close environments idle for longer than idle_ttl; False when no idle one is left."""
        cutoff = time.monotonic() - self.idle_ttl
        expired = []
        with self._lock:
            for key in list(self._idle):
                expired += [e for e in self._idle[key] if e.last_used <= cutoff]
                self._idle[key] = [e for e in self._idle[key] if e.last_used > cutoff]
                if not self._idle[key]:
                    del self._idle[key]
            for environment in expired:
                self._live.discard(environment)
            left = bool(self._idle)
            if not left:
                self._reaper = None
        for environment in expired:
            environment.close()
        return left

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


# -- one execution environment -------------------------------------------------------------------

class _Environment:
    """A worker process that imported the handler once and serves one invocation at a time."""

    def __init__(self, key: tuple, extra: dict[str, str], stream: str, env: dict[str, str],
                 code_dir: str):
        self.key, self.extra, self.stream = key, extra, stream
        self.last_used = time.monotonic()
        self.invocations = 0
        self.maxrss_kb = 0
        self.spare = frozenset()  # processes init started: they live as long as the environment
        self._output = bytearray()  # log lines not yet in an invocation's log
        self._output_lock = threading.Lock()
        self._busy = True  # between invocations, output is kept up to _IDLE_OUTPUT_LIMIT
        self.spawned = time.time()
        self.worker = WorkerProcess(_BOOTSTRAP, "main", env=env, cwd=code_dir,
                                    on_output=self._collect, flags=_PYTHON_FLAGS)

    def _collect(self, line: bytes) -> None:
        with self._output_lock:
            if self._busy or len(self._output) < _IDLE_OUTPUT_LIMIT:
                self._output += line

    def _take_output(self, *, busy: bool) -> bytes:
        with self._output_lock:
            out, self._output, self._busy = bytes(self._output), bytearray(), busy
        return out

    def run(self, spec: FunctionSpec, invocation: dict, event: bytes) -> _Outcome:
        cold = self.invocations == 0
        self.invocations += 1
        self._busy = True
        out = _Outcome(spawned=self.spawned if cold else time.time(), cold=cold)
        deadline = out.spawned + (INIT_LIMIT_S if cold else 0) + spec.timeout
        try:
            if cold:
                out.init, payload = self.worker.receive(timeout=deadline - time.time())
                out.init_log = self._take_output(busy=True)
                self.maxrss_kb = out.init.get("maxrss_kb", 0)
                if not out.init.get("ok"):  # an init error; the process exits by itself
                    out.result = {"error": out.init.get("error"), "init_error": True}
                    out.payload, out.maxrss_kb, out.ended = payload, self.maxrss_kb, time.time()
                    return out
                # A long init eats into the function's timeout (AWS's init phase limit is 10 s).
                deadline = min(deadline, out.init["t"] + spec.timeout)
                self.spare = self.worker.descendants()
            out.result, out.payload = self.worker.call(dict(invocation, deadline=deadline), event,
                                                       timeout=deadline - time.time())
            self.maxrss_kb = out.result.get("maxrss_kb", self.maxrss_kb)
            out.maxrss_kb = self.maxrss_kb
            # The environment is frozen on AWS now; here, what the invocation left running dies.
            self.worker.kill_descendants(spare=self.spare)
        except WorkerTimeout as e:  # the worker's process tree is killed
            out.timed_out = True
            out.maxrss_kb = e.peak_rss_kb or self.maxrss_kb
        except WorkerExited as e:  # exited or crashed (or reset() killed it)
            out.returncode = e.returncode
            out.maxrss_kb = self.maxrss_kb
        out.ended = time.time()
        out.log = self._take_output(busy=False)
        return out

    def close(self) -> None:
        self.worker.close(grace=0)  # kills the process tree


def _reap_loop(runtime_ref, stop: threading.Event) -> None:
    while True:
        runtime = runtime_ref()
        if runtime is None:
            return
        interval = min(max(runtime.idle_ttl / 4, 0.05), 30.0)
        del runtime  # hold no reference while sleeping: the runtime may be collected
        if stop.wait(interval):
            return
        runtime = runtime_ref()
        if runtime is None or not runtime._reap_idle():
            return
        del runtime


def _kill_all(live: set, stop: threading.Event) -> None:
    stop.set()
    for environment in list(live):
        environment.close()
    live.clear()


# -- composing the AWS-shaped outcome ------------------------------------------------------------

def _compose(spec: FunctionSpec, out: _Outcome, request_id: str, log_stream: str) -> InvokeResult:
    result = out.result
    init_ok = not out.cold or bool((out.init or {}).get("ok"))
    # Init output happened before START on AWS, and a warm environment does not run it again;
    # an init that failed (or never finished) is logged inside the invocation that waited for it.
    pre = out.init_log.decode("utf-8", "replace") if (out.cold and init_ok) else ""
    body = ((b"" if init_ok else out.init_log) + out.log).decode("utf-8", "replace")
    if body and not body.endswith("\n"):
        body += "\n"
    invoke_start = out.init["t"] if (out.cold and init_ok) else out.spawned
    init_ms = max(invoke_start - out.spawned, 0) * 1000 if (out.cold and init_ok) else None
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


def _function_identity(sandbox_key: tuple) -> tuple:
    """(name, version, region, account): one function, whatever its code and settings."""
    return sandbox_key[:2] + sandbox_key[7:9]


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
