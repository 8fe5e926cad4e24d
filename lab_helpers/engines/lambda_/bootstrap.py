"""Lambda's bootstrap in a worker process: one execution environment (init once, then serve)."""
# Loaded by platform/workers.py in a process started as `python -S -P -u -X utf8 workers.py
# bootstrap.py main` with a clean environment and cwd = the unpacked code; workers.py calls
# main(channel). Messages: this module sends {"ok": ...} once (the init, with the error payload as
# data when it failed), then per invocation it receives {"request_id", ..., "deadline"} with the
# event as data and sends {"error", "duration_ms", "maxrss_kb"} with the payload as data. The
# handler's stdout/stderr (fd 1 and 2) are the function's log, streamed to the parent by
# workers.py, which also moved the pipe to private descriptors. EOF on the pipe ends the process.
# Behaviour copies AWS's Python runtime interface client
# (github.com/aws/aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py): error
# texts, error payload shape, log format, marshalling.
# Standard library only: neither the kit nor site-packages are on sys.path here.
import os
import sys

TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
RUNTIME_DIR = os.environ.get("LAMBDA_RUNTIME_DIR", "")
sys.path.insert(0, TASK_ROOT)  # /var/task comes first on AWS too

import decimal  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import site  # noqa: E402  (-S skipped it; imported only for the exit()/quit() builtins)
import time  # noqa: E402
import traceback  # noqa: E402

try:
    import resource
except ImportError:  # Windows
    resource = None

site.setquit()
_REQUEST_ID = None
_NBSP = "\u00a0"  # AWS indents traceback lines in the log with NO-BREAK SPACEs
_LAMBDA_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For "
    "functions using managed runtimes, runtime updates can be triggered by a function change, or can "
    "be applied automatically. To determine if the runtime has been updated, check the runtime "
    "version in the INIT_START log entry. If this error correlates with a change in the runtime "
    "version, you may be able to mitigate this error by temporarily rolling back to the previous "
    "runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


class Fault(Exception):
    """An error the runtime itself reports (errorType 'Runtime.*'), as awslambdaric's FaultException."""

    def __init__(self, error_type, msg, trace=None):
        super().__init__(msg)
        self.error_type, self.msg, self.trace = error_type, msg, trace


def _aws_path(path):
    """Show paths as AWS stack traces do: code in /var/task, SDK in /var/runtime, stdlib in /var/lang."""
    for real, shown in ((TASK_ROOT, "/var/task"), (RUNTIME_DIR, "/var/runtime"),
                        (sys.base_prefix, "/var/lang")):
        if real and path.startswith(real + os.sep):
            return shown + "/" + path[len(real) + 1:].replace(os.sep, "/")
    return path


def make_error(message, error_type, stack_trace, request_id):
    return {"errorMessage": message or "", "errorType": error_type or "",
            "requestId": request_id or "", "stackTrace": stack_trace or []}


def exception_error(exc_info, request_id):
    etype, value, tb = exc_info
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):  # drop the runtime's own leading frames, as AWS does
        if frame[0] != __file__:
            frames = frames[i:]
            break
    frames = [(_aws_path(f), n, name, line) for f, n, name, line in frames]
    return make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)


def log_error(error):
    lines = ["[ERROR]" + (f" {error['errorType']}" if error["errorType"] else "")
             + (":" if error["errorType"] and error["errorMessage"] else "")
             + (f" {error['errorMessage']}" if error["errorMessage"] else "")]
    lines.append("Traceback (most recent call last):")
    for element in error["stackTrace"]:
        for line in element.splitlines() or [""]:
            stripped = line.lstrip(" ")
            lines.append(_NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


class _LambdaLogHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _REQUEST_ID or ""
        return True


def setup_logging():
    # AWS adds this handler to the root logger but leaves its level alone (WARNING) unless the
    # function's logging config sets AWS_LAMBDA_LOG_LEVEL: logger.info() needs setLevel("INFO").
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = (os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))
    root.addHandler(handler)


