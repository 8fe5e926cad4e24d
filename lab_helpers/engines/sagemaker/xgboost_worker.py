"""The built-in XGBoost algorithm in a worker process: train once, or load a model and serve predictions."""
# Loaded by platform/workers.py in a process started as `python -u workers.py xgboost_worker.py main`
# with the job's own directory as cwd; workers.py calls main(channel). This file must not import the
# kit: the worker imports only numpy, pandas, scipy and xgboost (the same xgboost as the kit's).
#
# Messages (one JSON object and raw bytes each way):
#   {"op": "train", "train": dir, "validation": dir|None, "kind": "csv"|"libsvm", "params": {...},
#    "num_round": n, "early_stopping_rounds": n|None, "csv_weights": 0|1, "model_dir": dir}
#     -> {"ok": true, "history": {"train": {"auc": [...]}, ...}, "best_iteration": n|None, ...}
#        or {"ok": false, "reason": "ClientError: ..."}; the log goes to stdout, as the container's.
#   {"op": "load", "model_dir": dir} -> {"ok": true} | {"ok": false, "reason": "..."}
#   {"op": "predict", "content_type": ..., "accept": ..., "batch": bool} + payload
#     -> {"status": 200|204|400|406|415, "content_type": ...} + body (the container's answer)
# Behaviour follows github.com/aws/sagemaker-xgboost-container (algorithm mode): log lines, the
# CSV/LIBSVM parsing and its errors, feature-count checks, the text/csv and JSON answers.
import csv
import importlib.abc
import json
import os
import pickle
import sys
import time
import warnings

warnings.filterwarnings("ignore", module="xgboost")


class _NoSklearn(importlib.abc.MetaPathFinder):
    """xgboost imports scikit-learn (seconds) only for its sklearn wrappers, which the algorithm never uses."""

    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("scikit-learn is not needed by the built-in XGBoost algorithm")
        return None


sys.meta_path.insert(0, _NoSklearn())
import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402

sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoSklearn)]

MODEL_FILE = "xgboost-model"
_BOOSTER = None


class UserError(Exception):
    """The container's ClientError (a problem with the job's input, not with the algorithm)."""


def info(message):
    print(time.strftime("[%Y-%m-%d:%H:%M:%S:INFO] ", time.gmtime()) + message, flush=True)


def _data_files(directory):
    out = []
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if not name.startswith((".", "_")):
                out.append(os.path.join(root, name))
    return sorted(out)


def _delimiter(line):
    try:
        found = csv.Sniffer().sniff(line[:512]).delimiter
    except csv.Error:
        found = ","
    return found if found in ",;\t| " else ","


def _csv_array(path, delimiter):
    """A CSV file as floats; empty fields are missing values (NaN), as the container reads them."""
    try:
        return np.loadtxt(path, delimiter=delimiter, dtype=np.float64, ndmin=2)
    except ValueError:   # empty fields, or text: parse by hand to tell them apart
        with open(path, errors="ignore", newline="") as f:
            rows = [[v if v.strip() else "nan" for v in row] for row in csv.reader(f, delimiter=delimiter) if row]
        return np.array(rows, dtype=np.float64)


def _read_csv(directory, csv_weights):
    arrays = []
    for path in _data_files(directory):
        with open(path, errors="ignore") as f:
            first = f.readline()
        if not first.strip():
            continue
        delimiter = _delimiter(first)
        info(f"Determined delimiter of CSV input is '{delimiter}'")
        try:
            arrays.append(_csv_array(path, delimiter))
        except Exception as e:
            raise UserError(f"Failed to load csv data with exception:\n{e}") from None
    if not arrays:
        return None
    try:
        data = np.vstack(arrays)
    except ValueError as e:
        raise UserError(f"Failed to load csv data with exception:\n{e}") from None
    start = 2 if csv_weights == 1 else 1
    weight = data[:, 1] if csv_weights == 1 else None
    return xgb.DMatrix(data[:, start:], label=data[:, 0], weight=weight)


def _parse_libsvm(lines, with_label):
    from scipy.sparse import csr_matrix

    rows, cols, vals, labels, weights = [], [], [], [], []
    n = 0
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if with_label:
            label, _, weight = parts[0].partition(":")
            labels.append(float(label))
            weights.append(float(weight) if weight else 1.0)
            parts = parts[1:]
        for item in parts:
            if ":" not in item:
                continue
            index, _, value = item.partition(":")
            rows.append(n)
            cols.append(int(index))
            vals.append(float(value))
        n += 1
    width = (max(cols) + 1) if cols else 0
    matrix = csr_matrix((vals, (rows, cols)), shape=(n, width))
    return matrix, np.array(labels), np.array(weights)


