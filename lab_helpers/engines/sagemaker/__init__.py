"""sagemaker: training jobs that train, endpoints and batch transforms that predict, on the local endpoint.

moto stores SageMaker resources but marks a training job Completed the moment it is created,
writes no model, and answers InvokeEndpoint with a fixed body; SageMaker's own local mode needs
Docker. This engine runs the work without containers, on the engine platform (job table, worker
processes, CloudWatch logs, acting as the execution role):

- training jobs (``training``): the built-in XGBoost algorithm, every version the SageMaker
  Python SDK 2.x lists, emulated with the kit's ``xgboost-cpu`` in a worker process following the
  container's contract (channels, content types and their errors, hyperparameters, log lines,
  ``model.tar.gz`` with ``xgboost-model``); statuses and secondary statuses, FinalMetricDataList,
  logs in ``/aws/sagemaker/TrainingJobs``; the job reads and writes S3 as its role.

LIMITATIONS: one instance per job (InstanceCount and InstanceType are recorded, not used);
no GPU; File mode for every input mode; no checkpoints, managed spot, debugger or profiler
rules, warm pools or hyperparameter tuning jobs; model artifacts are written with the bucket's
default encryption (OutputDataConfig.KmsKeyId is not applied); images other than the built-in
XGBoost algorithm and the scikit-learn / XGBoost framework containers are refused.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("sagemaker", op): f"{__name__}.api:{fn}" for op, fn in (
    ("CreateTrainingJob", "create_training_job"), ("DescribeTrainingJob", "describe_training_job"),
    ("ListTrainingJobs", "list_training_jobs"), ("StopTrainingJob", "stop_training_job"))}
GUARDS: dict = {}
