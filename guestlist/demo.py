"""``guestlist demo``: Guestlist plus the Plex simulator, seeded and connected.

Everything a newcomer needs to try every flow without owning a Plex server: a simulated
plex.tv with a dozen friends, a simulated server with four libraries, an admin account.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from guestlist.django_setup import setup_django
from guestlist.server import prepare, serve, served_base_url

DEMO_ADMIN = "admin"
DEMO_PASSWORD = "guestlist-demo"  # noqa: S105 - printed on purpose; demo data only
PLEX_TV_PORT = 32500


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def plex_ports(host: str) -> tuple[int, int]:
    """The simulator's plex.tv and PMS ports: ``GUESTLIST_DEMO_PLEX_PORT`` (and the next one)
    when set, else 32500/32501 while they are free, else any free ports."""
    wanted = os.environ.get("GUESTLIST_DEMO_PLEX_PORT")
    if wanted:
        port = int(wanted)
        return port, port + 1 if port else 0
    if _can_bind(host, PLEX_TV_PORT) and _can_bind(host, PLEX_TV_PORT + 1):
        return PLEX_TV_PORT, PLEX_TV_PORT + 1
    return 0, 0


def run(*, host: str, port: int) -> int:
    os.environ.setdefault("GUESTLIST_DATA_DIR", "./data-demo")
    data_dir = Path(os.environ["GUESTLIST_DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    state_file = data_dir / "plexsim.json"

    # The simulator is loaded only when the demo runs, never by the plain CLI or ``serve``.
    from guestlist.plexsim import PlexSimulator
    from guestlist.plexsim.demo import DEMO_OWNER_PLEX_AUTH, DEMO_PEOPLE
    from guestlist.plexsim.state import SimState

    simulator = PlexSimulator(SimState.load(state_file) if state_file.exists() else None)
    if not state_file.exists():
        simulator.seed_demo()
    simulator.start(host, *plex_ports(host))
    # Settings read this at import, and the job runner inherits it: every plex.tv call of
    # this install goes to the simulator.
    os.environ["GUESTLIST_PLEX_TV_URL"] = simulator.plex_tv_url
    os.environ.setdefault("GUESTLIST_BASE_URL", served_base_url(host, port))

    setup_django()
    # Model modules load only once Django is set up.
    from django.contrib.auth.models import User

    from guestlist.accounts import services as accounts
    from guestlist.core.audit import Actor
    from guestlist.plex import services as plex
    from guestlist.plex.models import MediaServer

    prepare(announce=lambda _message: None)
    if not User.objects.filter(username=DEMO_ADMIN).exists():
        accounts.create_admin(DEMO_ADMIN, DEMO_PASSWORD, actor=Actor.system("demo"))
    if not MediaServer.objects.exists():
        plex.connect_server(simulator.pms_url, DEMO_OWNER_PLEX_AUTH, actor=Actor.system("demo"))
    else:
        # The simulated server may listen on another port than last time.
        MediaServer.objects.update(base_url=simulator.pms_url)
    friends = ", ".join(name for name, _title in DEMO_PEOPLE)
    print(
        "\nGuestlist demo\n"
        f"  Dashboard:  http://{host}:{port}/  (user {DEMO_ADMIN!r}, password {DEMO_PASSWORD!r})\n"
        f"  Plex:       simulated at {simulator.plex_tv_url} (server 'Guestlist Demo', libraries Movies,\n"
        "              TV Shows, Music, Photos)\n"
        "  Try it:     create an invite, open its link in a private window, click 'Sign in with Plex'\n"
        f"              and pick a simulated friend ({friends}).\n"
        "  Members:    give that friend 'Create Invites' on their member page, then sign in at /login\n"
        "              with Plex as them to see their own page, /me/.\n"
        f"  Data:       {data_dir} (delete it to start over)\n",
        flush=True,
    )
    try:
        return serve(host=host, port=port, prepared=True)
    finally:
        simulator.stop()
        simulator.save(state_file)
