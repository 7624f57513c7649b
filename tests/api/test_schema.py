"""Schemathesis against ``/openapi.json``: requests generated from the schema, on every route,
as a logged-in clinician, never get a server error (5xx)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from clinsearch.server import create_app
from tests.api.test_api import client, data  # noqa: F401 (the module's warehouse fixture)


def test_no_route_answers_a_server_error(data):  # noqa: F811
    logged_in = client(data, "clara")
    cookies, csrf = dict(logged_in.cookies), logged_in.headers["X-CSRF-Token"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(data))
    failures, tried = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/logout":
            continue  # would end the session the other calls use

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(cookies=cookies, headers={"X-CSRF-Token": csrf})
            tried.append((operation.path, response.status_code))
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code}")

        call()
    assert failures == []
    assert len({path for path, _ in tried}) >= 9
    assert {status for path, status in tried if path == "/api/v1/search"} >= {200, 400}  # logged in, and bad queries refused cleanly
