"""hyperparameters: the built-in XGBoost container's checks and what reaches xgboost.train."""
from __future__ import annotations

import pytest

from lab_helpers.engines.sagemaker import hyperparameters as hp


def test_strings_become_xgboost_parameters():
    v = hp.validate({"num_round": "50", "objective": "binary:logistic", "eta": "0.2", "max_depth": "4",
                     "eval_metric": "auc,logloss", "early_stopping_rounds": "10", "subsample": "0.8",
                     "tree_method": "gpu_hist"})
    assert (v.num_round, v.early_stopping_rounds, v.csv_weights) == (50, 10, 0)
    assert v.params == {"objective": "binary:logistic", "eta": 0.2, "max_depth": 4, "subsample": 0.8,
                        "tree_method": "hist", "eval_metric": ["auc", "logloss"]}


@pytest.mark.parametrize("given, message", [
    ({}, "Missing required hyperparameter: num_round"),
    ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
    ({"num_round": "1", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
    ({"num_round": "1", "booster": "forest"}, "Hyperparameter booster: forest is not in ['gbtree', 'gblinear', 'dart']"),
    ({"num_round": "1", "num_class": "3"}, "Do not need to setup parameter 'num_class' for learning task other than "
                                           "multi-classification."),
    ({"num_round": "1", "eval_metric": "f1"}, "Metric 'f1' is computed by the SageMaker container in Python"),
    ({"num_round": "1", "eval_metric": "bogus"}, "Hyperparameter eval_metric: value ['bogus'] not in range"),
    ({"num_round": "1", "_kfold": "5"}, "Cross-validation (_kfold) is not emulated"),
])
def test_refusals(given, message):
    with pytest.raises(hp.HyperparameterError) as err:
        hp.validate(given)
    assert str(err.value).startswith(message)


def test_thresholded_metrics_and_multiclass():
    v = hp.validate({"num_round": "3", "objective": "multi:softprob", "num_class": "3", "eval_metric": "merror"})
    assert v.params["num_class"] == 3
    assert hp.validate({"num_round": "3", "objective": "binary:logistic", "eval_metric": "error@0.3"}).eval_metrics == \
        ["error@0.3"]


def test_metric_definitions_match_the_log_lines():
    import re

    [definition] = hp.metric_definitions(["validation"], ["auc"])
    assert definition["Name"] == "validation:auc"
    assert re.match(definition["Regex"], "[12]#011train-auc:0.91#011validation-auc:0.87654").group(1) == "0.87654"
