"""The SQL of clinsearch, written once for both engines, in the spelling PostgreSQL reads.

clinsearch's queries use the subset of SQL that DuckDB and PostgreSQL share, plus a few DuckDB
functions that ``postgres_compat.sql`` defines for PostgreSQL. What remains differs only in
spelling, and is rewritten here, outside string literals and quoted names:

* the placeholder ``?`` (DuckDB) is psycopg's ``%s``, and a literal ``%`` is then ``%%``;
* the type ``DOUBLE`` is PostgreSQL's ``DOUBLE PRECISION``;
* ``x IN (SELECT unnest(?))`` of a list is ``x = ANY(?)`` (``NOT IN``: ``<> ALL``), where an
  empty list takes the type of ``x`` rather than none the server can place;
* DuckDB's test ``regexp_matches(text, pattern)`` is PostgreSQL's ``regexp_like`` (PostgreSQL's
  own ``regexp_matches`` returns the matches);
* a subquery in FROM without a name gets one (PostgreSQL before 16 requires it).

>>> to_postgres("SELECT x::DOUBLE FROM t WHERE a = ? AND b LIKE '%?%'", True)
"SELECT x::DOUBLE PRECISION FROM t WHERE a = %s AND b LIKE '%%?%%'"
>>> to_postgres('SELECT "DOUBLE" FROM t', False)
'SELECT "DOUBLE" FROM t'
>>> to_postgres("SELECT count(*) FROM (SELECT 1 FROM t WHERE a NOT IN (SELECT unnest(?))) GROUP BY 1", True)
'SELECT count(*) FROM (SELECT 1 FROM t WHERE a <> ALL(%s)) AS _q1 GROUP BY 1'
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I)
_REGEXP = re.compile(r"\bregexp_matches\(", re.I)
_NOT_IN_LIST = re.compile(r"\bNOT\s+IN\s*\(\s*SELECT\s+unnest\(\?\)\s*\)", re.I)
_IN_LIST = re.compile(r"\bIN\s*\(\s*SELECT\s+unnest\(\?\)\s*\)", re.I)
_DERIVED_TABLE = re.compile(r"\b(FROM|JOIN)\s*$", re.I)
_SUBQUERY = re.compile(r"\s*(SELECT|WITH|VALUES)\b", re.I)
_NAMED = re.compile(r"\s*(AS\b|\"|(?!(WHERE|GROUP|ORDER|LIMIT|OFFSET|UNION|EXCEPT|INTERSECT|JOIN|LEFT|RIGHT|INNER|FULL|CROSS|NATURAL|ON|USING|HAVING|WINDOW|QUALIFY|FETCH)\b)[A-Za-z_])", re.I)


def _name_subqueries(sql: str) -> str:
    """Give a name to each unnamed subquery of a FROM or JOIN (outside quotes)."""
    quoted = _quoted_mask(sql)
    stack: list[bool] = []  # for each open parenthesis: does it open a derived table?
    inserts: list[int] = []
    for i, char in enumerate(sql):
        if quoted[i]:
            continue
        if char == "(":
            stack.append(bool(_DERIVED_TABLE.search(sql[:i])) and bool(_SUBQUERY.match(sql, i + 1)))
        elif char == ")" and stack and stack.pop() and not _NAMED.match(sql, i + 1):
            inserts.append(i + 1)
    for number, at in reversed(list(enumerate(inserts, start=1))):
        sql = f"{sql[:at]} AS _q{number}{sql[at:]}"
    return sql


def _quoted_mask(sql: str) -> list[bool]:
    mask, quote = [False] * len(sql), None
    for i, char in enumerate(sql):
        if quote:
            mask[i] = True
            if char == quote:
                quote = None  # a doubled quote closes and reopens: same mask
        elif char in "'\"":
            mask[i], quote = True, char
    return mask


@lru_cache(maxsize=4096)
def to_postgres(sql: str, with_params: bool) -> str:
    out: list[str] = []
    plain: list[str] = []  # the text outside quotes since the last quoted part

    sql = _name_subqueries(sql)

    def flush() -> None:
        text = _WORD.sub("DOUBLE PRECISION", "".join(plain))
        text = _IN_LIST.sub("= ANY(?)", _NOT_IN_LIST.sub("<> ALL(?)", text))
        text = _REGEXP.sub("regexp_like(", text)
        if with_params:
            text = text.replace("%", "%%").replace("?", "%s")
        out.append(text)
        plain.clear()

    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            flush()
            end = i + 1
            while end < n:
                if sql[end] == char:
                    if end + 1 < n and sql[end + 1] == char:  # a doubled quote inside
                        end += 2
                        continue
                    break
                end += 1
            quoted = sql[i:end + 1]
            out.append(quoted.replace("%", "%%") if with_params else quoted)
            i = end + 1
        elif char == "-" and sql.startswith("--", i):  # a comment, to the end of its line
            flush()
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%").replace("?", "") if with_params else sql[i:end])
            i = end
        else:
            plain.append(char)
            i += 1
    flush()
    return "".join(out)
