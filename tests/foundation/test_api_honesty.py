"""What the schema fuzzer found (issue 12, part 2): bounds, unknown paths, editable codes,
details on every 422 and an OpenAPI schema that says what the API answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite

HUGE = "9223372036854775807"
HUGER = "99999999999999999999"


# -- 2.1: numbers out of range are refused, never a 500 ------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/invites/?page={HUGE}",
        f"/api/users/?page={HUGE}",
        f"/api/users/?invite_id={HUGER}",
        f"/api/invites/?page_size={HUGER}",
    ],
)
def test_the_api_refuses_numbers_beyond_its_ranges(api: Client, server: MediaServer, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert response.json()["details"]


@pytest.mark.parametrize("path", [f"/api/invites/{HUGER}", f"/api/users/{HUGER}", f"/api/invites/{HUGER}/qr"])
def test_the_api_answers_ids_beyond_64_bits_as_not_found_or_invalid(
    api: Client, server: MediaServer, path: str
) -> None:
    response = api.get(path)
    assert response.status_code in (404, 422)
    assert response.json()["error"] in ("not_found", "invalid")


@pytest.mark.parametrize(
    "path",
    [
        f"/invites?page={HUGE}",
        f"/users?page={HUGE}",
        f"/settings/audit?page={HUGE}",
        f"/invites/export.csv?ids={HUGER},1",
    ],
)
def test_the_dashboard_never_fails_on_huge_numbers(owner_client: Client, server: MediaServer, path: str) -> None:
    response = owner_client.get(path)
    assert response.status_code < 500


# -- 2.2: unknown API paths are 404 whatever the method -------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unknown_api_path_is_404_for_every_method(csrf_client: Client, method: str) -> None:
    response = getattr(csrf_client, method)("/api/no/such/thing", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_known_path_still_needs_the_csrf_token(csrf_client: Client, server: MediaServer) -> None:
    response = csrf_client.post("/api/invites/", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


# -- 2.3: every creatable field changes, the code too ---------------------------------------


def test_an_invite_s_code_can_be_changed(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    other = make_invite(api, code="TAKEN123")

    changed = api.patch(f"/api/invites/{invite['id']}", {"code": "summer-party"}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["code"] == "SUMMER-PARTY"

    taken = api.patch(f"/api/invites/{invite['id']}", {"code": "taken123"}, content_type="application/json")
    assert taken.status_code == 409
    assert taken.json()["error"] == "code_taken"

    same = api.patch(f"/api/invites/{other['id']}", {"code": "taken123"}, content_type="application/json")
    assert same.status_code == 200, "its own code, in any case, is no conflict"


def test_a_bad_new_code_is_invalid(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = api.patch(f"/api/invites/{invite['id']}", {"code": "no spaces!"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["details"]


# -- 2.4: every 422 says which field --------------------------------------------------------


def test_email_and_pin_together_is_invalid_with_details(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    body = {"code": invite["code"], "email": "guest@example.com", "pin_id": "abc"}
    response = client.post("/api/invites/redeem", body, content_type="application/json")
    assert response.status_code == 422
    assert {detail["field"] for detail in response.json()["details"]} == {"email", "pin_id"}


def test_every_422_carries_details(api: Client, server: MediaServer) -> None:
    response = api.post("/api/invites/", {"usage_limit": 0}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["details"]


# -- 2.5: the schema documents errors, enums and ranges --------------------------------------


def openapi(client: Client) -> dict[str, Any]:
    return dict(client.get("/api/openapi.json").json())


def test_every_operation_documents_its_error_answers(client: Client, db: None) -> None:
    schema = openapi(client)
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if path.startswith("/api/me") or operation.get("security"):
                assert "401" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for code, answer in responses.items():
                if code.startswith(("4", "5")):
                    body = answer["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
    redeem = schema["paths"]["/api/invites/redeem"]["post"]["responses"]
    assert {"409", "410", "422", "429", "502", "503"} <= set(redeem)


def test_the_schema_states_enums_and_ranges(client: Client, db: None) -> None:
    schema = openapi(client)
    text = str(schema)
    components = schema["components"]["schemas"]
    create = components["InviteCreateIn"]["properties"]
    usage = next(option for option in create["usage_limit"]["anyOf"] if option.get("type") == "integer")
    assert usage["minimum"] == 1 and usage["maximum"] == 100
    assert "manage_users" in str(components["PermissionsIn"])
    assert "approve" in str(components["TrialActionIn"])
    parameters = {p["name"]: p for p in schema["paths"]["/api/invites/"]["get"]["parameters"]}
    assert "used_up" in str(parameters["status"]["schema"])
    assert parameters["page"]["schema"]["minimum"] == 1
    assert "svg" in str(schema["paths"]["/api/invites/{invite_id}/qr"]["get"]["parameters"])
    assert "pending" in str(components["MemberOut"]["properties"]["status"])
    assert "'maximum'" in text


def test_the_api_docs_cannot_be_framed(owner_client: Client) -> None:
    response = owner_client.get("/api/docs")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
