"""Property tests of tool-argument validation against every registered tool's schema."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callcenter.errors import InvalidInput, ValidationFailed
from callcenter.tools.catalog import get_registry
from callcenter.tools.validation import MAX_ARGUMENTS_CHARS, parse_arguments, validate_arguments

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
TOOLS = sorted(get_registry().names())


def property_objects(schema: dict) -> st.SearchStrategy[dict]:
    """Objects using the schema's own property names (so validation goes past `required`)."""
    names = sorted(schema.get("properties", {})) or ["x"]
    return st.dictionaries(st.sampled_from([*names, "unexpected"]), JSON, max_size=len(names) + 1)


@pytest.mark.parametrize("tool", TOOLS)
@settings(max_examples=60)
@given(data=st.data())
def test_any_arguments_validate_or_raise_the_typed_errors(tool: str, data: st.DataObject) -> None:
    schema = get_registry().get(tool).parameters
    raw = data.draw(st.one_of(property_objects(schema), property_objects(schema).map(json.dumps), JSON, st.text()))
    try:
        arguments = validate_arguments(tool, schema, raw)
    except ValidationFailed as error:
        assert error.status == 422 and error.code == "invalid_arguments" and tool in error.message
        return
    except InvalidInput as error:
        assert error.status == 400 and error.code == "invalid_arguments"
        return
    assert isinstance(arguments, dict)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_arguments_round_trip_through_their_json_string(arguments: dict) -> None:
    assert parse_arguments(json.dumps(arguments)) == arguments
    assert parse_arguments(arguments) is arguments


@settings(max_examples=300)
@given(st.text(max_size=200))
@example("[" * 20_000)
@example('{"a":' * 20_000)
@example("x" * (MAX_ARGUMENTS_CHARS + 1))
def test_any_string_parses_to_an_object_or_raises_invalid_input(raw: str) -> None:
    try:
        assert isinstance(parse_arguments(raw), dict)
    except InvalidInput as error:
        assert error.code == "invalid_arguments"
