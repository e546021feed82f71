from __future__ import annotations

from guestlist.core.markdown import render_markdown


def test_it_renders_the_owners_markdown() -> None:
    html = render_markdown("## Welcome\n\nGet the app at [plex.tv](https://www.plex.tv/apps/).")
    assert "<h2>Welcome</h2>" in html
    assert 'href="https://www.plex.tv/apps/"' in html


def test_it_strips_scripts_handlers_and_javascript_links() -> None:
    html = render_markdown('<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))')
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
