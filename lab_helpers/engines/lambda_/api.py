"""api: Lambda Invoke (RequestResponse, Event, DryRun) on warm local execution environments."""
from __future__ import annotations

import base64
import json
import logging
import time
import uuid

from ...endpoint.moto import awslambda as moto_lambda
from ...endpoint.registry import EngineError, EngineResponse
from .runtime import FunctionSpec, InvalidRequestContent, LambdaRuntime, UnsupportedFunction

log = logging.getLogger("labkit.lambda")
ASYNC_WORKERS = 8
TAIL_BYTES = 4096


class _State:
    """The runtime (warm execution environments): created on first use, dropped on reset.
    Asynchronous invocations run on ``ctx.jobs("lambda")``; role sessions and logs are the
    platform's (``ctx.acting_as``, ``ctx.logs``)."""

    def __init__(self, cache_dir: str):
        self.runtime = LambdaRuntime(cache_dir)

    def shutdown(self) -> None:
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
    reused only with the credentials it started with, so they must not change per invocation
    (the platform's role sessions are cached until shortly before they expire)."""
    env = ctx.acting_as(role_arn, region, function_name).env()
    return {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                "AWS_ENDPOINT_URL")}


def _run(ctx, spec: FunctionSpec, role_arn: str, event: bytes, request_id: str, client_context: str | None):
    extra = _role_env(ctx, role_arn, spec.name, spec.region)
    result = _state(ctx).runtime.invoke(spec, event, request_id=request_id, extra_env=extra,
                                        client_context=client_context)
    # Logging never turns a finished invocation into an error.
    ctx.logs(spec.region).write_quietly(spec.log_group, result.log_stream, result.log)
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

        def work(job):
            # Only an endpoint reset cancels an asynchronous invocation: stop its environments
            # at once instead of waiting for the function's timeout.
            job.on_cancel(_state(ctx).runtime.close)
            background()

        ctx.jobs("lambda", workers=ASYNC_WORKERS).submit(work, job_id=request_id, kind="invoke-async")
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
