"""Invite requests (issue 22): a stranger asks on /request, the owner approves or declines.

Mail goes through a real SMTP server (aiosmtpd, ``smtp``), queued by the request and sent by
the job runner's ``deliveries`` job (``send_due``), as in production.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.invite_requests.models import InviteRequest, RequestSettings
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.notifications.models import Delivery, Event
from guestlist.plex.models import MediaServer
from tests.notifications.conftest import MailBox, add_destination, send_due, use_smtp

STATUS_LINK = re.compile(r"https?://[^\s\"<]+/request/status/[A-Za-z0-9_:.\-]+")


def open_requests(questions: list[str] | None = None) -> None:
    RequestSettings(enabled=True, questions=questions or []).save()


def ask(client: Client, **fields: str) -> Any:
    data = {"name": "Rosa Stranger", "email": "rosa@example.com", "message": "Friend of Tom's.", **fields}
    return client.post("/request", data, follow=True)  # Post/Redirect/Get: the "received" page comes after a 303


def status_link(response: Any) -> str:
    found = STATUS_LINK.search(response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(0)


def body(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    return str(text.get_content())


def test_the_request_page_is_closed_until_the_owner_opens_it(client: Client, owner: User) -> None:
    assert client.get("/request").status_code == 404
    assert ask(client).status_code == 404
    assert InviteRequest.objects.count() == 0
    assert "/request" not in client.get("/join").content.decode()

    open_requests()
    page = client.get("/request")
    assert page.status_code == 200
    assert 'name="website"' in page.content.decode(), "the honeypot is on the form"
    assert 'href="/request"' in client.get("/join").content.decode()


def test_a_stranger_asks_and_the_owner_approves_with_a_template_and_mail(
    client: Client, owner_client: Client, api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    open_requests(["Who told you about this server?"])
    template = InviteTemplate.objects.create(name="Friends", usage_limit=None, allow_sync=True)

    answered = ask(client, answer_0="Tom")
    assert answered.status_code == 200
    link = status_link(answered)
    asked = InviteRequest.objects.get()
    assert asked.answers == [{"question": "Who told you about this server?", "answer": "Tom"}]
    assert asked.email == "rosa@example.com" and asked.status == "pending"
    assert "Waiting for the owner" in client.get(link).content.decode()

    send_due()
    confirmation = smtp.only()
    assert confirmation["To"] == "rosa@example.com"
    # The mail's link is signed when the mail is written, so its timestamp may differ from
    # the page's by a second: it is the same request's status page all the same.
    mailed_link = STATUS_LINK.search(body(confirmation))
    assert mailed_link is not None
    assert "Waiting for the owner" in client.get(mailed_link.group(0)).content.decode()
    assert "Rosa" not in body(confirmation), "nothing the requester typed goes to the claimed address"

    page = owner_client.get(f"/requests/{asked.pk}")
    assert page.status_code == 200 and "Tom" in page.content.decode()
    done = owner_client.post(f"/requests/{asked.pk}/approve", {"template": str(template.pk), "send_mail": "on"})
    assert done.status_code == 302

    asked.refresh_from_db()
    assert asked.invite is not None
    invite = asked.invite
    assert asked.status == "approved" and asked.mailed
    assert invite.usage_limit == 1, "one person asked: the invite admits one, whatever the template says"
    assert invite.allow_sync, "the template's settings"
    send_due()
    approval = smtp.messages[-1]
    assert approval["To"] == "rosa@example.com"
    assert f"/invite/{invite.code}" in body(approval)

    status_page = client.get(link).content.decode()
    assert f"/invite/{invite.code}" in status_page
    assert AuditEvent.objects.filter(action="invite_request.approve", object_id=str(asked.pk)).exists()
    assert AuditEvent.objects.filter(action="invite_request.create", object_id=str(asked.pk)).exists()


def test_without_mail_the_owner_copies_the_link(client: Client, owner_client: Client, server: MediaServer) -> None:
    open_requests()
    ask(client)
    asked = InviteRequest.objects.get()
    owner_client.post(f"/requests/{asked.pk}/approve", {"template": ""})
    asked.refresh_from_db()
    assert asked.status == "approved" and not asked.mailed
    page = owner_client.get(f"/requests/{asked.pk}").content.decode()
    assert f"/invite/{asked.invite.code}" in page and "data-copy" in page  # type: ignore[union-attr]
    assert not Delivery.objects.exclude(mail_kind="").exists()


def test_a_declined_requester_reads_the_message_on_the_status_page_and_in_a_mail(
    client: Client, owner_client: Client, api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    open_requests()
    link = status_link(ask(client))
    asked = InviteRequest.objects.get()
    owner_client.post(f"/requests/{asked.pk}/decline", {"message": "The server is full, sorry.", "send_mail": "on"})
    asked.refresh_from_db()
    assert asked.status == "declined" and asked.invite_id is None
    page = client.get(link).content.decode()
    assert "declined" in page and "The server is full, sorry." in page
    send_due()
    assert "The server is full, sorry." in body(smtp.messages[-1])
    assert Invite.objects.count() == 0


def test_a_request_is_answered_once(client: Client, api: Client, server: MediaServer) -> None:
    open_requests()
    ask(client)
    asked = InviteRequest.objects.get()
    first = api.post(f"/api/requests/{asked.pk}/approve", data={}, content_type="application/json")
    assert first.status_code == 200, first.content
    again = api.post(f"/api/requests/{asked.pk}/decline", data={}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"] == "request_decided"
    twice = api.post(f"/api/requests/{asked.pk}/approve", data={}, content_type="application/json")
    assert twice.status_code == 409
    assert Invite.objects.count() == 1


def test_the_honeypot_and_the_rate_limits_answer_like_success_and_record_nothing(
    client: Client, owner: User, settings: Any, frozen_minute: None
) -> None:
    settings.RATE_LIMITS_ENABLED = True
    open_requests()
    caught = ask(client, website="http://spam.example")
    assert caught.status_code == 200
    assert "Request received" in caught.content.decode()
    assert InviteRequest.objects.count() == 0
    assert client.get(status_link(caught)).status_code == 404, "the decoy's link leads nowhere"

    for number in range(3):
        assert ask(client, name=f"Try {number}").status_code == 200
    assert InviteRequest.objects.count() == 3
    limited = ask(client, name="Fourth with the same address")
    assert limited.status_code == 200 and "Request received" in limited.content.decode()
    assert InviteRequest.objects.count() == 3, "per e-mail address: 3 an hour"

    ask(client, email="other@example.com")
    assert InviteRequest.objects.count() == 4
    ask(client, email="third@example.com")
    assert InviteRequest.objects.count() == 4, "per client address: 5 an hour (the honeypot's counted too)"


def test_reloading_the_received_page_sends_nothing_again(client: Client, owner: User) -> None:
    open_requests()
    posted = client.post("/request", {"name": "Rosa", "email": "rosa@example.com"})
    assert posted.status_code == 303 and posted["Location"].startswith("/request/received?link=")
    first = client.get(posted["Location"])
    again = client.get(posted["Location"])  # a reload
    assert status_link(first) == status_link(again)
    assert InviteRequest.objects.count() == 1
    decoy = client.post("/request", {"name": "Bot", "email": "bot@example.com", "website": "x"})
    assert decoy.status_code == 303 and decoy["Location"].startswith("/request/received?link=")
    assert client.get("/request/received?link=forged")["Location"] == "/request"


def test_bad_input_is_shown_with_the_typed_values_and_saves_nothing(client: Client, owner: User) -> None:
    open_requests(["Why?"])
    response = ask(client, email="not an address", answer_0="")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Rosa Stranger" in page
    assert page.count('class="field-error"') == 2
    assert InviteRequest.objects.count() == 0


def test_a_refused_request_starts_with_an_error_summary(client: Client, owner: User) -> None:
    open_requests()
    page = client.post("/request", {"name": "", "email": "not an address"})
    assert page.status_code == 422
    summary = page.content.decode().split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert 'href="#id_name"' in summary and 'href="#id_email"' in summary


def test_the_form_needs_a_csrf_token(owner: User) -> None:
    open_requests()
    client = Client(enforce_csrf_checks=True)
    assert ask(client).status_code == 403
    assert InviteRequest.objects.count() == 0


def test_one_confirmation_mail_per_address_a_day(
    client: Client, api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    open_requests()
    ask(client)
    ask(client, name="Someone else, same address")
    assert InviteRequest.objects.count() == 2
    send_due()
    assert len(smtp.messages) == 1


def test_the_status_link_is_signed(client: Client, owner: User) -> None:
    open_requests()
    link = status_link(ask(client))
    assert client.get(link).status_code == 200
    assert client.get(link[:-2] + "xx").status_code == 404
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/request/status/{InviteRequest.objects.get().uid}").status_code == 404
    assert client.get(f"/request/status/{token}").headers["Referrer-Policy"] == "no-referrer"


def test_new_requests_and_decisions_reach_destinations(
    client: Client, api: Client, server: MediaServer, receiver: Any
) -> None:
    add_destination(api, kind="webhook", url=receiver.url())
    open_requests()
    ask(client)
    asked = InviteRequest.objects.get()
    api.post(f"/api/requests/{asked.pk}/decline", data={"message": "no"}, content_type="application/json")
    types = list(Event.objects.order_by("id").values_list("type", flat=True))
    assert types == ["invite_request.created", "invite_request.declined"]
    send_due()
    payloads = [item.json() for item in receiver.requests]
    assert [payload["type"] for payload in payloads] == ["invite_request.created", "invite_request.declined"]
    created = payloads[0]["data"]
    assert created["request"]["email"] == "rosa@example.com"
    assert created["url"].endswith(f"/requests/{asked.pk}")
    assert "client_ip" not in created["request"] and "uid" not in created["request"]


@pytest.mark.parametrize("language", ["de"])
def test_the_pages_speak_german(client: Client, owner: User, language: str) -> None:
    open_requests()
    page = client.get("/request", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "Um eine Einladung bitten" in page
    done = client.post(
        "/request", {"name": "Rosa", "email": "rosa@example.com"}, HTTP_ACCEPT_LANGUAGE=language, follow=True
    ).content.decode()
    assert "Anfrage erhalten" in done
    assert InviteRequest.objects.get().language == "de"


def test_a_german_requester_gets_german_mails(
    client: Client, owner_client: Client, api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    open_requests()
    client.post("/request", {"name": "Rosa", "email": "rosa@example.com"}, HTTP_ACCEPT_LANGUAGE="de")
    asked = InviteRequest.objects.get()
    owner_client.post(f"/requests/{asked.pk}/decline", {"message": "Leider voll.", "send_mail": "on"})
    send_due()
    confirmation, declined = smtp.messages
    assert confirmation["Subject"] == "Deine Anfrage für eine Einladung zu Guestlist Test"
    assert "Sieh nach, wie es um deine Anfrage steht" in body(confirmation)
    assert "wurde abgelehnt" in body(declined) and "Leider voll." in body(declined)
