"""The Bicep reader used by the infra checks understands the syntax infra/ uses, and says where it does not."""

from __future__ import annotations

import pytest

from tests.infra.bicep import BicepSyntaxError, parse, tokenize


def test_tokenizer_keeps_interpolations_and_escapes_and_drops_comments() -> None:
    tokens = tokenize("var a = 'it\\'s ${b ? 'x}' : c}' // note\n/* block\n */ var d = 1")
    strings = [t for t in tokens if t.kind == "string"]
    assert strings[0].value == "it's ${b ? 'x}' : c}"
    assert strings[0].interpolations == ("b ? 'x}' : c",)
    assert [t.text for t in tokens if t.kind == "name"] == ["var", "a", "var", "d"]
    assert tokens[-1].line == 3


def test_parser_reads_declarations_decorators_and_conditions() -> None:
    bicep = parse(
        "@secure()\n@metadata({ azd: { type: 'generate' } })\nparam s string\n"
        "param n int = -1\n"
        "module m 'x.bicep' = if (!empty(s)) {\n  name: 'm'\n  params: {\n    a: 'b'\n  }\n}\n"
        "resource r 'A/b@2024-01-01' existing = {\n  name: 'r'\n}\n"
        "output o string = '${m.outputs.v}'\n"
    )
    assert bicep.secure_params() == {"s"}
    assert bicep.params["n"].value is not None and bicep.params["n"].value.literal() == "-1"
    module = bicep.modules[0]
    assert module.target == "x.bicep" and module.condition is not None
    assert module.body is not None and "params" in module.body.items
    assert bicep.resources[0].target == "A/b@2024-01-01"
    assert bicep.outputs["o"].value is not None and bicep.outputs["o"].value.identifiers() == {"m", "outputs", "v"}


def test_parser_reads_for_expressions_and_single_line_objects() -> None:
    bicep = parse("var e = [for item in items(settings): {\n  name: item.key\n}]\nvar t = union(a, { 'k': v, w: 1 })\n")
    loop = bicep.vars["e"].value
    assert loop is not None and loop.top_names() >= {"item", "items", "settings"}
    objects = list(bicep.vars["t"].value.objects())  # type: ignore[union-attr]
    assert list(objects[0].items) == ["k", "w"]


@pytest.mark.parametrize(
    ("source", "line"),
    [("var a = 'open\n", "line 1"), ("var a = {\n  b c\n}\n", "line 2"), ("param p string\n# x\n", "line 2")],
)
def test_parser_names_the_line_of_syntax_it_does_not_understand(source: str, line: str) -> None:
    with pytest.raises(BicepSyntaxError, match=line):
        parse(source)
