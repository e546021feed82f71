"""Run the simulator: `PlexSimulator` for tests and the demo, `serve()` for the CLI."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from guestlist.plexsim import actions, control, demo
from guestlist.plexsim.core import Fault, SimApp, Simulation
from guestlist.plexsim.state import Account, Library, Play, Server, Share, SimState

logger = logging.getLogger("guestlist.plexsim")

DEFAULT_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("Movies", "movie"),
    ("TV Shows", "show"),
    ("Music", "artist"),
    ("Photos", "photo"),
)


class _QuietHandler(WSGIRequestHandler):
    # werkzeug logs every request line, query string included, and a query can carry a
    # token.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header of every answer, shifted by the simulated clock's offset.
        simulation = getattr(self.server, "simulation", None)
        offset = simulation.state.settings.clock_offset_seconds if simulation is not None else 0.0
        return super().date_time_string((time.time() if timestamp is None else timestamp) + offset)


class PlexSimulator:
    """A fake plex.tv (+ clients.plex.tv) and a fake PMS on two local ports.

    Every helper takes the simulator's lock, so tests may call them while requests are
    in flight. Accounts are referred to by `Account`, username, e-mail or id.
    """

    def __init__(self, state: SimState | None = None) -> None:
        self.sim = Simulation(state or SimState())
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self._more_pms: dict[str, str] = {}

    # Lifecycle

    def start(self, host: str = "127.0.0.1", plex_tv_port: int = 0, pms_port: int = 0) -> PlexSimulator:
        self.sim.stopping.clear()
        with self.sim.lock:
            self.sim.baseline = self.sim.state.copy()
        plex_tv = self._serve(host, plex_tv_port, control.build_plex_tv_app(self.sim))
        pms = self._serve(host, pms_port, control.build_pms_app(self.sim))
        self.sim.plex_tv_url = f"http://{host}:{plex_tv.server_port}"
        self.sim.pms_url = f"http://{host}:{pms.server_port}"
        return self

    def serve_pms(self, server: Server | str, host: str = "127.0.0.1", port: int = 0) -> str:
        """A further fake PMS, playing ``server`` (one plex.tv account may own several): returns
        its URL. The first PMS (``pms_url``) plays ``Settings.pms_machine_identifier`` or the
        first server. Asking again for the same server returns the listener already running."""
        machine = server if isinstance(server, str) else server.machine_identifier
        if machine not in self._more_pms:
            listener = self._serve(host, port, control.build_pms_app(self.sim, machine))
            self._more_pms[machine] = f"http://{host}:{listener.server_port}"
        return self._more_pms[machine]

    def _serve(self, host: str, port: int, app: SimApp) -> BaseWSGIServer:
        server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        server.simulation = self.sim  # type: ignore[attr-defined]  # read by _QuietHandler.date_time_string
        # A short poll interval makes stop() quick, which matters to a test suite.
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"plexsim:{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server

    def stop(self) -> None:
        self.sim.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        self._more_pms.clear()

    def __enter__(self) -> Self:
        if not self._servers:
            self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def plex_tv_url(self) -> str:
        return self.sim.plex_tv_url

    @property
    def pms_url(self) -> str:
        return self.sim.pms_url

    # State

    @property
    def state(self) -> SimState:
        """A snapshot; change the simulator through its helpers or `replace_state`."""
        with self.sim.lock:
            return self.sim.state.copy()

    def replace_state(self, state: SimState) -> None:
        with self.sim.lock:
            self.sim.state = state

    def save(self, path: str | Path) -> None:
        with self.sim.lock:
            self.sim.state.save(path)

    def reset(self) -> None:
        self.sim.reset()

    def configure(self, **settings: Any) -> None:
        """Changes `Settings`, e.g. `configure(pending_visible_after_polls=2,
        legacy_invites="serve")`."""
        with self.sim.lock:
            self.sim.state.settings = dataclasses.replace(self.sim.state.settings, **settings)

    # Accounts and servers

    def add_account(
        self,
        username: str,
        email: str | None = None,
        *,
        plex_pass: bool = False,
        email_verified: bool = True,
        title: str | None = None,
        token: str | None = None,
        thumb: str | None = None,
    ) -> Account:
        with self.sim.lock:
            return self.sim.state.new_account(
                username,
                email or f"{username}@example.com",
                title=title,
                thumb=thumb,
                token=token,
                plex_pass=plex_pass,
                email_verified=email_verified,
            )

    def set_plex_pass(self, ref: Account | str | int, active: bool) -> None:
        """The account's Plex Pass starts or lapses (plex.tv's ``subscription.active``)."""
        with self.sim.lock:
            account = control.find_account(self.sim.state, ref if not isinstance(ref, Account) else ref.id)
            account.plex_pass = active

    def account(self, ref: Account | str | int) -> Account:
        with self.sim.lock:
            return control.find_account(self.sim.state, ref if not isinstance(ref, Account) else ref.id)

    def add_server(
        self,
        owner: Account | str | int,
        name: str = "Plex Media Server",
        *,
        machine_identifier: str | None = None,
        version: str = "1.41.3.9314-a0bfb8370",
        libraries: tuple[tuple[str, str], ...] = DEFAULT_LIBRARIES,
    ) -> Server:
        with self.sim.lock:
            state = self.sim.state
            account = control.find_account(state, owner if not isinstance(owner, Account) else owner.id)
            server_id = state.take_id("server")
            server = Server(
                id=server_id,
                machine_identifier=machine_identifier
                or hashlib.sha1(f"{name}-{server_id}".encode(), usedforsecurity=False).hexdigest(),
                name=name,
                version=version,
                owner_id=account.id,
                libraries=[
                    Library(
                        key=key,
                        global_id=state.take_id("section"),
                        title=title,
                        type=kind,
                    )
                    for key, (title, kind) in enumerate(libraries, start=1)
                ],
            )
            state.servers.append(server)
            return server

    def share(
        self,
        server: Server | str,
        invitee: Account | str,
        *,
        library_keys: tuple[int, ...] = (),
        accepted: bool = False,
        allow_sync: bool = False,
        filter_movies: str = "",
        filter_television: str = "",
    ) -> Share:
        """Creates a share as plex.tv would for the server's owner; `accepted=True` also
        accepts it."""
        with self.sim.lock:
            state = self.sim.state
            target = state.server(server if isinstance(server, str) else server.machine_identifier)
            if target is None:
                raise LookupError(f"No simulated server {server!r}")
            owner = control.find_account(state, target.owner_id)
            ids = [lib.global_id for lib in target.libraries if lib.key in library_keys]
            name = invitee.email if isinstance(invitee, Account) else invitee
            created = actions.create_share(
                state,
                owner,
                target,
                invitee=name,
                library_ids=ids,
                settings=actions.SharingSettings(
                    allow_sync=allow_sync, filter_movies=filter_movies, filter_television=filter_television
                ),
            )
            if accepted and not created.accepted:
                account = state.invitee_of(created)
                if account is None:
                    raise LookupError(f"{name} has no account to accept with")
                created.invited_at -= state.settings.pending_visible_after_seconds
                created.pending_polls = state.settings.pending_visible_after_polls
                actions.accept_share(state, account, created.id)
            return created

    def edit_share(
        self,
        server: Server | str,
        invitee: Account | str | int,
        *,
        library_keys: tuple[int, ...] | None = None,
        **settings: Any,
    ) -> Share:
        """Changes someone's share as the owner would in Plex Web itself: ``library_keys``
        (``()`` for every library) and Plex's own setting names (``allowSync=True``,
        ``filterMovies="contentRating=G"``…)."""
        with self.sim.lock:
            state = self.sim.state
            target = state.server(server if isinstance(server, str) else server.machine_identifier)
            account = control.find_account(state, _ref(invitee))
            if target is None:
                raise LookupError(f"No simulated server {server!r}")
            share = next(
                (s for s in state.shares_on(target.machine_identifier) if state.share_is_for(s, account)), None
            )
            if share is None:
                raise LookupError(f"{account.label()} has no share of {target.name}")
            if library_keys is not None:
                actions.set_libraries(
                    share, target, [lib.global_id for lib in target.libraries if lib.key in library_keys]
                )
            actions.apply_settings(share, actions.settings_from(settings, share))
            return dataclasses.replace(share)

    def confirm_email(self, account: Account | str | int, confirmed: bool = True) -> None:
        """The person followed (or, with False, has yet to follow) plex.tv's confirmation
        mail: plex.tv's user answer says so in ``confirmed``."""
        with self.sim.lock:
            control.find_account(self.sim.state, _ref(account)).email_verified = confirmed

    def set_last_seen(self, account: Account | str | int, when: float | None) -> None:
        with self.sim.lock:
            control.find_account(self.sim.state, _ref(account)).last_seen_at = when

    def add_play(
        self,
        account: Account | str | int,
        title: str = "Big Buck Bunny",
        *,
        at: float | None = None,
        show: str = "",
        kind: str | None = None,
        server: Server | str | None = None,
    ) -> None:
        """Someone played something on a server (the PMS's server by default): a history entry.

        The server's owner plays as PMS account 1, as on a real server.
        """
        with self.sim.lock:
            state = self.sim.state
            person = control.find_account(state, _ref(account))
            target = (
                state.server(server if isinstance(server, str) else server.machine_identifier)
                if server is not None
                else state.pms_server()
            )
            if target is None:
                raise LookupError("No simulated server to play on")
            state.plays.append(
                Play(
                    id=state.take_id("play"),
                    machine_identifier=target.machine_identifier,
                    account_id=1 if person.id == target.owner_id else person.id,
                    viewed_at=time.time() if at is None else at,
                    title=title,
                    type=kind or ("episode" if show else "movie"),
                    grandparent_title=show,
                )
            )

    def clear_history(self) -> None:
        """The server's history is gone (a reinstalled or reset PMS)."""
        with self.sim.lock:
            self.sim.state.plays.clear()

    # PINs

    def approve_pin(self, pin_id: int, account: Account | str | int) -> str:
        """Signs the PIN in as `account`; returns the new token."""
        with self.sim.lock:
            state = self.sim.state
            result = control.approve(state, actions.live_pin(state, pin_id), _ref(account))
            return str(result["authToken"])

    # Faults and observation

    def inject_fault(
        self,
        method: str = "*",
        path: str = "*",
        *,
        status: int | None = None,
        latency_ms: int = 0,
        times: int | None = 1,
        body: str | None = None,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        skip: int = 0,
    ) -> Fault:
        """Makes matching requests (method, fnmatch path glob, optional host) slow
        and/or fail.

        `status=None` injects latency only; `times=None` keeps the fault forever; `skip`
        lets that many matching requests through first.
        """
        return self.sim.add_fault(
            method=method,
            path=path,
            status=status,
            latency_ms=latency_ms,
            times=times,
            body=body,
            host=host,
            headers=headers or {},
            skip=skip,
        )

    def clear_faults(self) -> None:
        with self.sim.lock:
            self.sim.faults.clear()

    def request_log(self) -> list[dict[str, Any]]:
        with self.sim.lock:
            return [dict(entry) for entry in self.sim.requests]

    def clear_request_log(self) -> None:
        with self.sim.lock:
            self.sim.requests.clear()

    def emails(self) -> list[dict[str, Any]]:
        with self.sim.lock:
            return [dataclasses.asdict(e) for e in self.sim.state.outbox]

    def shares_of(self, server: Server | str) -> list[Share]:
        machine = server if isinstance(server, str) else server.machine_identifier
        with self.sim.lock:
            return [dataclasses.replace(s) for s in self.sim.state.shares_on(machine)]

    def friends(self, owner: Account | str | int) -> list[Account]:
        with self.sim.lock:
            state = self.sim.state
            account = control.find_account(state, _ref(owner))
            ids = [f.friend_id for f in state.friendships if f.owner_id == account.id]
            return [a for a in state.accounts if a.id in ids]

    def home_members(self, owner: Account | str | int) -> list[Account]:
        with self.sim.lock:
            state = self.sim.state
            return list(state.home_members(control.find_account(state, _ref(owner)).id))

    def seed_demo(self) -> Account:
        """Adds the demo owner (Plex Pass, token `demo-owner-token`), the "Guestlist Demo"
        server and twelve accounts nobody has invited yet, so every invite flow can be tried
        with them."""
        owner = self.add_account(demo.DEMO_OWNER, "owner@demo.example", plex_pass=True, token=demo.DEMO_OWNER_PLEX_AUTH)
        self.add_server(owner, demo.DEMO_SERVER, machine_identifier=demo.DEMO_MACHINE_IDENTIFIER)
        for username, title in demo.DEMO_PEOPLE:
            self.add_account(username, f"{username}@demo.example", title=title)
        for username, item, show, days_ago in demo.DEMO_PLAYS:
            self.add_play(username, item, show=show, at=time.time() - days_ago * 86400)
        return owner


def _ref(account: Account | str | int) -> str | int:
    return account.id if isinstance(account, Account) else account


def serve(
    host: str = "127.0.0.1",
    port: int = 32500,
    state_file: str | Path | None = None,
    seed_demo: bool = False,
) -> None:
    """Runs plex.tv on `port` and the PMS on `port + 1` until SIGINT/SIGTERM.

    Loads `state_file` when it exists (seeding the demo only when it does not), and
    saves the state back to it on the way out. Call it from the main thread.
    """
    path = Path(state_file) if state_file else None
    state = SimState.load(path) if path and path.exists() else None
    simulator = PlexSimulator(state)
    if state is None and seed_demo:
        simulator.seed_demo()

    finished = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        finished.set()

    # Handlers go in before the ports open, so anyone who can reach the simulator can
    # also stop it cleanly.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        simulator.start(host, port, port + 1)
        print(
            f"Plex simulator: plex.tv at {simulator.plex_tv_url}, PMS at {simulator.pms_url}",
            flush=True,
        )
        if seed_demo:
            print("Demo owner token: demo-owner-token", flush=True)
        while not finished.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        simulator.stop()
        if path is not None:
            simulator.save(path)
            print(f"Saved the simulator's state to {path}", flush=True)
