"""Reading the desk in a browser as each role: the demo's figures, both clocks, the
timeline, the rights record, the reports, replays, and the agency boundary."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import CHIFENG, WUHAI, WUHAI_PERSON, Desk, screenshot, sign_in


def test_a_case_worker_finds_their_unit_by_name_and_reads_its_late_fee(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai")
    screenshot(page, desk, "desk")

    page.fill("#q", "乌海市示例零售")
    page.click("section:has(#q) button")
    page.click(f"a:text('{WUHAI}')")
    page.fill("#c-as-of", "2023-08-01")
    page.click("form.clocks button")

    # 21,000.00 x 0.05% x 31 days = 325.50, + 3 x 420.00 x 0.05% x 5 days = 3.15
    expect(page.locator("#total-late-fee")).to_have_text("328.65")
    expect(page.locator("#total-outstanding")).to_have_text("0.00")
    expect(page.locator("h1")).to_have_text("乌海市示例零售有限公司")
    screenshot(page, desk, "unit")


def test_the_timeline_names_the_policy_and_paragraph_of_every_decision(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}")

    decisions = page.locator("table.timeline tr.decision")

    assert decisions.count() >= 4
    granted = page.locator("table.timeline tr[data-type=DeferralGranted]")
    expect(granted).to_contain_text("准予缓缴")
    expect(granted).to_contain_text("内医保办发〔2022〕19号")
    expect(granted).to_contain_text("demo:case-worker")
    expect(page.locator("#deferrals")).to_contain_text("2023-06-30")


def test_the_units_chart_has_years_titles_and_a_legend_with_line_samples(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", f"/desk/units/{WUHAI}?as_of=2023-08-31")

    chart = page.locator("svg.chart")

    expect(chart.locator("polyline.series")).to_have_count(4)
    expect(chart.locator("line.legend-sample")).to_have_count(4)
    expect(chart.locator("text.legend")).to_have_text(
        ["欠费（未缓缴）", "缓缴", "已缴（累计）", "滞纳金（累计）"]
    )
    expect(chart.locator("text.axis-title")).to_have_text(["金额（元）", "日期（每月末）"])
    months = chart.locator("text", has_text=re.compile(r"^20\d\d-\d\d$")).all_text_contents()
    assert {m[:4] for m in months} == {"2022", "2023"}


def test_a_case_worker_cannot_reach_another_agencys_unit(page: Page, desk: Desk) -> None:
    sign_in(page, desk, "chifeng")

    page.goto(f"{desk.url}/desk/units?q={WUHAI}")
    expect(page.locator("main")).to_contain_text("共 0 个单位")
    response = page.goto(f"{desk.url}/desk/units/{WUHAI}")

    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("无权操作")
    expect(page.locator("main")).not_to_contain_text("乌海市示例零售有限公司")
    form = page.goto(f"{desk.url}/desk/units/{WUHAI}/payments")
    assert form is not None
    assert form.status == 403


def test_an_inspector_reads_every_agencys_units_and_is_offered_no_forms(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "inspector")

    for uscc in (WUHAI, CHIFENG):
        response = page.goto(f"{desk.url}/desk/units/{uscc}")
        assert response is not None
        assert response.status == 200
        expect(page.locator("nav.actions")).to_have_count(0)
    refused = page.goto(f"{desk.url}/desk/units/{CHIFENG}/payments")

    assert refused is not None
    assert refused.status == 403
    expect(page.locator(".error-page")).to_contain_text("inspector")


def test_a_persons_rights_record_is_found_by_resident_id_sent_in_a_form(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai")

    page.fill("#rid", WUHAI_PERSON)
    page.click("section:has(#rid) button")
    page.fill("#f-as_of", "2022-10-21")
    page.click("form.clocks button")

    assert WUHAI_PERSON not in page.url
    expect(page.locator("#months-table tbody tr").first).to_be_visible()
    expect(page.locator("#months-table")).to_contain_text("提前到期")
    screenshot(page, desk, "rights")


def test_the_deferral_list_is_filtered_by_month_and_downloads_as_csv(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "admin", "/desk/reports/deferral-list")

    page.fill("#r-month", "2022-09")
    page.click("form.filters button")
    expect(page.locator("#report")).to_contain_text(WUHAI)
    screenshot(page, desk, "deferral-list")
    with page.expect_download() as download:
        page.click("a:text('下载 CSV')")

    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("统一社会信用代码")
    assert WUHAI in text


def test_a_case_worker_asking_for_another_agencys_report_is_refused_beside_the_filter(
    page: Page, desk: Desk
) -> None:
    sign_in(page, desk, "wuhai", "/desk/reports/reductions")

    page.fill("#r-agency", "150401")
    page.click("form.filters button")

    expect(page.locator(".field[data-field=agency] .error")).to_contain_text("无权操作")
    expect(page.locator("#report")).to_have_count(0)


def test_an_inspector_starts_a_replay_and_reads_its_charts(page: Page, desk: Desk) -> None:
    sign_in(page, desk, "inspector", "/desk/replays")

    page.select_option("#f-policy_set", "deadline-2022-12-31")
    page.fill("#f-as_of", "2023-08-31")
    page.click("form.command button")
    expect(page.locator("#replay-state")).to_have_text("已完成", timeout=60_000)

    # 21,000.00 repaid on 2023-07-31: 181 more days of late fee = 1,900.50
    late_fee = page.locator("#replay-total tr:has-text('滞纳金') td").nth(3)
    expect(late_fee).to_have_text("1,900.50")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("text.legend")).to_have_text(["现行记录", "回放方案"])
    years = charts.first.locator("text", has_text=re.compile(r"^20\d\d"))
    # waits (the page reloads itself while the job runs): at least two years on the axis
    expect(years.nth(1)).to_be_attached()
    screenshot(page, desk, "replay")


def test_docs_and_redoc_load_everything_from_the_server_and_nothing_from_elsewhere(
    page: Page, desk: Desk
) -> None:
    requested: list[str] = []
    blocked: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: blocked.append(f"{r.url} {r.failure}".lower()))

    page.goto(f"{desk.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("contribution ledger")
    page.goto(f"{desk.url}/redoc")
    expect(page.locator("h1").first).to_contain_text("contribution ledger")
    page.wait_for_load_state("networkidle")

    assert any(url.endswith("/static/docs/redoc.standalone.js") for url in requested)
    # ReDoc's footer asks for its maker's logo on a CDN: the page's policy stops it
    # before it leaves (as the offline intranet would)
    outside = [u for u in requested if not u.startswith((desk.url, "data:", "blob:"))]
    assert all(f"{u} csp" in blocked for u in outside), blocked
