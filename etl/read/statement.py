"""One read-only statement out of user SQL: PostgreSQL's own lexical rules, so a `;` is never missed.

Reads no settings. `newsarchive query` sends its text through the simple query protocol, where `SELECT 1;
COMMIT; ALTER ROLE ...` would end the read-only transaction and run the rest outside it; `single_statement`
finds every top-level `;` as the server's lexer does (strings '...' and E'...', quoted identifiers "...",
dollar quotes $tag$...$tag$, nested /* */ and -- comments, identifiers that contain `$`) and refuses a
second statement, then refuses any statement that is not a query (transaction control, SET, ALTER ...).
The connection forces standard_conforming_strings=on, the rule this lexer assumes for '...' strings.
"""

from __future__ import annotations

import re

from etl.core.errors import UserError

#: First keywords of the statements `query` runs: queries (through a cursor) and two that only read.
QUERY_KEYWORDS = ("select", "with", "values", "table")
READ_KEYWORDS = ("explain", "show")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)?\$")
_FIRST_WORD = re.compile(r"[A-Za-z_]+")


def _ident_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_") or ord(char) >= 0x80


def _ident_cont(char: str) -> bool:
    return _ident_start(char) or char.isdigit() or char == "$"


def _skip_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    """Index just past the quoted run starting at text[i] == quote (a doubled quote stays inside)."""
    i += 1
    while i < len(text):
        char = text[i]
        if backslash and char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise UserError("the SQL has an unterminated quoted string or identifier")


def _skip_block_comment(text: str, i: int) -> int:
    depth, i = 1, i + 2
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise UserError("the SQL has an unterminated /* comment")


def _next_token_end(text: str, i: int) -> tuple[int, bool]:
    """(index after the token or gap at text[i], whether it is code rather than space or a comment)."""
    char = text[i]
    if char.isspace():
        return i + 1, False
    if text.startswith("--", i):
        end = min((p for p in (text.find("\n", i), text.find("\r", i)) if p >= 0), default=len(text))
        return end, False
    if text.startswith("/*", i):
        return _skip_block_comment(text, i), False
    if char in "'\"":
        return _skip_quoted(text, i, char, backslash=False), True
    if char == "$" and (tag := _DOLLAR_TAG.match(text, i)):
        close = text.find(tag.group(0), tag.end())
        if close < 0:
            raise UserError(f"the SQL has an unterminated dollar-quoted string {tag.group(0)}")
        return close + len(tag.group(0)), True
    if _ident_start(char):
        end = i + 1
        while end < len(text) and _ident_cont(text[end]):
            end += 1
        word = text[i:end].lower()
        if word == "e" and text.startswith("'", end):  # E'...': backslash escapes
            return _skip_quoted(text, end, "'", backslash=True), True
        if word == "u" and text.startswith("&'", end):
            return _skip_quoted(text, end + 1, "'", backslash=False), True
        if word == "u" and text.startswith('&"', end):
            return _skip_quoted(text, end + 1, '"', backslash=False), True
        return end, True
    return i + 1, True


def single_statement(sql: str) -> str:
    """`sql` as exactly one statement (trailing `;`, spaces and comments dropped); UserError otherwise."""
    i, code_end, ended = 0, 0, False
    while i < len(sql):
        if sql[i] == ";":
            ended, i = True, i + 1
            continue
        nxt, is_code = _next_token_end(sql, i)
        if is_code:
            if ended:
                raise UserError("`query` runs one statement at a time; remove everything after the first `;`")
            code_end = nxt
        i = nxt
    if not code_end:
        raise UserError("the SQL is empty")
    return sql[:code_end].strip()


def first_keyword(statement: str) -> str:
    """The statement's first word in lower case, after comments and opening parentheses."""
    i = 0
    while i < len(statement):
        nxt, is_code = _next_token_end(statement, i)
        if is_code and statement[i] != "(":
            word = _FIRST_WORD.match(statement, i)
            return word.group(0).lower() if word else statement[i:nxt]
        i = nxt
    return ""


def read_only_statement(sql: str) -> tuple[str, bool]:
    """(the one statement of `sql`, whether it is a query that returns rows through a cursor); UserError
    for several statements or any statement that is not a query, EXPLAIN or SHOW."""
    statement = single_statement(sql)
    keyword = first_keyword(statement)
    if keyword not in QUERY_KEYWORDS + READ_KEYWORDS:
        allowed = ", ".join(word.upper() for word in QUERY_KEYWORDS + READ_KEYWORDS)
        raise UserError(f"`query` runs read-only statements only ({allowed}), not {keyword.upper() or repr(statement)}")
    return statement, keyword in QUERY_KEYWORDS
