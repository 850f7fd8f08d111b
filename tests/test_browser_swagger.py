"""The example app's Swagger UI in a real headless Chromium, as a person would use it.

The example app runs on a real werkzeug server on a free 127.0.0.1 port with a
tmp SQLite database (as in ``test_example_app.py``). Chromium opens
``/swagger-ui`` (its assets are served by the app itself, from
``swagger-ui-bundle``), authorizes with a demo token, expands
``POST /api/pis/documents``, clicks "Try it out" and "Execute", and the test
reads the live response from the page: status 201 and presigned URLs. Every
request the browser makes is recorded, and any to another host is refused and
fails the test. A screenshot is saved in ``test-artifacts/``.

Needs Debian's ``chromium`` (``.ci/run`` installs it) and Playwright for
Python (the ``browser`` extra); Playwright's own browser download is never
used. Without either, the test is skipped and says why.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        f"Chromium is not installed ({CHROMIUM}); .ci/run installs it", allow_module_level=True
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "Playwright for Python is not installed; the browser extra brings it (make install)",
        allow_module_level=True,
    )

from playwright.sync_api import Page, Request, Route, expect, sync_playwright  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # example_app lives at the top of the repository
    sys.path.insert(0, str(REPO))

from example_server import HOST, Recorder, serve_example_app  # noqa: E402
from example_app.tokens import demo_token  # noqa: E402

DOCUMENTS = "/api/pis/documents"
PERSON_ID = "demo-offline-adult"  # two documents to upload (rule 4)
EXPECTED_DOCUMENTS = ["person.PASSPORT", "person.TAX_ID"]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "swagger-ui-post-documents-201.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000  # a guard against a hung page, not a performance assertion
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root, as on CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Served:
    app: Flask
    base_url: str
    recorder: Recorder


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """create_app on a real threaded werkzeug server on a free port, with a tmp SQLite DB."""
    database_url = f"sqlite:///{tmp_path / 'example.sqlite'}"
    with serve_example_app(database_url, "HTTP_AUTHORIZATION") as (app, base_url, recorder):
        yield Served(app, base_url, recorder)


@dataclass
class Traffic:
    """Every request the page made, and those refused for leaving the app's origin."""

    origin: str
    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin and parts.hostname == HOST

    def on_request(self, request: Request) -> None:
        self.requested.append(request.url)

    def route(self, route: Route) -> None:
        if self.is_local(route.request.url):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort("blockedbyclient")


@pytest.fixture
def chromium_page(served: Served, tmp_path: Path) -> Iterator[tuple[Page, Traffic]]:
    """A page of a fresh headless Chromium profile; all its traffic is watched."""
    traffic = Traffic(origin=served.base_url)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            service_workers="block",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            context.on("request", traffic.on_request)
            context.route("**/*", traffic.route)
            page = context.pages[0] if context.pages else context.new_page()
            yield page, traffic
        finally:
            context.close()


def test_swagger_ui_authorizes_and_executes_post_documents(
    served: Served, chromium_page: tuple[Page, Traffic]
) -> None:
    page, traffic = chromium_page
    with served.app.app_context():
        token = demo_token(PERSON_ID)
    s3_endpoint = served.app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"]

    page.goto(served.base_url + "/swagger-ui", wait_until="load")
    assert traffic.refused == [], "the page asked another host for its assets"
    operation = page.locator(
        f'.opblock-post:has(.opblock-summary-path[data-path="{DOCUMENTS}"])'
    )
    expect(operation).to_be_visible()

    # Authorize with the demo token in the bearer field, then close the dialog.
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("pisDocumentsBearerAuth")
    dialog.get_by_label("auth-bearer-value").fill(token)
    dialog.get_by_role("button", name="Authorize", exact=True).click()
    expect(dialog.get_by_role("heading", name="Authorized", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Logout", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(operation.locator(".authorization__btn.locked")).to_be_visible()

    # Expand the operation, try it out and execute it.
    summary = operation.locator("button.opblock-summary-control")
    summary.click()
    expect(summary).to_have_attribute("aria-expanded", "true")
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute", exact=True).click()

    # The live response, as the page shows it.
    live = operation.locator(".live-responses-table tbody .response")
    expect(live.locator(".response-col_status")).to_have_text("201")
    body_block = live.locator(".response-col_description .microlight").first
    expect(body_block).to_contain_text("X-Amz-Signature")
    body = json.loads(body_block.inner_text())
    assert body["meta"]["code"] == 201 and body["meta"]["type"] == "list"
    assert sorted(item["type"] for item in body["data"]) == EXPECTED_DOCUMENTS
    for item in body["data"]:
        url = item["url"]
        assert url.startswith(f"{s3_endpoint}/persons/{PERSON_ID}/"), url
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Signature"][0]
    expect(operation.locator(".request-url")).to_contain_text(served.base_url + DOCUMENTS)

    # The browser sent the token: the server saw the POST with it.
    assert ("POST", DOCUMENTS, f"Bearer {token}") in served.recorder.seen

    # The screenshot: the page from its top (the locked "Authorize") to the live response.
    page.evaluate("window.scrollTo(0, 0)")
    box = live.bounding_box()
    assert box is not None
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    page.screenshot(
        path=str(SCREENSHOT),
        full_page=True,
        clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": box["y"] + box["height"] + 24},
    )
    data = SCREENSHOT.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000

    # Only the app itself was asked for anything: the UI works offline.
    assert traffic.refused == []
    assert all(traffic.is_local(url) for url in traffic.requested), traffic.requested
    requested_paths = {urlsplit(url).path for url in traffic.requested}
    expected_paths = {"/swagger-ui", "/openapi.json", "/swagger-ui-assets/swagger-ui-bundle.js"}
    assert expected_paths | {DOCUMENTS} <= requested_paths, requested_paths
