"""Functions route templates (`calls/{id}`, `items/{id:int?}`, `files/{*path}`) as matchers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?(\?)?\}")
_CONSTRAINTS = {
    None: r"[^/]+",
    "alpha": r"[A-Za-z]+",
    "int": r"-?[0-9]+",
    "long": r"-?[0-9]+",
    "bool": r"(?i:true|false)",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "double": r"-?[0-9]+(?:\.[0-9]+)?",
}


class RouteTemplateError(ValueError):
    """A route template this host cannot serve (it names the template)."""


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    pattern: re.Pattern[str]
    literal_length: int

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        """Compile a template; parameters match one path segment unless written `{*name}`."""
        regex, position, literal = "", 0, 0
        for match in _PARAM.finditer(template):
            text = template[position : match.start()]
            literal += len(text)
            regex += re.escape(text)
            catch_all, name, constraint, optional = match.groups()
            if constraint not in _CONSTRAINTS:
                raise RouteTemplateError(f"route {template!r}: unsupported constraint '{constraint}'")
            body = r".*" if catch_all else _CONSTRAINTS[constraint]
            group = f"(?P<{name}>{body})"
            if optional or catch_all:
                if regex.endswith("/"):
                    regex = regex[:-1] + f"(?:/{group})?"
                else:
                    regex += group + "?"
            else:
                regex += group
            position = match.end()
        tail = template[position:]
        literal += len(tail)
        regex += re.escape(tail)
        return cls(template, re.compile(f"^{regex}/?$"), literal)

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters when `path` (without the `api/` prefix) matches, else None."""
        found = self.pattern.match(path)
        if found is None:
            return None
        return {k: v for k, v in found.groupdict().items() if v is not None}
