"""Evaluation editions (оценочные срезы, PROGRAMME.md "Evaluation"): a region's figures as of
a date, computed from the rows' timestamps and the audit log (``figures``), prepared as a
draft and signed by a curator, which freezes them (``service``); two editions compared
indicator by indicator; the API's answers (``outputs``).
"""
from engine.evaluation.figures import compute_figures
from engine.evaluation.service import (
    compare_editions,
    create_edition,
    delete_edition,
    edition_detail,
    get_edition,
    list_editions,
    sign_edition,
    update_edition,
)

__all__ = ["compare_editions", "compute_figures", "create_edition", "delete_edition", "edition_detail",
           "get_edition", "list_editions", "sign_edition", "update_edition"]
