from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from guestlist.plex.models import MediaServer


@pytest.mark.django_db(transaction=True)
def test_the_plex_token_is_not_readable_in_the_database() -> None:
    token = "plex-admin-token-that-must-stay-secret"
    server = MediaServer(name="Home", base_url="http://10.0.0.2:32400", machine_identifier="m1")
    server.admin_token = token
    server.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT admin_token_encrypted FROM plex_mediaserver")
        stored = cursor.fetchone()[0]
    assert token not in stored
    assert MediaServer.objects.get().admin_token == token
    if connection.vendor == "sqlite":
        connection.close()
        database_file = Path(connection.settings_dict["NAME"])
        raw = b"".join(p.read_bytes() for p in database_file.parent.glob(database_file.name + "*"))
        assert token.encode() not in raw
