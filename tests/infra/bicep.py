"""A small reader for the subset of Bicep that infra/ uses, enough for static checks.

The Bicep compiler cannot be installed here, so tests/infra reads the templates itself. This is not a full
parser: expressions stay token lists, but objects, arrays, for-expressions, string interpolation, comments
and the top-level declarations (param, var, resource, module, output) are recognised, which is what the
checks need (names of settings, module parameters, tags, where a secure parameter flows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_PUNCT = ("=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "::")
_SINGLE = "{}[]():,.=?!<>+-*/%@|&"


class BicepSyntaxError(ValueError):
    """The text is not Bicep this reader understands; the message names the line."""


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "string", "number", "punct", "newline"
    text: str  # for strings: the raw text between the quotes
    line: int
    interpolations: tuple[str, ...] = ()  # expressions inside ${...} of a string

    @property
    def value(self) -> str:
        """A string token's value with escapes resolved (interpolations left as written)."""
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), self.text)


def _scan_string(src: str, i: int, line: int) -> tuple[Token, int, int]:
    """Read a '...' string starting at src[i] == "'"; returns the token, the next index and the line."""
    if src.startswith("'''", i):
        end = src.find("'''", i + 3)
        if end < 0:
            raise BicepSyntaxError(f"line {line}: unterminated multi-line string")
        text = src[i + 3 : end]
        return Token("string", text, line), end + 3, line + text.count("\n")
    j, parts = i + 1, []
    while j < len(src):
        ch = src[j]
        if ch == "\\":
            j += 2
        elif ch == "'":
            return Token("string", src[i + 1 : j], line, tuple(parts)), j + 1, line
        elif src.startswith("${", j):
            start, depth, j = j + 2, 1, j + 2
            while depth:
                if j >= len(src):
                    raise BicepSyntaxError(f"line {line}: unterminated interpolation")
                if src[j] == "'":
                    _, j, _ = _scan_string(src, j, line)
                    continue
                depth += {"{": 1, "}": -1}.get(src[j], 0)
                j += 1
            parts.append(src[start : j - 1])
        elif ch == "\n":
            raise BicepSyntaxError(f"line {line}: newline in a string")
        else:
            j += 1
    raise BicepSyntaxError(f"line {line}: unterminated string")


def tokenize(src: str) -> list[Token]:
    """Split Bicep source into tokens; comments are dropped, newlines kept (they end statements)."""
    tokens: list[Token] = []
    i, line = 0, 1
    while i < len(src):
        ch = src[i]
        if ch == "\n":
            tokens.append(Token("newline", "\n", line))
            line += 1
            i += 1
        elif ch in " \t\r":
            i += 1
        elif src.startswith("//", i):
            i = src.find("\n", i) if "\n" in src[i:] else len(src)
        elif src.startswith("/*", i):
            end = src.find("*/", i)
            if end < 0:
                raise BicepSyntaxError(f"line {line}: unterminated comment")
            line += src.count("\n", i, end)
            i = end + 2
        elif ch == "'":
            token, i, line = _scan_string(src, i, line)
            tokens.append(token)
        elif ch.isalpha() or ch == "_":
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(src, i)
            assert m is not None
            tokens.append(Token("name", m.group(), line))
            i = m.end()
        elif ch.isdigit():
            m = re.compile(r"\d+").match(src, i)
            assert m is not None
            tokens.append(Token("number", m.group(), line))
            i = m.end()
        else:
            two = src[i : i + 2]
            if two in _PUNCT:
                tokens.append(Token("punct", two, line))
                i += 2
            elif ch in _SINGLE:
                tokens.append(Token("punct", ch, line))
                i += 1
            else:
                raise BicepSyntaxError(f"line {line}: unexpected character {ch!r}")
    return tokens


@dataclass
class Obj:
    items: dict[str, Expr]
    line: int


@dataclass
class Arr:
    items: list[Expr]
    line: int
    loop_header: list[Token] = field(default_factory=list)  # `for x in y:` of a for-expression


