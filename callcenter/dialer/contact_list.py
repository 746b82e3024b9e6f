"""Contact-list CSV import, pure: the file's text in, contacts and problems out.

The first line names the columns (any order, case and spaces ignored):

    phone         required; normalised with callcenter.phone.normalize_phone
    name          the customer's name
    account       the customer account (also: customer_account, customer account)
    timezone      the contact's zone, e.g. Asia/Urumqi (else the campaign's)
    language      e.g. zh, en (else the flow's first language)
    amount_due    e.g. 128.50 or ¥128.50, stored as cents (collections need it)
    due_date      YYYY-MM-DD (collections need it)
    anything else kept as text in ``Contact.data``

Every bad row is an error naming its line and why; the caller refuses the
whole file when ``errors`` is not empty (nothing is half-imported).  Rows
that are fine but must not be called are ``skipped`` with the reason: a
number seen earlier in the file, or one on the do-not-call list.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Collection, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.phone import DEFAULT_COUNTRY_CODE, InvalidPhoneNumber, normalize_phone

COLUMNS = {
    "phone": ("phone", "phone_number", "number", "msisdn", "电话", "手机"),
    "name": ("name", "customer_name", "姓名"),
    "account": ("account", "customer_account", "account_number", "账号", "客户账号"),
    "timezone": ("timezone", "time_zone", "tz", "时区"),
    "language": ("language", "lang", "语言"),
    "amount_due": ("amount_due", "amount", "欠费金额"),
    "due_date": ("due_date", "缴费期限"),
}
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_CURRENCY = re.compile(r"^[¥￥$€£]|(?:元|CNY|RMB)$", re.IGNORECASE)


@dataclass(frozen=True)
class Contact:
    line: int  # where the row starts in the file
    phone: str  # normalised: country code and number, digits only
    name: str = ""
    account: str = ""
    timezone: str | None = None
    language: str | None = None
    amount_due_cents: int | None = None
    due_date: date | None = None
    data: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class SkippedRow:
    line: int
    phone: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.phone} skipped: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    contacts: tuple[Contact, ...]
    errors: tuple[RowProblem, ...]
    skipped: tuple[SkippedRow, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def column_key(header: str) -> str:
    """' Customer Account ' -> 'customer_account'; known aliases -> their column."""
    key = re.sub(r"[\s\-]+", "_", header.strip().lower())
    return _ALIASES.get(key, key)


def parse_contacts(text: str, *, country_code: str = DEFAULT_COUNTRY_CODE,
                   do_not_call: Collection[str] = (), require_amount: bool = False,
                   languages: Collection[str] | None = None) -> ImportResult:
    """Parse a contact list; see the module docstring.

    ``do_not_call`` holds normalised numbers (the list plus customers' opt-outs);
    ``require_amount`` (collections) makes amount_due and due_date required;
    ``languages``, when given, are the only language codes accepted.
    """
    rows = _rows(text.lstrip("\ufeff"))
    if not rows:
        return ImportResult((), (RowProblem(1, "the file is empty: the first line must name the "
                                               "columns (phone, name, account, ...)"),))
    header_line, header = rows[0]
    columns, errors = _header(header_line, header, require_amount)
    if errors:
        return ImportResult((), tuple(errors))
    blocked = set(_normalised(do_not_call, country_code))
    contacts: list[Contact] = []
    skipped: list[SkippedRow] = []
    seen: dict[str, int] = {}
    for line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            errors.append(RowProblem(line, f"{len(cells)} cells, but the first line names "
                                           f"{len(columns)} columns"))
            continue
        values = {column: cell.strip() for column, cell in zip(columns, cells)}
        contact, problems = _contact(line, values, country_code, languages, require_amount)
        if problems:
            errors.extend(RowProblem(line, problem) for problem in problems)
            continue
        assert contact is not None
        if contact.phone in seen:
            skipped.append(SkippedRow(line, contact.phone, f"duplicate of line {seen[contact.phone]}"))
        elif contact.phone in blocked:
            skipped.append(SkippedRow(line, contact.phone, "on the do-not-call list"))
        else:
            seen[contact.phone] = line
            contacts.append(contact)
    return ImportResult(tuple(contacts), tuple(errors), tuple(skipped))


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line where the row starts, cells); quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    next_line = 1
    for cells in reader:
        rows.append((next_line, cells))
        next_line = reader.line_num + 1
    return rows


def _header(line: int, header: list[str], require_amount: bool) -> tuple[list[str], list[RowProblem]]:
    columns = [column_key(name) for name in header]
    errors = []
    for index, column in enumerate(columns):
        if not column:
            errors.append(RowProblem(line, f"column {index + 1} has no name"))
        elif column in columns[:index]:
            errors.append(RowProblem(line, f"column '{header[index].strip()}' appears twice"))
    needed = ["phone"] + (["amount_due", "due_date"] if require_amount else [])
    for column in needed:
        if column not in columns:
            errors.append(RowProblem(line, f"no '{column}' column (the first line names the columns: "
                                           f"{', '.join(h.strip() for h in header)})"))
    return columns, errors


def _contact(line: int, values: dict[str, str], country_code: str,
             languages: Collection[str] | None, require_amount: bool) -> tuple[Contact | None, list[str]]:
    problems = []
    phone = ""
    try:
        phone = normalize_phone(values["phone"], country_code)
    except InvalidPhoneNumber as exc:
        problems.append(f"phone: {exc}" if values["phone"] else "phone is empty")
    zone = values.get("timezone") or None
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone: unknown time zone {zone!r}")
    language = values.get("language") or None
    if language and languages is not None and language not in languages:
        problems.append(f"language: {language!r} is not one of {', '.join(sorted(languages))}")
    amount = _amount(values.get("amount_due", ""), problems, require_amount)
    due = _date(values.get("due_date", ""), problems, require_amount)
    if problems:
        return None, problems
    extra = {key: value for key, value in values.items() if key not in COLUMNS}
    return Contact(line=line, phone=phone, name=values.get("name", ""),
                   account=values.get("account", ""), timezone=zone, language=language,
                   amount_due_cents=amount, due_date=due, data=MappingProxyType(extra)), []


def _amount(text: str, problems: list[str], required: bool) -> int | None:
    if not text:
        if required:
            problems.append("amount_due is empty")
        return None
    cleaned = _CURRENCY.sub("", text.replace(",", "").strip()).strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        problems.append(f"amount_due: {text!r} is not an amount like 128.50")
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        problems.append(f"amount_due: {text!r} must be 0 or more, with at most 2 decimals")
        return None
    return int(value * 100)


def _date(text: str, problems: list[str], required: bool) -> date | None:
    if not text:
        if required:
            problems.append("due_date is empty")
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        problems.append(f"due_date: {text!r} is not a date like 2026-10-31")
        return None


def _normalised(numbers: Iterable[str], country_code: str) -> Iterable[str]:
    for number in numbers:
        try:
            yield normalize_phone(number, country_code)
        except InvalidPhoneNumber:
            continue
