"""Contact-list CSV import: every bad row by line and reason, duplicates and do-not-call skipped."""
from __future__ import annotations

from datetime import date

import pytest

from callcenter.dialer.contact_list import (
    Contact, RowProblem, SkippedRow, column_key, parse_contacts)

GOOD = """\
Phone,Name,Customer Account,Time Zone,Language,Amount Due,Due Date,Plan
138-0000-0001,Li Lei,ACC-1,,zh,128.50,2026-10-31,gold
+86 138 0000 0002,Han Meimei,ACC-2,Asia/Urumqi,en,¥99,2026/11/01,
"""


def test_a_good_list_is_normalised_and_keeps_extra_columns():
    result = parse_contacts(GOOD, require_amount=True)
    assert result.ok and result.skipped == ()
    assert result.contacts == (
        Contact(line=2, phone="8613800000001", name="Li Lei", account="ACC-1", timezone=None,
                language="zh", amount_due_cents=12850, due_date=date(2026, 10, 31),
                data={"plan": "gold"}),
        Contact(line=3, phone="8613800000002", name="Han Meimei", account="ACC-2",
                timezone="Asia/Urumqi", language="en", amount_due_cents=9900,
                due_date=date(2026, 11, 1), data={"plan": ""}),
    )


WITH_PROBLEMS = """\
phone,name,account,amount_due,due_date,timezone
13800000001,Li Lei,ACC-1,10.00,2026-10-31,
not-a-number,Bad Phone,ACC-2,10.00,2026-10-31,
13800000003,Bad Amount,ACC-3,ten,2026-10-31,
,No Phone,ACC-4,10.00,2026-10-31,
13800000005,Bad Date,ACC-5,10.00,31/10/2026,

13800000007,"Zhang, San",ACC-7,10.001,2026-10-31,Mars/Olympus
13800000008,Too Many,ACC-8,1,2026-10-31,,extra
"13800000009","Two
Lines",ACC-9,-5,2026-10-31,
0138-0000-0001,Li Lei again,ACC-1,10.00,2026-10-31,
13800000010,On the list,ACC-10,1.00,2026-10-31,
"""


def test_every_bad_row_is_reported_with_its_line_and_reason():
    result = parse_contacts(WITH_PROBLEMS, require_amount=True, do_not_call={"+86 13800000010"})
    assert not result.ok
    assert [str(problem) for problem in result.errors] == [
        "line 3: phone: not a phone number: 'not-a-number'",
        "line 4: amount_due: 'ten' is not an amount like 128.50",
        "line 5: phone is empty",
        "line 6: due_date: '31/10/2026' is not a date like 2026-10-31",
        "line 8: timezone: unknown time zone 'Mars/Olympus'",
        "line 8: amount_due: '10.001' must be 0 or more, with at most 2 decimals",
        "line 9: 7 cells, but the first line names 6 columns",
        "line 10: amount_due: '-5' must be 0 or more, with at most 2 decimals",
    ]
    assert [str(row) for row in result.skipped] == [
        "line 12: 8613800000001 skipped: duplicate of line 2",
        "line 13: 8613800000010 skipped: on the do-not-call list",
    ]
    assert [contact.line for contact in result.contacts] == [2]


@pytest.mark.parametrize("text, errors", [  # a collections list: amount and due date required
    ("", [RowProblem(1, "the file is empty: the first line must name the columns "
                        "(phone, name, account, ...)")]),
    ("name,account,amount_due,due_date\nLi,1,1,2026-10-31\n", [
        RowProblem(1, "no 'phone' column (the first line names the columns: name, account, "
                      "amount_due, due_date)")]),
    ("phone,Phone,amount_due,due_date\n1,2,3,4\n", [RowProblem(1, "column 'Phone' appears twice")]),
    ("phone,,amount_due,due_date\n1,2,3,4\n", [RowProblem(1, "column 2 has no name")]),
    ("phone,name\n13800000001,Li\n", [
        RowProblem(1, "no 'amount_due' column (the first line names the columns: phone, name)"),
        RowProblem(1, "no 'due_date' column (the first line names the columns: phone, name)")]),
    ("phone,amount_due,due_date\n13800000001,,\n", [RowProblem(2, "amount_due is empty"),
                                                     RowProblem(2, "due_date is empty")]),
])
def test_header_and_collections_problems(text, errors):
    result = parse_contacts(text, require_amount=True)
    assert list(result.errors) == errors and result.contacts == ()


def test_languages_limit_and_byte_order_mark_and_optional_amounts():
    text = "\ufeffphone,language,amount\n13800000001,fr,\n13800000002,zh,\n"
    result = parse_contacts(text, languages={"zh", "en"})
    assert list(result.errors) == [RowProblem(2, "language: 'fr' is not one of en, zh")]
    result = parse_contacts("phone,language\n13800000002,zh\n", languages={"zh", "en"})
    assert result.ok and result.contacts[0].amount_due_cents is None


def test_do_not_call_numbers_are_compared_normalised():
    result = parse_contacts("phone\n010 1234 5678\n", do_not_call={"861012345678"})
    assert result.contacts == () and result.skipped == (
        SkippedRow(2, "861012345678", "on the do-not-call list"),)


@pytest.mark.parametrize("header, key", [
    ("Phone", "phone"), (" Customer Account ", "account"), ("Time-Zone", "timezone"),
    ("电话", "phone"), ("Amount Due", "amount_due"), ("Plan Name", "plan_name"),
])
def test_column_names(header, key):
    assert column_key(header) == key
