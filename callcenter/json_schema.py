"""JSON Schema validators, built once per schema: for request bodies and tool arguments alike."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


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
