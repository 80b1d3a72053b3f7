"""Contacts from a CSV upload or a JSON list: every good row is kept, every bad one reported by line.

CSV: a header row naming `phone` (E.164; `number`/`phone_number` also accepted), optionally `name`
and `time_zone` (`timezone`), and any other columns as free-form variables for the script. Lines are
physical line numbers of the file (the header is line 1), so a quoted value spanning lines still
points at the row's first line. JSON: `line` is the 1-based position in the `contacts` array.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from callcenter.campaigns.model import MAX_VALUE_CHARS, MAX_VARIABLES, CampaignSettings
from callcenter.campaigns.windows import zone
from callcenter.errors import InvalidInput
from callcenter.phone_numbers import E164

MAX_CONTACTS = 100_000
MAX_REJECTED_SHOWN = 1000
PHONE_COLUMNS = ("phone", "number", "phone_number")
ZONE_COLUMNS = ("time_zone", "timezone")


@dataclass(frozen=True)
class Contact:
    """One person to call: E.164 number, name, time zone and script variables."""

    line: int
    phone: str
    name: str = ""
    time_zone: str = "UTC"
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class ContactList:
    """What an upload yielded: accepted contacts and `{line, reason}` for each rejected row."""

    contacts: list[Contact] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_total: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTED_SHOWN:
            self.rejected.append({"line": line, "reason": reason})


class _Checker:
    """Validates rows one by one and remembers numbers already seen (duplicates are rejected)."""

    def __init__(self, settings: CampaignSettings) -> None:
        self.settings = settings
        self.required = sorted(settings.variables())
        self.seen: dict[str, int] = {}
        self.result = ContactList()

    def add(self, line: int, values: dict[str, str]) -> None:
        try:
            contact = self._contact(line, values)
        except ValueError as exc:
            self.result.reject(line, str(exc))
            return
        if len(self.result.contacts) >= MAX_CONTACTS:
            self.result.reject(line, f"a campaign holds at most {MAX_CONTACTS} contacts")
            return
        self.seen[contact.phone] = line
        self.result.contacts.append(contact)

    def _contact(self, line: int, values: dict[str, str]) -> Contact:
        phone = next((values.pop(c).strip() for c in PHONE_COLUMNS if c in values), "")
        phone = phone.replace(" ", "").replace("-", "")
        if not phone:
            raise ValueError("phone is missing")
        if not E164.fullmatch(phone):
            raise ValueError(f"phone '{phone[:20]}' is not an E.164 number such as +14255550100")
        if phone in self.seen:
            raise ValueError(f"phone {phone} is already on line {self.seen[phone]}")
        time_zone = next((values.pop(c).strip() for c in ZONE_COLUMNS if c in values), "") or self.settings.time_zone
        try:
            zone(time_zone)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        name = values.pop("name", "").strip()
        variables = {k.strip(): v.strip() for k, v in values.items() if k and k.strip()}
        if len(variables) > MAX_VARIABLES:
            raise ValueError(f"at most {MAX_VARIABLES} variable columns are allowed")
        for key, value in [("name", name), *variables.items()]:
            if len(value) > MAX_VALUE_CHARS:
                raise ValueError(f"{key} is longer than {MAX_VALUE_CHARS} characters")
        known = {"name": name, "phone": phone, **variables}
        missing = [v for v in self.required if not known.get(v)]
        if missing:
            raise ValueError(f"no value for {', '.join(missing)} used by the script")
        return Contact(line, phone, name, time_zone, variables)


def parse_csv(text: str, settings: CampaignSettings) -> ContactList:
    """Contacts from CSV text.

    Raises:
        InvalidInput: no header row, or no phone column.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the contacts CSV is empty", code="invalid_contacts") from None
    except csv.Error as exc:
        raise InvalidInput(f"the contacts CSV header is malformed: {exc}", code="invalid_contacts") from None
    if not any(column in header for column in PHONE_COLUMNS):
        raise InvalidInput("the contacts CSV needs a 'phone' column (E.164 numbers)", code="invalid_contacts")
    checker = _Checker(settings)
    for line, row in _rows(reader):
        if row is None:
            checker.result.reject(line, "malformed CSV row")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            checker.result.reject(line, f"expected {len(header)} columns, found {len(row)}")
            continue
        checker.add(line, dict(zip(header, row, strict=True)))
    return checker.result


def _rows(reader: Any) -> Iterator[tuple[int, list[str] | None]]:
    """(first line number, row) pairs; a row the csv module cannot read is (line, None)."""
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield previous + 1, None
            previous = reader.line_num
            continue
        yield previous + 1, row
        previous = reader.line_num


def parse_items(items: Iterable[Any], settings: CampaignSettings) -> ContactList:
    """Contacts from a JSON list of objects (`phone`, `name`, `time_zone`, `variables` or other keys)."""
    checker = _Checker(settings)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            checker.result.reject(index, "expected an object with a phone number")
            continue
        values: dict[str, str] = {}
        nested = item.get("variables")
        if not isinstance(nested, dict):
            nested = {}
        for key, value in [*item.items(), *nested.items()]:
            if key == "variables":
                continue
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                checker.result.reject(index, f"{key} must be text")
                break
            values[str(key)] = str(value)
        else:
            checker.add(index, values)
    return checker.result