@dataclass
class Expr:
    parts: list[Token | Obj | Arr]

    def literal(self) -> str | None:
        """The value of a plain, non-interpolated string, number or bool; None for anything else."""
        if len(self.parts) == 1 and isinstance(tok := self.parts[0], Token):
            if tok.kind == "string" and not tok.interpolations:
                return tok.value
            if tok.kind == "number" or tok.text in ("true", "false"):
                return tok.text
        if len(self.parts) == 2 and all(isinstance(p, Token) for p in self.parts):
            minus, num = self.parts
            if isinstance(minus, Token) and isinstance(num, Token) and minus.text == "-" and num.kind == "number":
                return "-" + num.text
        return None

    def obj(self) -> Obj | None:
        """The object when the expression is just an object literal."""
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], Obj) else None

    def objects(self) -> Iterator[Obj]:
        """Object literals that are parts of this expression (not those nested deeper)."""
        for part in self.parts:
            if isinstance(part, Obj):
                yield part
            elif isinstance(part, Arr):
                for item in part.items:
                    yield from item.objects()

    def tokens(self) -> Iterator[Token]:
        """Every token, nested containers and loop headers included."""
        for part in self.parts:
            if isinstance(part, Token):
                yield part
            elif isinstance(part, Obj):
                for value in part.items.values():
                    yield from value.tokens()
            else:
                yield from part.loop_header
                for item in part.items:
                    yield from item.tokens()

    def identifiers(self) -> set[str]:
        """Names used anywhere in the expression, inside string interpolations too."""
        names: set[str] = set()
        for tok in self.tokens():
            if tok.kind == "name":
                names.add(tok.text)
            for inner in tok.interpolations:
                names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'", "", inner)))
        return names

    def top_names(self) -> set[str]:
        """Names at this level: not those inside object values, but those in arrays and loop headers."""
        names: set[str] = set()
        for part in self.parts:
            if isinstance(part, Token) and part.kind == "name":
                names.add(part.text)
            elif isinstance(part, Arr):
                names.update(t.text for t in part.loop_header if t.kind == "name")
                for item in part.items:
                    names |= item.top_names()
        return names

    def strings(self) -> Iterator[Token]:
        return (tok for tok in self.tokens() if tok.kind == "string")


