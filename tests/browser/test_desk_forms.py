"""A case worker's forms in a browser: a payment recorded once however often it is sent,
refusals beside their fields, a unit registered and a person joined, both clocks."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from ledger.clocks import CST
from tests.browser.conftest import CHIFENG, WUHAI, Desk, screenshot, sign_in


def _amount(page: Page, which: str) -> Decimal:
    return Decimal(page.locator(f"#total-{which}").inner_text().replace(",", ""))


def _payments(page: Page) -> int:
    return page.locator("table.timeline tr[data-type=PaymentCollected]").count()


def test_a_payment_form_records_the_payment_once_even_when_sent_twice(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}")
    credit, payments = _amount(page, "credit"), _payments(page)
    page.click("nav.actions a:text('缴费回传')")
    page.fill("#f-amount", "120.00")
    page.fill("#f-paid_on", "2023-08-15")
    page.fill("#f-reason", "税务回传")
    sent = page.eval_on_selector(
        "form.command", "f => Object.fromEntries(new FormData(f).entries())"
    )
    screenshot(page, desk, "payment-form")

    page.click("form.command button[type=submit]")
    expect(page.locator(".notice")).to_have_text("缴费已记录")
    again = page.request.post(f"{desk.url}/desk/units/{WUHAI}/payments", form=sent)
    page.reload()

    assert again.ok
    # the unit owed nothing: the payment is held as credit (待转基金), once
    assert _amount(page, "credit") == credit + Decimal("120.00")
    assert _payments(page) == payments + 1
    row = page.locator("table.timeline tr[data-type=PaymentCollected]").last
    expect(row).to_contain_text("税务回传")
    expect(row).to_contain_text("王芳")


def test_a_payment_of_nothing_is_refused_beside_the_amount_and_nothing_is_written(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}/payments")
    before = desk.ledger.recorder.max_notification_id()

    page.fill("#f-amount", "0.00")
    page.fill("#f-paid_on", "2023-08-15")
    page.click("form.command button[type=submit]")

    error = page.locator(".field[data-field=amount] .error")
    expect(error).to_contain_text("payment amount 0.00 must be positive")
    expect(page.locator("#f-amount")).to_have_value("0.00")
    assert desk.ledger.recorder.max_notification_id() == before
    screenshot(page, desk, "refusal")


def test_an_amount_that_is_not_money_is_refused_by_the_apis_own_rule(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}/payments")

    page.fill("#f-amount", "12.5")
    page.fill("#f-paid_on", "2023-02-30")
    page.click("form.command button[type=submit]")

    expect(page.locator(".field[data-field=amount] .error")).to_contain_text("金额写作两位小数")
    expect(page.locator(".field[data-field=paid_on] .error")).to_contain_text("not a real date")


def test_known_at_before_a_payment_shows_the_unit_as_it_was_before_it_was_keyed_in(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}")
    before = _amount(page, "credit")
    known = datetime.now(CST).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep((known - datetime.now(CST)).total_seconds() + 0.05)
    page.click("nav.actions a:text('缴费回传')")
    page.fill("#f-amount", "30.00")
    page.fill("#f-paid_on", "2023-08-20")
    page.click("form.command button[type=submit]")
    expect(page.locator(".notice")).to_be_visible()

    page.fill("#c-known-at", known.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("form.clocks button")

    assert _amount(page, "credit") == before
    expect(page.locator("#c-known-at")).to_have_value(known.strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_case_worker_registers_a_unit_and_a_person_joins_it(page: Page, desk: Desk) -> None:
    sign_in(page, desk, "chifeng", "/desk/units/new")

    page.fill("#f-uscc", "91150402MA0N2CF000")  # the check character is P
    page.fill("#f-name", "赤峰市测试商贸有限公司")
    page.fill("#f-region", "150400")
    page.fill("#f-established_on", "2019-03-01")
    page.click("form.command button[type=submit]")

    expect(page.locator(".field[data-field=uscc] .error")).to_be_visible()
    page.fill("#f-uscc", "91150402MA0N2CF00P")
    page.click("form.command button[type=submit]")
    expect(page.locator(".notice")).to_have_text("单位已登记")
    page.click("nav.actions a:text('人员参保')")
    page.fill("#f-resident_id", "150402198505050075")
    page.fill("#f-base", "6000.00")
    page.fill("#f-joined_on", "2019-03-01")
    page.click("form.command button[type=submit]")
    expect(page.locator(".notice")).to_have_text("人员已参保")
    expect(page.locator("table.timeline tr[data-type=PersonJoined]")).to_have_count(1)


def test_an_administrator_writes_no_unit_record(page: Page, desk: Desk) -> None:
    sign_in(page, desk, "admin")

    response = page.goto(f"{desk.url}/desk/units/{CHIFENG}/assessments")

    assert response is not None
    assert response.status == 403
