"""Tool arguments: parsed from the model's JSON string and checked against the tool's JSON Schema."""

from __future__ import annotations

import json
from typing import Any

from callcenter.errors import InvalidInput, ValidationFailed
from callcenter.json_schema import compile_schema

MAX_ARGUMENTS_CHARS = 64 * 1024


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