def load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}")
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise Fault("Runtime.BuiltInModuleConflict",
                        f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}")
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (_aws_path(e.filename or ""), e.lineno, e.text)]
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}", trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'")


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, decimal.Decimal):  # awslambdaric encodes Decimals as numbers
            if o.is_nan():
                return math.nan
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def to_json(obj):
    # awslambdaric keeps non-ASCII characters unescaped on python3.12 only
    ensure_ascii = os.environ.get("AWS_EXECUTION_ENV") != "AWS_Lambda_python3.12"
    return _Encoder(ensure_ascii=ensure_ascii).encode(obj).encode("utf-8")


def marshal(response):
    if isinstance(response, bytes):  # awslambdaric passes bytes through unchanged
        return response
    try:
        return to_json(response)
    except Exception as e:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}")


class _Record:
    __slots__ = ()

    def __repr__(self):
        fields = ",".join(f"{f}={getattr(self, f)}" for f in self.__slots__)
        return f"{type(self).__name__}([{fields}])"


class CognitoIdentity(_Record):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client(_Record):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code",
                 "app_package_name"]


class ClientContext(_Record):
    __slots__ = ["custom", "env", "client"]


def _obj(cls, data):
    if data is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, data.get(field))
    return obj


class LambdaContext:
    """The `context` argument, with the attributes and methods of AWS's LambdaContext."""

    def __init__(self, request_id, client_context, deadline_ms, invoked_function_arn):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = _obj(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _obj(Client, self.client_context.client)
        self.identity = _obj(CognitoIdentity, {})  # not None on AWS either: fields are None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        fields = ("aws_request_id", "log_group_name", "log_stream_name", "function_name",
                  "memory_limit_in_mb", "function_version", "invoked_function_arn",
                  "client_context", "identity")
        return "LambdaContext([" + ",".join(f"{f}={getattr(self, f)}" for f in fields) + "])"


def _maxrss_kb():
    # Prefer VmHWM: on Linux ru_maxrss also counts the parent's pages from before exec().
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    if resource is None:
        return 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # macOS reports bytes


def _finish(code):
    sys.stdout.flush()
    sys.stderr.flush()
    # Like AWS, do not wait for non-daemon threads or atexit hooks once the environment ends.
    os._exit(code)


def invoke(handler, inv, event):
    """Run one invocation; returns (payload bytes, error dict or None, duration in ms)."""
    global _REQUEST_ID
    _REQUEST_ID = inv["request_id"]
    os.environ["_X_AMZN_TRACE_ID"] = inv["trace_id"]
    clock = time.monotonic()
    error = None
    try:
        client_context = None
        if inv.get("client_context"):
            try:
                client_context = json.loads(inv["client_context"])
            except ValueError as e:
                raise Fault("Runtime.LambdaContextUnmarshalError",
                            f"Unable to parse Client Context JSON: {e}")
        context = LambdaContext(_REQUEST_ID, client_context, int(inv["deadline"] * 1000),
                                inv["invoked_function_arn"])
        payload = marshal(handler(json.loads(event), context))
    except Fault as e:
        error = make_error(e.msg, e.error_type, e.trace, _REQUEST_ID)
    except Exception:
        error = exception_error(sys.exc_info(), _REQUEST_ID)
    if error is not None:
        log_error(error)
        payload = to_json(error)
    return payload, error, (time.monotonic() - clock) * 1000


def main(channel):
    setup_logging()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        # An init error: AWS reports it without a request id, then discards the environment.
        if isinstance(e, Fault):
            error = make_error(e.msg, e.error_type, e.trace, "")
        else:
            error = exception_error(sys.exc_info(), "")
        logging.warning(_LAMBDA_WARNING)
        log_error(error)
        channel.send({"ok": False, "error": error, "maxrss_kb": _maxrss_kb()}, to_json(error))
        _finish(1)
    channel.send({"ok": True, "t": time.time(), "maxrss_kb": _maxrss_kb()})
    for inv, event in channel:  # one invocation at a time, as in a Lambda execution environment
        payload, error, duration_ms = invoke(handler, inv, event)
        channel.send({"error": error, "duration_ms": duration_ms, "maxrss_kb": _maxrss_kb()}, payload)
    _finish(0)  # the parent closed the pipe: this environment is shut down
