"""The portfolio «Бережливая школа» (DOMAIN.md "Practices").

Modules: ``service`` (publish, update, withdraw, replicate, search, the measured effect),
``stemming`` (Russian morphology for search), ``categories`` (the categories from
engine/data/practice_categories.yaml), ``schemas`` (the inputs), ``exchange`` (between
installations), ``public`` (the catalogue for visitors without an account), ``edition`` and
``edition_docx`` (the portfolio edition, printable and DOCX). The service's public
names are re-exported here: ``from engine import practices; practices.publish(...)``.
"""
from engine.practices.categories import Category, categories, category_ids, category_title
from engine.practices.service import (
    best_improvement,
    change_pct,
    compute_effect,
    get_practice,
    may_curate,
    may_see,
    practice_detail,
    practice_dict,
    publish,
    publish_preview,
    publishable_projects,
    replicate,
    replications_per_practice,
    search,
    update_practice,
    withdraw_practice,
)
from engine.practices.stemming import fts5_query, search_stems_of, stems, words

__all__ = ["Category", "best_improvement", "categories", "category_ids", "category_title", "change_pct",
           "compute_effect", "fts5_query", "get_practice", "may_curate", "may_see", "practice_detail",
           "practice_dict", "publish", "publish_preview", "publishable_projects", "replicate",
           "replications_per_practice", "search", "search_stems_of", "stems", "update_practice",
           "withdraw_practice", "words"]
