"""The shared words in ``core/labels.py`` are translated below every app that shows them.

The member area, the dashboard, mails and notifications all use these labels, so their German
lives in the project's own catalogue (``guestlist/locale``), not in one app's: a page works in
German whichever apps are installed, and ``makemessages`` in an app folder cannot retire them.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from django.utils.functional import Promise

from guestlist.core import labels

PROJECT_CATALOGUE = Path(labels.__file__).resolve().parents[1] / "locale" / "de" / "LC_MESSAGES" / "django.mo"


def shared_words() -> set[str]:
    words: set[str] = set()
    for value in vars(labels).values():
        if isinstance(value, dict):
            # A lazy label keeps its message id until it is turned into text.
            words |= {item._args[0] for item in value.values() if isinstance(item, Promise)}  # type: ignore[attr-defined]  # Django's lazy proxy holds the msgid in _args
    return words


class Missing(gettext.NullTranslations):
    # Asked only for words the catalogue lacks ("Admin" is German too, so the text alone can't tell).
    def gettext(self, message: str) -> str:
        return "\0missing"


def test_every_shared_word_has_german_in_the_projects_own_catalogue() -> None:
    with PROJECT_CATALOGUE.open("rb") as handle:
        german = gettext.GNUTranslations(handle)
    german.add_fallback(Missing())
    untranslated = sorted(word for word in shared_words() if german.gettext(word) == "\0missing")

    # Put each missing one into guestlist/locale/de/LC_MESSAGES/django.po (not an app's catalogue)
    # and compile it with msgfmt.
    assert untranslated == []
    assert len(shared_words()) > 100
