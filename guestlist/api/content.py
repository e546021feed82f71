"""What content limits can name on a server: its libraries' labels and ratings (contract.md
"Content limits")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from guestlist.api.auth import admin_auth
from guestlist.api.schemas import Answer, ObjectId
from guestlist.invites.services import pick_server
from guestlist.plex import content_options
from guestlist.plex.content_limits import KINDS

router = Router(tags=["content limits"], auth=admin_auth)


class KindOptionsOut(Answer):
    labels: list[str]
    ratings: list[str]


class ContentOptionsOut(Answer):
    server_id: int
    movies: KindOptionsOut
    television: KindOptionsOut
    music: KindOptionsOut
    error: str | None


class OptionsQuery(Schema):
    server_id: ObjectId | None = None


@router.get("/", response=ContentOptionsOut, summary="The labels and content ratings a server's libraries use")
def content_options_of(request: HttpRequest, query: Query[OptionsQuery]) -> dict[str, Any]:
    server = pick_server(query.server_id)
    options = content_options.read(server)
    return {
        "server_id": server.pk,
        **{
            name: {"labels": list(options.kind(name).labels), "ratings": list(options.kind(name).ratings)}
            for name in KINDS
        },
        "error": options.error or None,
    }