@dataclass
class Decl:
    kind: str  # param, var, output, resource, module, targetScope, ...
    name: str
    line: int
    decorators: list[Expr] = field(default_factory=list)
    target: str = ""  # resource 'type@version' or module path
    type_tokens: list[Token] = field(default_factory=list)
    value: Expr | None = None
    condition: Expr | None = None

    @property
    def body(self) -> Obj | None:
        """The object of a resource/module (the loop body for a for-expression)."""
        if self.value is None:
            return None
        if (obj := self.value.obj()) is not None:
            return obj
        if len(self.value.parts) == 1 and isinstance(arr := self.value.parts[0], Arr) and arr.items:
            return arr.items[0].obj()
        return None

    def decorator(self, name: str) -> Expr | None:
        for deco in self.decorators:
            first = deco.parts[0] if deco.parts else None
            if isinstance(first, Token) and first.text == name:
                return deco
        return None


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise BicepSyntaxError("unexpected end of file")
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise BicepSyntaxError(f"line {tok.line}: expected {text!r}, found {tok.text!r}")
        return tok

    def skip_newlines(self, also: str = "") -> None:
        while (tok := self.peek()) is not None and (tok.kind == "newline" or tok.text in also):
            self.i += 1

    def expr(self, stop: tuple[str, ...] = ()) -> Expr:
        parts: list[Token | Obj | Arr] = []
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.kind == "punct" and tok.text == "{":
                parts.append(self.object())
                continue
            if tok.kind == "punct" and tok.text == "[":
                parts.append(self.array())
                continue
            if depth == 0 and (
                tok.kind == "newline" or (tok.kind == "punct" and tok.text in (",", "}", "]", ")", *stop))
            ):
                break
            if tok.kind == "newline":
                self.i += 1
                continue
            depth += {"(": 1, ")": -1}.get(tok.text, 0) if tok.kind == "punct" else 0
            parts.append(self.next())
        return Expr(parts)

    def object(self) -> Obj:
        line = self.expect("{").line
        items: dict[str, Expr] = {}
        while True:
            self.skip_newlines(",")
            tok = self.next()
            if tok.text == "}" and tok.kind == "punct":
                return Obj(items, line)
            if tok.kind == "name" and tok.text == "resource" and (nxt := self.peek()) and nxt.kind == "name":
                decl = self.declaration("resource", [])
                items[f"resource:{decl.name}"] = Expr([Obj({"": decl.value or Expr([])}, decl.line)])
                continue
            if tok.kind not in ("name", "string"):
                raise BicepSyntaxError(f"line {tok.line}: expected a property name, found {tok.text!r}")
            self.expect(":")
            items[tok.value if tok.kind == "string" else tok.text] = self.expr()

    def array(self) -> Arr:
        line = self.expect("[").line
        self.skip_newlines()
        if (tok := self.peek()) is not None and tok.kind == "name" and tok.text == "for":
            header, depth = [], 0
            while not ((tok := self.next()).text == ":" and depth == 0):
                depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(tok.text, 0) if tok.kind == "punct" else 0
                header.append(tok)
            self.skip_newlines()
            body = self.expr()
            self.skip_newlines()
            self.expect("]")
            return Arr([body], line, header)
        items: list[Expr] = []
        while True:
            self.skip_newlines(",")
            if (tok := self.peek()) is not None and tok.text == "]":
                self.next()
                return Arr(items, line)
            items.append(self.expr())

    def declaration(self, kind: str, decorators: list[Expr]) -> Decl:
        name_tok = self.next()
        decl = Decl(kind, name_tok.text, name_tok.line, decorators)
        if kind in ("resource", "module"):
            decl.target = self.next().value
            if (tok := self.peek()) is not None and tok.text == "existing":
                self.next()
        elif kind in ("param", "output"):
            while (tok := self.peek()) is not None and tok.kind != "newline" and tok.text != "=":
                decl.type_tokens.append(self.next())
        if (tok := self.peek()) is None or tok.text != "=":
            return decl
        self.next()
        if (tok := self.peek()) is not None and tok.text == "if":
            self.next()
            self.expect("(")
            decl.condition = self.expr()
            self.expect(")")
        decl.value = self.expr()
        return decl

    def file(self) -> list[Decl]:
        decls: list[Decl] = []
        decorators: list[Expr] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                return decls
            self.next()
            if tok.text == "@":
                decorators.append(self.expr())
            elif tok.text in ("param", "var", "output", "resource", "module", "type", "func"):
                decls.append(self.declaration(tok.text, decorators))
                decorators = []
            elif tok.kind == "name":  # targetScope = ..., metadata x = ..., import ..., using ...
                decls.append(Decl(tok.text, tok.text, tok.line, decorators, value=self.expr()))
                decorators = []
            else:
                raise BicepSyntaxError(f"line {tok.line}: unexpected {tok.text!r} at top level")


@dataclass
class BicepFile:
    path: Path
    decls: list[Decl]

    def of_kind(self, kind: str) -> dict[str, Decl]:
        return {d.name: d for d in self.decls if d.kind == kind}

    @property
    def params(self) -> dict[str, Decl]:
        return self.of_kind("param")

    @property
    def vars(self) -> dict[str, Decl]:
        return self.of_kind("var")

    @property
    def outputs(self) -> dict[str, Decl]:
        return self.of_kind("output")

    @property
    def resources(self) -> list[Decl]:
        return [d for d in self.decls if d.kind == "resource"]

    @property
    def modules(self) -> list[Decl]:
        return [d for d in self.decls if d.kind == "module"]

    def secure_params(self) -> set[str]:
        return {name for name, d in self.params.items() if d.decorator("secure") is not None}


def parse(src: str, path: Path = Path("<text>")) -> BicepFile:
    """Parse Bicep source.

    Raises:
        BicepSyntaxError: the text uses syntax this reader does not know, naming the line.
    """
    try:
        return BicepFile(path, _Parser(tokenize(src)).file())
    except BicepSyntaxError as exc:
        raise BicepSyntaxError(f"{path}: {exc}") from None
