"""Guestlist's link to Plex.

`guestlist.plex.gateway` is the only module that talks to plex.tv or a Plex Media Server
(the invitee's side is in `guestlist.plex.invitee`). Nothing is imported here, so
loading this package as a Django app does not import plexapi.
"""
