"""hyperparameters: the built-in XGBoost algorithm's hyperparameters, checked as its container checks them.

SageMaker passes every hyperparameter as a string. The container parses each by its declared type,
refuses names it does not know, values outside their range and a few inconsistent combinations,
and fails the job with a ``ClientError`` naming the problem (``Missing required hyperparameter:
num_round``). ``validate`` does the same and returns what ``xgboost.train`` needs.

LIMITATIONS: the container's own extra evaluation metrics (accuracy, f1, mse, r2, ... computed in
Python) and cross-validation (``_kfold``) are refused as not emulated; GPU tree methods train on CPU.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field


class HyperparameterError(ValueError):
    """The job's hyperparameters are refused (the message is the container's ClientError text)."""


INF = math.inf


@dataclass(frozen=True)
class Spec:
    kind: str                                  # int | float | choice | list | literal | text
    low: float = -INF
    high: float = INF
    low_open: bool = False
    high_open: bool = False
    choices: tuple = field(default_factory=tuple)

    def describe(self) -> str:
        if self.kind == "choice":
            return str(list(self.choices))
        left = "(" if self.low_open or self.low == -INF else "["
        right = ")" if self.high_open or self.high == INF else "]"
        fmt = (lambda v: "-inf" if v == -INF else "+inf" if v == INF else f"{v:g}")
        return f"{left}{fmt(self.low)}, {fmt(self.high)}{right}"

    def contains(self, value) -> bool:
        if self.kind == "choice":
            return value in self.choices
        if self.kind not in ("int", "float"):
            return True
        return not ((self.low_open and value <= self.low) or value < self.low
                    or (self.high_open and value >= self.high) or value > self.high)


def _i(low=-INF, high=INF, low_open=False, high_open=False):
    return Spec("int", low, high, low_open, high_open)


def _f(low=-INF, high=INF, low_open=False, high_open=False):
    return Spec("float", low, high, low_open, high_open)


def _c(*choices):
    return Spec("choice", choices=choices)


OBJECTIVES = ("binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson", "multi:softmax",
              "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear", "reg:squarederror",
              "reg:logistic", "reg:gamma", "reg:pseudohubererror", "reg:squaredlogerror", "reg:absoluteerror",
              "reg:tweedie", "survival:aft", "survival:cox")
# Metrics xgboost itself computes (the container adds Python ones this kit does not emulate).
XGBOOST_METRICS = ("auc", "aucpr", "map", "ndcg", "pre", "rmse", "rmsle", "mae", "mape", "mphe", "logloss",
                   "error", "merror", "mlogloss", "poisson-nloglik", "gamma-nloglik", "cox-nloglik",
                   "gamma-deviance", "tweedie-nloglik", "aft-nloglik", "interval-regression-accuracy")
CONTAINER_ONLY_METRICS = ("accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "mse", "precision",
                          "precision_macro", "precision_micro", "r2", "recall", "recall_macro", "recall_micro")
MAXIMIZE = ("auc", "aucpr", "map", "ndcg", "pre", "interval-regression-accuracy")

SPECS: dict[str, Spec] = {
    "num_round": _i(1), "csv_weights": _i(0, 1), "early_stopping_rounds": _i(1),
    "booster": _c("gbtree", "gblinear", "dart"), "verbosity": _i(0, 3), "nthread": _i(1),
    "eta": _f(0, 1), "gamma": _f(0), "max_depth": _i(0), "min_child_weight": _f(0), "max_delta_step": _f(0),
    "subsample": _f(0, 1, low_open=True), "colsample_bytree": _f(0, 1, low_open=True),
    "colsample_bylevel": _f(0, 1, low_open=True), "colsample_bynode": _f(0, 1, low_open=True),
    "lambda": _f(0), "alpha": _f(0), "tree_method": _c("auto", "exact", "approx", "hist", "gpu_hist"),
    "sketch_eps": _f(0, 1, True, True), "scale_pos_weight": _f(0, low_open=True),
    "updater": Spec("list"), "dsplit": _c("row", "col"), "refresh_leaf": _i(0, 1),
    "process_type": _c("default", "update"), "grow_policy": _c("depthwise", "lossguide"),
    "max_leaves": _i(0), "max_bin": _i(0), "predictor": _c("auto", "cpu_predictor", "gpu_predictor"),
    "monotone_constraints": Spec("literal"), "interaction_constraints": Spec("literal"),
    "sample_type": _c("uniform", "weighted"), "normalize_type": _c("tree", "forest"),
    "rate_drop": _f(0, 1), "one_drop": _i(0, 1), "skip_drop": _f(0, 1), "lambda_bias": _f(0, 1),
    "tweedie_variance_power": _f(1, 2, True, True), "objective": _c(*OBJECTIVES), "num_class": _i(2),
    "base_score": _f(0), "_kfold": _i(2), "_num_cv_round": _i(1), "_tuning_objective_metric": Spec("text"),
    "eval_metric": Spec("list"), "seed": _i(-(2 ** 31), 2 ** 31 - 1, True, True), "num_parallel_tree": _i(1),
    "save_model_on_termination": _c("true", "false"), "aft_loss_distribution": _c("normal", "logistic", "extreme"),
    "aft_loss_distribution_scale": _f(0, low_open=True), "deterministic_histogram": _c("true", "false"),
    "sampling_method": _c("uniform", "gradient_based"), "prob_buffer_row": _f(1), "max_cat_to_onehot": _i(1),
    "max_cat_threshold": _i(1), "multi_strategy": _c("one_output_per_tree", "multi_output_tree"),
    "single_precision_histogram": _c("true", "false"), "use_dask_gpu_training": _c("true", "false"),
}
# Hyperparameters the container reads itself; every other one is passed to xgboost.train.
_CONTAINER_ONLY = {"num_round", "csv_weights", "early_stopping_rounds", "_kfold", "_num_cv_round",
                   "_tuning_objective_metric", "save_model_on_termination", "use_dask_gpu_training",
                   "single_precision_histogram", "deterministic_histogram", "prob_buffer_row"}


@dataclass
class Validated:
    params: dict            # for xgboost.train
    num_round: int
    early_stopping_rounds: int | None
    csv_weights: int
    eval_metrics: list[str]


def _parse(name: str, spec: Spec, raw: str):
    if spec.kind == "int":
        return int(raw)
    if spec.kind == "float":
        return float(raw)
    if spec.kind == "list":
        return raw.split(",")
    if spec.kind == "literal":
        return ast.literal_eval(raw) if isinstance(raw, str) else raw
    return raw


def _metric_ok(metric: str) -> bool:
    if "@" in metric:
        base, _, threshold = metric.partition("@")
        if base.strip() not in ("error", "ndcg", "map", "pre"):
            raise HyperparameterError(f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized "
                                      "threshold should be one of these options: 'error', 'ndcg', 'map'.")
        try:
            float(threshold.rstrip("-"))
        except ValueError:
            raise HyperparameterError(f"Threshold value 't' in '{base}@t' expects float input.") from None
        return True
    if metric in CONTAINER_ONLY_METRICS:
        raise HyperparameterError(f"Metric '{metric}' is computed by the SageMaker container in Python, which the "
                                  f"local target does not emulate; use one of {', '.join(XGBOOST_METRICS)}.")
    return metric in XGBOOST_METRICS


def validate(hyperparameters: dict[str, str]) -> Validated:
    """The checked hyperparameters; HyperparameterError with the container's message otherwise."""
    user = {k: v for k, v in (hyperparameters or {}).items()}
    if "num_round" not in user:
        raise HyperparameterError("Missing required hyperparameter: num_round")
    values = {}
    for name, raw in user.items():
        spec = SPECS.get(name)
        if spec is None:
            raise HyperparameterError(f"Extraneous hyperparameter found: {name}")
        try:
            values[name] = _parse(name, spec, raw)
        except (ValueError, SyntaxError) as exc:
            raise HyperparameterError(f"Hyperparameter {name}: could not parse value (caused by "
                                      f"{type(exc).__name__})") from None
        if not spec.contains(values[name]):
            raise HyperparameterError(f"Hyperparameter {name}: {values[name]} is not in {spec.describe()}")
    objective = values.get("objective")
    if objective in ("multi:softmax", "multi:softprob") and "num_class" not in values:
        raise HyperparameterError("Require input for parameter 'num_class' for multi-classification")
    if "num_class" in values and not (objective or "").startswith("multi:"):
        raise HyperparameterError("Do not need to setup parameter 'num_class' for learning task other than "
                                  "multi-classification.")
    metrics = values.get("eval_metric") or []
    for metric in metrics:
        if not _metric_ok(metric):
            raise HyperparameterError(f"Hyperparameter eval_metric: value {metrics} not in range "
                                      f"{list(XGBOOST_METRICS)}")
    if "auc" in metrics and not (objective or "").startswith(("binary:", "rank:")):
        raise HyperparameterError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "_kfold" in values:
        raise HyperparameterError("Cross-validation (_kfold) is not emulated by the local target; "
                                  "train with a validation channel instead.")
    params = {k: v for k, v in values.items() if k not in _CONTAINER_ONLY and k != "eval_metric"}
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"   # no GPU here; same algorithm on the CPU
    if "updater" in params:
        params["updater"] = ",".join(params["updater"])
    if metrics:
        params["eval_metric"] = metrics
    return Validated(params, values["num_round"], values.get("early_stopping_rounds"),
                     values.get("csv_weights", 0), metrics)


def metric_definitions(channels: list[str], metrics: list[str]) -> list[dict]:
    """MetricDefinitions as DescribeTrainingJob shows them for the built-in algorithm: one regex per
    channel and metric over the log lines ``[7]#011train-auc:0.91234#011validation-auc:0.88120``."""
    number = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
    return [{"Name": f"{channel}:{metric}", "Regex": rf".*\[[0-9]+\].*#011{channel}-{metric}:{number}.*"}
            for channel in channels for metric in metrics]
