"""api: Lambda Invoke (RequestResponse, Event, DryRun) on warm local execution environments."""
from __future__ import annotations

import base64
import concurrent.futures
import json
import logging
import threading
import time
import uuid

from ...endpoint.moto import awslambda as moto_lambda, sts as moto_sts
from ...endpoint.registry import EngineError, EngineResponse
from .runtime import FunctionSpec, InvalidRequestContent, LambdaRuntime, UnsupportedFunction

log = logging.getLogger("labkit.lambda")
ASYNC_WORKERS = 8
TAIL_BYTES = 4096
CREDENTIALS_MARGIN_S = 300  # start a new role session (and environments) this long before expiry


class _State:
    """The runtime, the async worker pool and role sessions: created on first use, dropped on reset."""

    def __init__(self, cache_dir: str):
        self.runtime = LambdaRuntime(cache_dir)
        self.pool = concurrent.futures.ThreadPoolExecutor(ASYNC_WORKERS, thread_name_prefix="lambda-async")
        self.sessions: dict[tuple, tuple[dict[str, str], float]] = {}  # (region, role, fn) -> env, expiry
        self.log_streams: set[tuple] = set()  # (region, group, stream) known to exist
        self.lock = threading.Lock()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.runtime.close()  # kills every execution environment process


def _state(ctx) -> _State:
    return ctx.state("lambda", lambda: _State(str(ctx.home / "cache" / "lambda")))


def _spec(request, ctx) -> tuple[FunctionSpec, str]:
    name = request.path_params.get("FunctionName", "")
    qualifier = (request.query.get("Qualifier") or [None])[0]
    fn = moto_lambda.lambda_function(name, request.region, qualifier)
    if fn is None:
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{request.region}:{request.account_id}:function:{name}"
        raise EngineError("ResourceNotFoundException", f"Function not found: {arn}", 404)
    return FunctionSpec(
        name=fn.name, handler=fn.handler, runtime=fn.runtime, code_zip=fn.code_zip, code_sha256=fn.code_sha256,
        environment=fn.environment, timeout=fn.timeout, memory_mb=fn.memory_mb, version=fn.version,
        region=request.region, account=request.account_id, package_type=fn.package_type,
        log_group=f"/aws/lambda/{fn.name}"), fn.role


def _role_env(ctx, role_arn: str, function_name: str, region: str) -> dict[str, str]:
    """The function's role credentials, as one session per function: a warm environment is
    reused only with the credentials it started with, so they must not change per invocation."""
    state, key = _state(ctx), (region, role_arn, function_name)
    with state.lock:
        cached = state.sessions.get(key)
    if cached is not None:
        env, expires = cached
        known = moto_sts.principal_for_access_key(env["AWS_ACCESS_KEY_ID"]).kind == "assumed-role"
        if known and expires - time.time() > CREDENTIALS_MARGIN_S:
            return env
    creds = ctx.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName=function_name)["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"], "AWS_ENDPOINT_URL": ctx.endpoint_url}
    with state.lock:
        state.sessions[key] = (env, creds["Expiration"].timestamp())
    return env


def _write_logs(ctx, region: str, group: str, stream: str, text: str) -> None:
    logs, state = ctx.client("logs", region), _state(ctx)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in text.rstrip("\n").split("\n") if line.strip()]
    if (region, group, stream) in state.log_streams:  # a warm environment's stream: write at once
        try:
            _put_log_events(logs, group, stream, events)
            return
        except logs.exceptions.ResourceNotFoundException:  # deleted meanwhile: create it again
            pass
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    with state.lock:
        state.log_streams.add((region, group, stream))
    _put_log_events(logs, group, stream, events)


def _put_log_events(logs, group: str, stream: str, events: list[dict]) -> None:
    for i in range(0, len(events), 1000):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i:i + 1000])


def _run(ctx, spec: FunctionSpec, role_arn: str, event: bytes, request_id: str, client_context: str | None):
    extra = _role_env(ctx, role_arn, spec.name, spec.region)
    result = _state(ctx).runtime.invoke(spec, event, request_id=request_id, extra_env=extra,
                                        client_context=client_context)
    try:
        _write_logs(ctx, spec.region, spec.log_group, result.log_stream, result.log)
    except Exception:  # logging must never turn a finished invocation into an error
        log.exception("could not write CloudWatch logs for %s", spec.name)
    return result


def invoke(request, ctx):
    spec, role_arn = _spec(request, ctx)
    invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
    try:
        _state(ctx).runtime.validate(spec)
    except UnsupportedFunction as exc:
        raise EngineError("InvalidRuntimeException", str(exc), 400) from None
    if invocation_type == "DryRun":
        return EngineResponse(204, b"", {"X-Amz-Executed-Version": spec.version})
    request_id = str(uuid.uuid4())
    client_context = request.headers.get("x-amz-client-context")
    event = request.body or b"{}"
    if invocation_type == "Event":
        try:
            json.loads(event)
        except ValueError:
            raise EngineError("InvalidRequestContentException", "Could not parse request body into json", 400) from None

        def background():
            try:
                outcome = _run(ctx, spec, role_arn, event, request_id, client_context)
                if outcome.function_error:
                    log.warning("async invocation %s of %s failed: %s", request_id, spec.name, outcome.payload[:500])
            except Exception:
                log.exception("async invocation %s of %s crashed", request_id, spec.name)

        _state(ctx).pool.submit(background)
        return EngineResponse(202, b"", {"x-amzn-RequestId": request_id})
    if invocation_type != "RequestResponse":
        raise EngineError("InvalidParameterValueException",
                          f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", 400)
    try:
        result = _run(ctx, spec, role_arn, event, request_id, client_context)
    except InvalidRequestContent as exc:
        raise EngineError("InvalidRequestContentException", str(exc), 400) from None
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": spec.version,
               "x-amzn-RequestId": result.request_id}
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if request.headers.get("x-amz-log-type") == "Tail":
        tail = result.log.encode()[-TAIL_BYTES:]
        headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
    return EngineResponse(200, result.payload, headers)
