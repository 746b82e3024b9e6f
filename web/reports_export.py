"""The report's exports: the column names in the reader's language, CSV (one table,
UTF-8 with BOM) and XLSX (a sheet per table). The figures come from
callcenter.reports.exports, the same report the page shows."""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from flask_babel import gettext as _

from callcenter.reports import exports
from callcenter.reports import report as reporting

TABLES = exports.TABLES


def sheet_titles() -> dict[str, str]:
    return {"service": _("Service"), "teams": _("Teams"),
            "availability": _("System availability (系统可用率)"),
            "campaigns": _("Outbound campaigns"), "answer_back": _("Answer-back in time (回告时限)"),
            "accuracy": _("Inquiry accuracy (查询准确率)")}


def labels() -> dict[str, str]:
    return {
        "interval": _("Interval"), "queue": _("Queue"), "offered": _("Offered"),
        "answered": _("Answered"), "answered_in_limit": _("Answered within limit"),
        "abandoned": _("Abandoned"), "short_abandoned": _("Short abandons"),
        "no_answer_in_time": _("No answer in time (久叫不应)"), "callbacks": _("Callbacks"),
        "transferred_in": _("Transferred in"), "service_level": _("Service level %"),
        "over_limit_answer_rate": _("Over-limit answer rate % (应答逾限率)"),
        "connection_rate": _("Connection rate % (接通率)"), "abandon_rate": _("Abandon rate %"),
        "abandon_rate_without_short": _("Abandon rate without short abandons %"),
        "asa_seconds": _("ASA s"), "aht_seconds": _("AHT s"),
        "team": _("Team"), "agents": _("Agents"), "logged_in_min": _("Logged in min"),
        "ready_min": _("Ready min"), "talk_min": _("Talk min"), "hold_min": _("Hold min"),
        "wrap_up_min": _("Wrap-up min"), "not_ready_min": _("Not ready min"),
        "occupancy": _("Occupancy %"), "answered_in_limit_rate": _("Answered within limit %"),
        "transfers": _("Transfers"), "day": _("Day"), "availability": _("Availability %"),
        "measured_seconds": _("Measured s"), "down_seconds": _("Down s"),
        "down_spans": _("Down spans"), "campaign": _("Campaign"), "dials": _("Dials"),
        "due": _("Tickets due"), "in_time": _("Told in time"), "late": _("Told late"),
        "not_told": _("Not told"), "answer_back_rate": _("Answer-back in time %"),
        "scored": _("Evaluations scored"), "accurate": _("Full marks"),
        "accuracy_rate": _("Inquiry accuracy %"),
    }


def headers(table: str) -> list[str]:
    keys = [key for key, _label in reporting.EXPORT_COLUMNS] if table == "service" \
        else exports.COLUMNS[table]
    words = labels()
    return [words[key] for key in keys]


def tables_of(report: reporting.Report, zone: Any, queue_names: Mapping[str, str],
              campaign_names: Mapping[int, str]) -> dict[str, list[list[Any]]]:
    return exports.tables(report, zone, queue_names, campaign_names,
                          {"total": _("Period total"), "no_team": _("No team")})


def csv_text(table: str, rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(table))
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return "\ufeff" + buffer.getvalue()  # the BOM: spreadsheet programs then read UTF-8


def xlsx_bytes(tables: Mapping[str, list[list[Any]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    titles = sheet_titles()
    for index, table in enumerate(TABLES):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = _sheet_title(titles[table])
        sheet.append(headers(table))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in tables[table]:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 18
    book.active.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(text: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\ ."""
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]