def _read_libsvm(directory):
    lines = []
    for path in _data_files(directory):
        with open(path, errors="ignore") as f:
            lines += f.read().splitlines()
    if not any(line.strip() for line in lines):
        return None
    try:
        matrix, labels, weights = _parse_libsvm(lines, with_label=True)
    except Exception as e:
        raise UserError(f"Failed to load libsvm data with exception:\n{e}") from None
    return xgb.DMatrix(matrix, label=labels, weight=weights if np.any(weights != 1.0) else None)


class _LogEvaluation(xgb.callback.TrainingCallback):
    """One line per round, as the container prints it (CloudWatch shows its tab as #011)."""

    def after_iteration(self, model, epoch, evals_log):
        fields = [f"{data}-{metric}:{values[-1]:.5f}" for data, metrics in evals_log.items()
                  for metric, values in metrics.items()]
        print(f"[{epoch}]#011" + "#011".join(fields), flush=True)
        return False


def train(msg):
    kind = msg["kind"]
    info("Running XGBoost Sagemaker in algorithm mode (local target: xgboost "
         f"{xgb.__version__} on this machine's CPU)")
    info("Determined 0 GPU(s) available on the instance.")
    if kind == "csv":
        dtrain = _read_csv(msg["train"], msg.get("csv_weights", 0))
        dval = _read_csv(msg["validation"], 0) if msg.get("validation") else None
    else:
        dtrain = _read_libsvm(msg["train"])
        dval = _read_libsvm(msg["validation"]) if msg.get("validation") else None
    if dtrain is None:
        raise UserError(f"No data in training channel path {msg['train']}")
    if msg.get("validation") and dval is None:
        raise UserError(f"No data in validation channel path {msg['validation']}")
    if dtrain.get_label().size == 0:
        raise UserError("Got input data without labels. Please check the input data set.")
    info("Single node training.")
    info(f"Train matrix has {dtrain.num_row()} rows and {dtrain.num_col()} columns")
    if dval is not None:
        info(f"Validation matrix has {dval.num_row()} rows")
    evals = [(dtrain, "train")] + ([(dval, "validation")] if dval is not None else [])
    history = {}
    early = msg.get("early_stopping_rounds")
    if early and len(evals) < 2:
        info("Early stopping needs a validation channel: training without it.")
        early = None
    try:
        booster = xgb.train(msg["params"], dtrain, num_boost_round=msg["num_round"], evals=evals,
                            early_stopping_rounds=early, evals_result=history, verbose_eval=False,
                            callbacks=[_LogEvaluation()])
    except xgb.core.XGBoostError as e:
        text = str(e).strip().splitlines()
        raise UserError(f"XGB train call failed with exception:\n {text[-1] if text else e}") from None
    os.makedirs(msg["model_dir"], exist_ok=True)
    with open(os.path.join(msg["model_dir"], MODEL_FILE), "wb") as f:
        f.write(booster.save_raw("ubj"))
    best = booster.attr("best_iteration")
    return {"ok": True, "history": history, "best_iteration": int(best) if best is not None else None,
            "rows": dtrain.num_row(), "columns": dtrain.num_col(), "rounds": booster.num_boosted_rounds()}


# -- serving --------------------------------------------------------------------------------------

def load(msg):
    global _BOOSTER
    info(f"Starting the model server (local target: one worker process, xgboost {xgb.__version__})")
    directory = msg["model_dir"]
    names = sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n)))
    if not names:
        return {"ok": False, "reason": f"Unable to load model: no file in the model artifact ({directory})"}
    path = os.path.join(directory, MODEL_FILE if MODEL_FILE in names else names[0])
    with open(path, "rb") as f:
        raw = f.read()
    booster, errors = None, []
    try:
        booster = xgb.Booster()
        booster.load_model(bytearray(raw))
    except Exception as e:  # the container tries a pickled Booster too
        errors.append(str(e).strip().splitlines()[-1] if str(e).strip() else repr(e))
        try:
            booster = pickle.loads(raw)
        except Exception as e2:
            errors.append(repr(e2))
            booster = None
    if not isinstance(booster, xgb.Booster):
        return {"ok": False, "reason": "Unable to load model: " + " ".join(errors)}
    booster.set_param("nthread", 1)
    _BOOSTER = booster
    info(f"Model loaded successfully for worker : {os.getpid()}")
    return {"ok": True, "features": booster.num_features()}


_CONTENT_TYPES = ("text/csv", "text/libsvm", "text/x-libsvm", "application/x-recordio-protobuf")


