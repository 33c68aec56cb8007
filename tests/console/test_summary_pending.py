"""年度汇总 of a scope too big to count while the page waits (issue 16): a real
``childdesk-district serve`` told to count every scope off the request
(CHILDDESK_SUMMARY_INLINE_CHILDREN=-1) answers 计算中… at once with a Refresh header, then, once
the count is done, the figures — and the PDF of a period not counted yet answers 计算中… too,
then the PDF."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sync.server.console.routes_overview import today as china_today
from tests.console.conftest import _district_folder
from tests.console.site import Site, running_site

TODAY = china_today()  # the district's day (UTC+8), as the page's


@pytest.fixture(scope="module")
def off_request_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(
        _district_folder(tmp_path_factory),
        fast_password_hash=False,
        env={"CHILDDESK_SUMMARY_INLINE_CHILDREN": "-1"},
    ) as site:
        yield site


def _until_ready(client: httpx.Client, path: str, params: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        answer = client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        if "计算中" not in answer.text:
            return answer
        assert answer.headers.get("refresh") == "3"
        assert time.monotonic() < deadline, "the summary was never counted"
        time.sleep(0.2)


def test_the_page_says_counting_then_shows_the_figures(off_request_site: Site) -> None:
    site = off_request_site
    client = site.sign_in(site.add("区民政局-后台汇总", "district"))
    first = client.get("/console/summary")
    assert first.status_code == 200
    assert "计算中" in first.text and first.headers.get("refresh") == "3", first.text[:400]
    ready = _until_ready(client, "/console/summary", {})
    assert 'id="figures"' in ready.text and "在册儿童" in ready.text
    # the same period again: from the cache, no 计算中
    assert "计算中" not in client.get("/console/summary").text
    # the PDF of another period: counted off the request too
    params = {"start": f"{TODAY.year}-01-01", "end": f"{TODAY.year}-01-31"}
    pending = client.get("/console/summary.pdf", params=params)
    assert pending.status_code == 200 and "计算中" in pending.text
    pdf = _until_ready(client, "/console/summary.pdf", params)
    assert pdf.content.startswith(b"%PDF")
    client.close()
