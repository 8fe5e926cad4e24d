"""lambda_: Lambda ``Invoke`` on the local endpoint, running Python handlers in warm local processes.

moto stores functions but cannot run them without Docker. This engine takes the function's
zip and configuration from moto, assumes the function's execution role with STS on the
endpoint (so the handler's AWS calls are attributed to the role and iam_lite applies), runs the
handler with ``runtime``, and writes START/END/REPORT and the handler's output to
CloudWatch Logs group ``/aws/lambda/<name>``.

Emulated: RequestResponse (result, ``X-Amz-Function-Error: Unhandled`` with
errorMessage/errorType/stackTrace, ``LogType=Tail``), Event (202 at once, runs on a worker
pool), DryRun (validation only), timeouts, function environment and Lambda variables, warm
execution environments (see runtime.py). As on AWS, an environment keeps the role
credentials it started with: one role session per function is reused until it nears expiry
(or the endpoint's STS no longer knows it, after a moto reset), then a new session starts new
environments. Endpoint stop and ``POST /_labkit/reset`` end every environment process.

LIMITATIONS: Python zip functions only (other runtimes and images answer with a clear
error); asynchronous invocations are not retried on error and have no destinations or DLQ;
no reserved-concurrency throttling; no event source mappings (S3/SQS/Kinesis triggers).

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("lambda", "Invoke"): f"{__name__}.api:invoke"}
GUARDS: dict = {}
