"""Russian morphology for search (``words``, ``stems``): the Snowball stemmer writes what
SQLite's FTS5 table indexes for a practice and stems a query the same way, so «питанием»
finds «питание» on both databases (PostgreSQL has its own `russian` configuration,
PG_DOCUMENT is the expression of its GIN index)."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import column, literal_column, table
from sqlalchemy.sql.elements import ColumnClause

# --- Russian morphology for SQLite (PostgreSQL has its own `russian` configuration) ------------

# The Snowball Russian stop list (PostgreSQL's russian.stop): both backends ignore these words.
STOP_WORDS = frozenset("""и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по
только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя
их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой
совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец
два об другой хоть после над больше тот через эти нас про всего них какая много разве три эту моя
впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю
между""".split())
# ... and the English one, for Latin words (the `russian` configuration stems them in English)
ENGLISH_STOP_WORDS = frozenset("""i me my myself we our ours ourselves you your yours yourself yourselves he him
his himself she her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing a an the and but if or
because as until while of at by for with about against between into through during before after above below to
from up down in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don should
now""".split())
_WORD = re.compile(r"[^\W_]+")
_ASCII = re.compile(r"[a-z]+")
MAX_QUERY_WORDS = 32


@lru_cache(maxsize=1)
def _stemmers() -> tuple[Any, Any]:
    return snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` without stop words; punctuation and anything
    else that is not a letter or a digit separates words and is dropped."""
    return [w for w in _WORD.findall((text or "").lower().replace("ё", "е"))
            if w not in (ENGLISH_STOP_WORDS if _ASCII.fullmatch(w) else STOP_WORDS)]


def stems(text: str) -> list[str]:
    """Snowball stems of the words of ``text``: Russian words by the Russian stemmer,
    Latin ones by the English, as PostgreSQL's `russian` configuration does."""
    russian, english = _stemmers()
    return [w if w.isdigit() else english.stemWord(w) if _ASCII.fullmatch(w) else russian.stemWord(w)
            for w in words(text)]


def search_stems_of(title: str, problem: str, summary: str, solution: str) -> str:
    """What SQLite's FTS5 table indexes for a practice (practice.search_stems): the stems
    of the same four texts PostgreSQL's index covers."""
    return " ".join(stems(" ".join((title, problem, summary, solution))))


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression that requires every stem: each one a quoted string, so that
    nothing the user typed (quotes, *, -, NEAR, AND, parentheses) is read as syntax."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


# The expression of the GIN index of migration 0003, written out as a constant so that
# the planner can use the index.
FTS5 = table("practice_fts", column("rowid"), column("rank"))
PG_DOCUMENT: ColumnClause[Any] = literal_column(
    "to_tsvector('russian', practice.title || ' ' || practice.problem || ' ' || "
    "practice.summary || ' ' || practice.solution)")
