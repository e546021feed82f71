"""A bare Django project: the yardstick every web benchmark measures next to Guestlist.

Its views do what a plain Django app does for a page of the same size: one ORM query on
SQLite, a template from the cached loader, Django's default middleware (as `startproject`
writes it), served by granian with the same settings as `guestlist serve`. Guestlist's
numbers are reported as a percentage of these, measured in the same run, so they mean the
same on a faster or a slower machine.
"""
