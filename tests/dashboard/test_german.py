"""English and German: every string the dashboard renders has a German translation."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join, make_invite

PACKAGE = Path(__file__).resolve().parents[2] / "guestlist"
CATALOGUES = [
    PACKAGE / "locale/de/LC_MESSAGES/django.po",
    PACKAGE / "accounts/locale/de/LC_MESSAGES/django.po",
    PACKAGE / "dashboard/locale/de/LC_MESSAGES/django.po",
    PACKAGE / "invites/locale/de/LC_MESSAGES/django.po",
    PACKAGE / "members/locale/de/LC_MESSAGES/django.po",
    PACKAGE / "invite_requests/locale/de/LC_MESSAGES/django.po",
]
ENTRY = re.compile(r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?((?:msgstr(?:\[\d\])? (?:".*"\n)+)+)', re.M)


def entries(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for match in ENTRY.finditer(path.read_text(encoding="utf-8")):
        msgid = "".join(eval(line) for line in match.group(1).splitlines())  # noqa: S307 - PO string literals
        strings = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', match.group(2))
        found.append((msgid, ["".join(eval(line) for line in s.splitlines()) for s in strings]))  # noqa: S307
    return found


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_message_is_translated_and_compiled(catalogue: Path) -> None:
    text = catalogue.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    messages = [(msgid, strings) for msgid, strings in entries(catalogue) if msgid]
    assert messages
    untranslated = [msgid for msgid, strings in messages if not all(strings)]
    assert untranslated == []
    with catalogue.with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [msgid for msgid, strings in messages if translations.gettext(msgid) != strings[0]]
    assert stale == [], "run msgfmt again"


@pytest.mark.django_db
def test_the_dashboard_speaks_german_when_the_browser_asks_for_it(
    sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=3)
    member = join(sim, invite, "guest")
    client = Client(headers={"Accept-Language": "de-DE,de;q=0.9"})
    client.force_login(owner)

    overview = client.get("/").content.decode()
    assert '<html lang="de">' in overview
    assert "Übersicht" in overview and "Einladung erstellen" in overview and "Aktive Mitglieder" in overview
    invites = client.get("/invites").content.decode()
    assert "Eingelöst" in invites and "Link kopieren" in invites
    details = client.get(f"/invites/{invite.pk}").content.decode()
    assert "1 von 3" in details and "Einlöseverlauf" in details
    members = client.get("/users").content.decode()
    assert "Läuft in 7 Tagen ab" in members
    assert "Zugang entziehen" in client.get(f"/users/{member.pk}").content.decode()
    assert "Plex-Verbindung" in client.get("/settings").content.decode()


@pytest.mark.django_db
def test_the_language_can_be_switched_from_the_footer(owner: User) -> None:
    client = Client()
    client.force_login(owner)

    response = client.post("/i18n/setlang/", {"language": "de", "next": "/settings/admins"})

    assert response["Location"] == "/settings/admins"
    assert "Admin hinzufügen" in client.get("/settings/admins").content.decode()


@pytest.mark.django_db
def test_german_words_that_read_right(sim: PlexSimulator, server: MediaServer, owner: User) -> None:
    invite = make_invite(owner, usage_limit=3, user_expires_in_days=30)
    member = join(sim, invite, "guest")
    client = Client(headers={"Accept-Language": "de-DE,de;q=0.9"})
    client.force_login(owner)

    member_page = client.get(f"/users/{member.pk}").content.decode()
    # Clearing an expiry and taking access away do not share a verb.
    assert ">Kein Ablaufdatum</button>" in member_page and ">Zugang entziehen</button>" in member_page
    assert ">Entfernen</button>" not in member_page
    assert "gerade eben" in client.get("/").content.decode()
    public = Client(headers={"Accept-Language": "de-DE,de;q=0.9"}).get(f"/invite/{invite.code}").content.decode()
    assert "Bibliotheken" in public and "Mediatheken" not in public
    assert "1 Monat" in public


def test_how_long_ago_reads_as_german_says_it() -> None:
    from datetime import timedelta

    from django.utils import timezone, translation

    from guestlist.core.templatetags.durations import ago

    with translation.override("de"):
        assert ago(timezone.now() - timedelta(minutes=6, seconds=5)) == "vor 6 Minuten"
        assert ago(timezone.now() - timedelta(days=2, hours=1)) == "vor 2 Tagen"
    with translation.override("en"):
        assert ago(timezone.now() - timedelta(minutes=1, seconds=1)) == "1 minute ago"
