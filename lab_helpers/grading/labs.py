"""The labs in order: id, title, and which earlier checks prove a lab's prerequisites are in place."""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    checks_module: str
    # (lab id, check id) pairs that must pass before this lab can start.
    requires: tuple[tuple[str, str], ...] = ()

    @property
    def checks(self):
        return importlib.import_module(f"lab_helpers.grading.labchecks.{self.checks_module}").CHECKS


LABS: tuple[Lab, ...] = (
    Lab("00_orientation", "Orientation: the data lake, the kit and the workshop stack", "orientation"),
    Lab("01_kms_key_users", "KMS key users: encryption that says no", "kms_key_users"),
    Lab("02_lambda_load", "Lambda: load the raw zone", "lambda_load"),
    Lab("03_glue_crawlers", "Glue crawlers: from files to tables", "glue_crawlers"),
    Lab("04_athena_curate", "Athena: query the raw zone, curate with CTAS", "athena_curate"),
    Lab("05_databrew", "Glue DataBrew: profile the students, join and rename with a recipe job", "databrew"),
    Lab("06_redshift", "Redshift: Spectrum over the lake, a warehouse, COPY and UNLOAD", "redshift"),
    Lab("07_sagemaker", "SageMaker AI: train, deploy and evaluate an at-risk model", "sagemaker"),
)
_BY_ID = {lab.id: lab for lab in LABS}


class UnknownLab(KeyError):
    def __str__(self) -> str:
        return f"unknown lab {self.args[0]!r}; labs are: {', '.join(_BY_ID)}"


def get(lab_id: str) -> Lab:
    try:
        return _BY_ID[lab_id]
    except KeyError:
        raise UnknownLab(lab_id) from None


def before(lab_id: str) -> list[Lab]:
    ids = list(_BY_ID)
    return [_BY_ID[i] for i in ids[:ids.index(get(lab_id).id)]]
