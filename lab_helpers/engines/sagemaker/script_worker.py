"""Script mode in a worker process: run a training script, or serve its model_fn/input_fn/predict_fn/output_fn."""
# Loaded by platform/workers.py (`python -u workers.py script_worker.py main`), with the job's SM_*
# variables, role credentials and PYTHONPATH (the unpacked source directory) in its environment.
# Messages: {"op": "train", "program": ..., "args": [...]} -> {"exit_code": n, "stderr_tail": ..., "command": ...};
# {"op": "load", "model_dir": ..., "code_dir": ..., "program": ..., "framework": ...} -> {"ok": ..., "reason": ...};
# {"op": "predict", "content_type": ..., "accept": ...} + payload -> {"status": ..., "content_type": ...} + body.
# Defaults follow the SageMaker framework containers (sagemaker-inference's decoder/encoder).
import importlib
import io
import json
import os
import subprocess
import sys
import traceback
from collections import deque

_MODEL = None
_MODULE = None
_DEFAULT_ACCEPT = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json")


def train(msg):
    command = [sys.executable, msg["program"], *msg.get("args", [])]
    tail = deque(maxlen=20)
    proc = subprocess.Popen(command, stdout=sys.stdout, stderr=subprocess.PIPE, cwd=os.getcwd())
    for raw in proc.stderr:                 # the log gets stderr too, and the failure reason its last line
        line = raw.decode("utf-8", "replace")
        sys.stderr.write(line)
        sys.stderr.flush()
        tail.append(line)
    code = proc.wait()
    shown = " ".join(["python", os.path.basename(msg["program"]), *msg.get("args", [])])
    return {"exit_code": code, "stderr_tail": "".join(tail), "command": shown}


class _Unsupported(Exception):
    pass


def _decode(body, content_type):
    import numpy as np

    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/json":
        return np.array(json.loads(body.decode("utf-8")))
    if media == "text/csv":
        text = body.decode("utf-8").strip()
        return np.genfromtxt(io.StringIO(text), delimiter=",", ndmin=2)
    if media == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=True)
    raise _Unsupported(media)


def _encode(prediction, accept):
    import numpy as np

    media = (accept or "").split(",")[0].split(";")[0].strip().lower()
    if media in ("", "*/*"):
        media = _DEFAULT_ACCEPT
    array = np.asarray(prediction)
    if media == "application/json":
        return json.dumps(array.tolist()).encode(), media
    if media == "text/csv":
        rows = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
        return ("\n".join(",".join(str(v) for v in row) for row in rows.tolist()) + "\n").encode(), media
    if media == "application/x-npy":
        buf = io.BytesIO()
        np.save(buf, array)
        return buf.getvalue(), media
    raise _Unsupported(media)


def _default_model_fn(model_dir, framework):
    if framework == "xgboost":
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster
    raise NotImplementedError("Please provide a model_fn implementation. See documentation for model_fn at "
                              "https://sagemaker.readthedocs.io/en/stable/frameworks/sklearn/using_sklearn.html")


def load(msg):
    global _MODEL, _MODULE
    sys.path.insert(0, msg["code_dir"])
    module_name = os.path.splitext(os.path.basename(msg["program"]))[0]
    try:
        _MODULE = importlib.import_module(module_name)
        model_fn = getattr(_MODULE, "model_fn", None)
        _MODEL = model_fn(msg["model_dir"]) if model_fn else _default_model_fn(msg["model_dir"], msg.get("framework"))
    except Exception as e:
        traceback.print_exc()
        return {"ok": False, "reason": f"{type(e).__name__}: {e}"}
    print(f"Model loaded from {module_name}.model_fn" if hasattr(_MODULE, "model_fn") else "Model loaded", flush=True)
    return {"ok": True}


def predict(msg, body):
    try:
        input_fn = getattr(_MODULE, "input_fn", None)
        try:
            data = input_fn(body, msg.get("content_type")) if input_fn else _decode(body, msg.get("content_type"))
        except _Unsupported as e:
            return {"status": 415, "content_type": "text/plain"}, (
                f"Content type {e} is not supported by this framework.\n\n Please implement input_fn to to "
                "deserialize the request data or an output_fn to serialize the response.").encode()
        predict_fn = getattr(_MODULE, "predict_fn", None)
        if predict_fn:
            prediction = predict_fn(data, _MODEL)
        elif hasattr(_MODEL, "predict") and not hasattr(_MODEL, "num_boosted_rounds"):
            prediction = _MODEL.predict(data)
        else:                                   # a Booster predicts a DMatrix
            import xgboost as xgb

            prediction = _MODEL.predict(xgb.DMatrix(data))
        output_fn = getattr(_MODULE, "output_fn", None)
        if output_fn:
            answer = output_fn(prediction, msg.get("accept"))
            body, content_type = (answer if isinstance(answer, tuple) else (answer, msg.get("accept") or _DEFAULT_ACCEPT))
            return {"status": 200, "content_type": content_type}, body if isinstance(body, bytes) else str(body).encode()
        try:
            out, content_type = _encode(prediction, msg.get("accept"))
        except _Unsupported as e:
            return {"status": 406, "content_type": "text/plain"}, f"Accept type {e} is not supported.".encode()
        return {"status": 200, "content_type": content_type}, out
    except Exception as e:
        traceback.print_exc()
        return {"status": 500, "content_type": "text/plain"}, f"{type(e).__name__}: {e}".encode()


def main(channel):
    for msg, data in channel:
        op = msg.get("op")
        if op == "train":
            channel.send(train(msg))
        elif op == "load":
            channel.send(load(msg))
        elif op == "predict":
            answer, body = predict(msg, data)
            channel.send(answer, body)
        else:
            channel.send({"ok": False, "reason": f"unknown op {op}"})
