"""sagemaker: training jobs that train, endpoints and batch transforms that predict, on the local endpoint.

moto stores SageMaker resources but marks a training job Completed the moment it is created,
writes no model, and answers InvokeEndpoint with a fixed body; SageMaker's own local mode needs
Docker. This engine runs the work without containers, on the engine platform (job table, worker
processes, CloudWatch logs, acting as the execution role):

- training jobs (``training``): the built-in XGBoost algorithm, every version the SageMaker
  Python SDK 2.x lists, emulated with the kit's ``xgboost-cpu`` in a worker process following the
  container's contract (channels, content types and their errors, hyperparameters, log lines,
  ``model.tar.gz`` with ``xgboost-model``); statuses and secondary statuses, FinalMetricDataList,
  logs in ``/aws/sagemaker/TrainingJobs``; the job reads and writes S3 as its role. Script mode
  (``script_mode``): the scikit-learn and XGBoost framework estimators' entry-point script runs
  with the training toolkit's ``SM_*`` environment and the role's credentials, and its model is
  served through its ``model_fn``/``input_fn``/``predict_fn``/``output_fn``.
- models, endpoint configurations, endpoints (``hosting``): an endpoint is Creating until each
  variant's model is fetched as the model's role and loaded in a serving process, then InService;
  UpdateEndpoint swaps only once the new models serve (a failed update rolls back); DeleteEndpoint
  ends the processes. ``sagemaker-runtime`` InvokeEndpoint answers as the container does (text/csv
  and LIBSVM in; CSV, JSON or JSON Lines out), ModelError for what it refuses, ValidationError for
  an unknown endpoint or a payload over 6 MB.
- batch transform (``transform``): ``<input>.out`` files with the container's line format,
  SplitType/BatchStrategy/MaxPayloadInMB, and CSV input/output filters and JoinSource.

LIMITATIONS: one instance per job and one serving process per production variant
(InstanceCount and InstanceType are recorded, not used); variants are picked by weight, with no
autoscaling, data capture, serverless or asynchronous inference, multi-model or multi-container
endpoints; no GPU; File mode for every input mode; no checkpoints, managed spot, debugger or
profiler rules, warm pools or hyperparameter tuning jobs; model artifacts are written with the
bucket's default encryption (OutputDataConfig.KmsKeyId is not applied); images other than the
built-in XGBoost algorithm and the scikit-learn / XGBoost framework containers are refused; script
mode runs on the kit's Python and packages whatever framework_version says and installs no
requirements.txt; the SageMaker Python SDK's polling sleeps are shortened on the local target
(targets/local_clients.py), the SDK itself is not changed.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("sagemaker", op): f"{__name__}.{module}:{fn}" for module, op, fn in (
    ("api", "CreateTrainingJob", "create_training_job"), ("api", "DescribeTrainingJob", "describe_training_job"),
    ("api", "ListTrainingJobs", "list_training_jobs"), ("api", "StopTrainingJob", "stop_training_job"),
    ("hosting", "CreateModel", "create_model"), ("hosting", "CreateEndpointConfig", "create_endpoint_config"),
    ("hosting", "CreateEndpoint", "create_endpoint"), ("hosting", "DescribeEndpoint", "describe_endpoint"),
    ("hosting", "ListEndpoints", "list_endpoints"), ("hosting", "UpdateEndpoint", "update_endpoint"),
    ("hosting", "DeleteEndpoint", "delete_endpoint"),
    ("transform", "CreateTransformJob", "create_transform_job"),
    ("transform", "DescribeTransformJob", "describe_transform_job"),
    ("transform", "ListTransformJobs", "list_transform_jobs"), ("transform", "StopTransformJob", "stop_transform_job"))}
HANDLERS[("sagemaker-runtime", "InvokeEndpoint")] = f"{__name__}.hosting:invoke_endpoint"
GUARDS: dict = {}
