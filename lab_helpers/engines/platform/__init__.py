"""The engine platform: services every engine shares instead of hand-rolling them.

- ``jobs``: a job table per engine (states, a bounded executor, cancel that reaches the work,
  reset that waits for in-flight jobs);
- ``logs``: CloudWatch Logs writing (groups, streams, ordered events);
- ``acting``: acting as a principal (assume a role, cached sessions, S3 reads and writes that
  go through iam_lite so key policies apply);
- ``workers``: the worker-process protocol (spawn, serve many calls, timeout, kill the whole
  process tree) shared by Lambda and SageMaker.

Engines reach these through the ``EngineContext`` (``ctx.jobs(...)``, ``ctx.logs(...)``,
``ctx.acting_as(...)``); nothing here imports an engine package.
"""
