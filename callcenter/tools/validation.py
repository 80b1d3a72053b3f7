"""Tool arguments: parsed from the model's JSON string and checked against the tool's JSON Schema."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from callcenter.errors import InvalidInput, ValidationFailed

MAX_ARGUMENTS_CHARS = 64 * 1024


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema`; a broken schema is a programming error and fails at startup."""
    return _validator(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    """Checked and built once per schema: checking against the metaschema costs more than validating."""
    schema = json.loads(schema_json)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"invalid tool schema: {exc.message}") from exc
    return Draft202012Validator(schema)


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Arguments arrive as an object (web) or a JSON string (the model's own format).

    Raises:
        InvalidInput: not an object and not a JSON string holding one.
    """
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        if len(raw) > MAX_ARGUMENTS_CHARS:
            raise InvalidInput("tool arguments are too long", code="invalid_arguments")
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"tool arguments are not valid JSON: {exc.msg}", code="invalid_arguments") from None
        except RecursionError:  # 64 KiB of "[" nests deeper than the parser's stack
            raise InvalidInput("tool arguments are nested too deeply", code="invalid_arguments") from None
        if isinstance(value, dict):
            return value
    raise InvalidInput("tool arguments must be a JSON object", code="invalid_arguments")


def validate_arguments(tool: str, schema: dict[str, Any], raw: Any) -> dict[str, Any]:
    """Parsed arguments that satisfy `schema`.

    Raises:
        InvalidInput: arguments are not a JSON object.
        ValidationFailed: the object breaks the schema; the message names the field.
    """
    arguments = parse_arguments(raw)
    validator = compile_schema(schema)
    error = next(iter(sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(arguments)"
        raise ValidationFailed(f"invalid arguments for {tool}: {where}: {error.message}", code="invalid_arguments")
    return arguments
