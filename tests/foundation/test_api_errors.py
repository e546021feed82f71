from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/nothing", "/api/invites/99999/nothing", "/api/"])
def test_unknown_api_paths_are_json_404_signed_in_or_not(client: Client, api_key: str, path: str) -> None:
    for headers in ({}, {"HTTP_X_API_KEY": api_key}):
        response = client.get(path, **headers)  # type: ignore[arg-type]
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert response.json()["message"]


def test_a_wrong_method_is_json_405(api: Client) -> None:
    response = api.put("/api/invites/stats")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_malformed_json_is_422_invalid(api: Client, server: object) -> None:
    response = api.post("/api/invites/", data="{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_validation_errors_carry_details(api: Client, server: object) -> None:
    response = api.post("/api/invites/", data={"usage_limit": "lots"}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["details"][0]["field"] == "usage_limit"


@pytest.mark.django_db
def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/invites/" in schema.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
def test_healthz_checks_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