def _payload_matrix(payload, content_type):
    """(DMatrix, media type, columns sent) or raises (status, message) as the container answers."""
    media = (content_type or "text/csv").lower().split(";")[0].strip()
    if media not in _CONTENT_TYPES:
        raise _Answer(415, f"Content-type {media} not supported. Supported content-type is text/csv, "
                           "text/libsvm, application/x-recordio-protobuf")
    if media == "application/x-recordio-protobuf":
        raise _Answer(415, "Content-type application/x-recordio-protobuf is not emulated by the local target; "
                           "send text/csv or text/libsvm.")
    text = payload.decode("utf-8", "replace").strip()
    if media == "text/csv":
        try:
            delimiter = _delimiter(text.split("\n")[0])
            rows = [["nan" if v.strip() == "" else v for v in line.split(delimiter)]
                    for line in text.split("\n")]
            try:
                data = np.array(rows, dtype=np.float64)
            except ValueError:   # name the value as Python does ('abc'), not numpy's np.str_('abc')
                data = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
        except Exception as e:
            raise _Answer(415, "Loading csv data failed with Exception, please ensure data is in csv format:\n "
                               f"{type(e)}\n {e}") from None
        return xgb.DMatrix(data), media, data.shape[1]
    try:
        matrix, _, _ = _parse_libsvm(text.split("\n"), with_label=False)
    except Exception as e:
        raise _Answer(415, "Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n "
                           f"{type(e)}\n {e}") from None
    return xgb.DMatrix(matrix), media, matrix.shape[1]


class _Answer(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _encode(preds, accept, batch):
    values = preds.tolist()
    media = (accept or "text/csv").lower().split(";")[0].strip()
    if media in ("", "*/*", "text/csv"):
        body = ("\n".join(map(str, values)) + "\n") if batch else ",".join(map(str, values))
        return body.encode(), "text/csv"
    if media == "application/json":
        return json.dumps({"predictions": [{"score": v} for v in values]}).encode(), "application/json"
    if media == "application/jsonlines":
        return "".join(json.dumps({"score": v}) + "\n" for v in values).encode(), "application/jsonlines"
    raise _Answer(406, f"Accept type {accept} is not supported. Supported accept types are text/csv, "
                       "application/json, application/jsonlines")


def predict(msg, payload):
    if not payload:
        return {"status": 204, "content_type": "text/csv"}, b""
    if _BOOSTER is None:
        return {"status": 500, "content_type": "text/plain"}, b"Unable to load model: no model loaded"
    try:
        dtest, media, columns = _payload_matrix(payload, msg.get("content_type"))
        expected = _BOOSTER.num_features()
        if media == "text/csv" and not (expected == columns or expected == columns + 1):
            raise _Answer(400, "Unable to evaluate payload provided: Feature size of csv inference data "
                               f"{columns} is not consistent with feature size of trained model {expected}")
        if media != "text/csv" and columns > expected + 1:
            raise _Answer(400, "Unable to evaluate payload provided: Feature size of libsvm inference data "
                               f"{columns} is larger than feature size of trained model {expected}.")
        best = _BOOSTER.attr("best_iteration")
        kwargs = {"iteration_range": (0, int(best) + 1)} if best is not None else {}
        preds = _BOOSTER.predict(dtest, validate_features=False, **kwargs)
        body, content_type = _encode(preds, msg.get("accept"), msg.get("batch", False))
    except _Answer as answer:
        print(f"ERROR: {answer.message}", flush=True)
        return {"status": answer.status, "content_type": "text/plain"}, answer.message.encode()
    except Exception as e:  # the model itself failed on this input
        print(f"ERROR: Unable to evaluate payload provided: {e}", flush=True)
        return {"status": 400, "content_type": "text/plain"}, f"Unable to evaluate payload provided: {e}".encode()
    return {"status": 200, "content_type": content_type}, body


def main(channel):
    for msg, data in channel:
        op = msg.get("op")
        if op == "predict":
            answer, body = predict(msg, data)
            channel.send(answer, body)
            continue
        try:
            result = train(msg) if op == "train" else load(msg) if op == "load" else \
                {"ok": False, "reason": f"unknown op {op}"}
        except UserError as e:
            print(f"ERROR: {e}", flush=True)
            result = {"ok": False, "reason": f"ClientError: {e}"}
        except Exception as e:  # an algorithm failure, as the container reports one
            print(f"ERROR: {type(e).__name__}: {e}", flush=True)
            result = {"ok": False, "reason": f"AlgorithmError: {type(e).__name__}: {e}"}
        channel.send(result)
    sys.stdout.flush()
