"""The Plex work the domain causes: the outbox of owed Plex changes and what finished work means.

It sits above the Plex link (``guestlist.plex``, which only talks to Plex and stores what Plex
has) and beside invites and members, whose rows the effects of finished work change.
"""
