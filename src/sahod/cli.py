"""`sahod serve | worker | migrate | tenants create | tenants add-member | keys rotate |
sandbox-portals | demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Coroutine, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from sahod.config import Settings, get_settings
from sahod.db import describe_url, resolve_database_url, session_scope
from sahod.files.store import FileStoreConfigurationError
from sahod.keys.keyring import SealingKeyError
from sahod.kit import collector
from sahod.portal_routing.targets import PortalConfigurationError
from sahod.tenants.schemas import IssuedKeys, TenantMode

if TYPE_CHECKING:
    from sahod.portal.schemas import IssuedMember
    from sahod.runtime import Runtime

T = TypeVar("T")

log = logging.getLogger("sahod")


def _configure_logging(settings: Settings) -> None:
    from sahod.kit.logs import configure_logging

    configure_logging(settings.log_level, json_lines=settings.log_format == "json")


def _allows_local_receivers(settings: Settings) -> bool:
    """The embedded defaults (no database configured) let sandbox webhooks reach loopback,
    unless the operator chose the sandbox networks themselves."""
    return (
        settings.database_url is None
        and "webhook_sandbox_allowed_networks" not in settings.model_fields_set
    )


def _banner(
    settings: Settings,
    keys: IssuedKeys | None,
    database: str,
    member: tuple[str, str] | None = None,
    metrics_url: str | None = None,
) -> str:
    base = settings.resolved_public_url()
    lines = [
        "",
        f"  Sahod is running at {base}",
        f"  API docs:        {base}/v1/docs",
        f"  Portal:          {base}/portal/",
        f"  Database:        {database}",
    ]
    if metrics_url is not None:
        lines.append(f"  Metrics:         {metrics_url}")
    if keys is not None:
        lines += [
            "",
            "  Sandbox tenant (kept across restarts):",
            f"    API key:     {keys.api_key}",
            f"    API secret:  {keys.api_secret}",
        ]
        if member is not None:
            lines += [
                f"    Portal sign-in: {member[0]} / {member[1]}",
            ]
        lines += [
            "",
            "  Try it:",
            f"    curl -u {keys.api_key}:{keys.api_secret} {base}/v1/providers",
            f"    curl -u {keys.api_key}:{keys.api_secret} -X POST {base}/v1/users",
            "",
            "  New here? `make demo` (or `sahod demo`) runs this server with a sample tenant",
            "  site that embeds the widget: connect a sandbox account and watch the webhooks.",
        ]
    return "\n".join(lines) + "\n"


def _graceful_server(config: object) -> object:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """Shuts down on SIGINT/SIGTERM and returns, rather than re-raising the signal as
        uvicorn does, so our own cleanup (worker, pools, embedded PostgreSQL) runs and the
        process exits 0."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            else:
                self.should_exit = True

    assert isinstance(config, uvicorn.Config)
    return GracefulServer(config)


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    from sahod.kit.http_server import server_limits

    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        # uvicorn's records go through our JSON handler (sahod.kit.logs), not its own
        # formatters; its access lines are replaced by ours, which carry the request id
        # and never a query string.
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "proxy_headers": False,
        # Longer than clients keep idle connections (httpx 5 s, browsers ~15 s): a busy
        # server closing a kept-alive connection just as a request arrives on it would
        # fail that request.
        "timeout_keep_alive": 30,
        # Bounded request heads: size, and the time a client may take to send one.
        **server_limits(),
    }


async def _bootstrap_sandbox(
    settings: Settings, database_url: str
) -> tuple[IssuedKeys, tuple[str, str]]:
    """The sandbox tenant's keys and its portal member's e-mail and password."""
    from sahod.portal.bootstrap import ensure_sandbox_member
    from sahod.runtime import open_runtime
    from sahod.tenants.bootstrap import ensure_sandbox_tenant

    async with (
        open_runtime(settings, database_url=database_url, run_migrations=False) as runtime,
        session_scope(runtime.session_factory) as session,
    ):
        keys = await ensure_sandbox_tenant(session, settings.data_dir, runtime.clock)
        member = await ensure_sandbox_member(
            session, settings.data_dir, keys.tenant_id, runtime.clock
        )
        return keys, member


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop (a dependency, through uvicorn[standard]): its event loop and
    transports cost a fraction of the standard loop's per request, per query and per portal
    page, in the long-running processes (the API and the job worker)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _serve_api(settings: Settings) -> None:
    import uvicorn

    from sahod.app import create_app

    config = uvicorn.Config(
        create_app(settings, run_migrations=False), **_uvicorn_options(settings)
    )
    server = _graceful_server(config)
    assert isinstance(server, uvicorn.Server)
    await server.serve()


def _serve(settings: Settings) -> None:
    """The parent process: database, schema, sandbox tenant, banner; then the job worker as
    a supervised child process and the API in this process (or N uvicorn worker
    processes), so queued work never competes with requests for one event loop."""
    from sahod import migrate
    from sahod.files.store import check_file_store
    from sahod.keys.keyring import load_sealer
    from sahod.metrics.server import MetricsServer, prepare_process_metrics, start_metrics_server
    from sahod.portal_routing.targets import check_portal_urls
    from sahod.supervisor import ChildProcess, child_environment

    # Settings a server must not start with are refused here, once, before any process or
    # the embedded database starts (main prints why, without a traceback).
    load_sealer(settings)
    check_portal_urls(settings)
    check_file_store(settings)
    database_url, embedded = resolve_database_url(settings)
    worker: ChildProcess | None = None
    portals: ChildProcess | None = None
    portals_socket: socket.socket | None = None
    metrics: MetricsServer | None = None
    # Before anything imports prometheus_client: every process started from here on
    # counts into the directory this one serves from.
    metrics_dir = prepare_process_metrics() if settings.metrics_port is not None else None
    try:
        migrate.upgrade(database_url)
        if metrics_dir is not None:
            metrics = start_metrics_server(settings, database_url, metrics_dir)
        keys, member = (
            asyncio.run(_bootstrap_sandbox(settings, database_url)) if embedded else (None, None)
        )
        # What every child process needs to agree with this one: the resolved database
        # (the embedded server's URL included), the data dir (the sealing key) and where the
        # portals are (this server's own sandbox portals by default).
        shared = {
            "SAHOD_DATABASE_URL": database_url,
            "SAHOD_DATA_DIR": str(settings.data_dir.resolve()),
            "SAHOD_PORTAL_BASE_URL": settings.resolved_portal_base_url(),
            "SAHOD_PUBLIC_URL": settings.resolved_public_url(),
            "SAHOD_HOST": settings.host,
            "SAHOD_PORT": str(settings.port),
            "SAHOD_PARENT_PID": str(os.getpid()),
            # The embedded default's loopback allowance (see main) holds in every process.
            "SAHOD_WEBHOOK_SANDBOX_ALLOWED_NETWORKS": json.dumps(
                settings.webhook_sandbox_allowed_networks
            ),
        }
        if embedded is not None:
            shared["SAHOD_EMBEDDED_DATABASE"] = "true"
        if settings.run_worker:
            worker = ChildProcess.sahod(
                "job worker",
                ["worker"],
                child_environment(shared),
                niceness=settings.worker_niceness,
            )
            worker.start()
        if settings.api_workers > 1 and settings.mounts_sandbox_portals():
            # A portal's sessions, faults and counters live in one process's memory: with
            # several API processes the portals run once, in a process of their own, and
            # each API process's /sandbox/portals forwards to it (sahod.sandbox.proxy).
            portals_socket = socket.create_server(("127.0.0.1", 0), backlog=1024)
            upstream = f"http://127.0.0.1:{portals_socket.getsockname()[1]}"
            portals_env = dict(shared)
            if settings.sandbox_operator_token:
                portals_env["SAHOD_SANDBOX_OPERATOR_TOKEN"] = settings.sandbox_operator_token
            portals = ChildProcess.sahod(
                "sandbox portals",
                [
                    "sandbox-portals",
                    "--fd",
                    str(portals_socket.fileno()),
                    "--mount-path",
                    "/sandbox/portals",
                    "--operator-token-only",
                ],
                child_environment(portals_env),
                pass_fds=[portals_socket.fileno()],
            )
            portals.start()
            shared["SAHOD_SANDBOX_PORTALS_UPSTREAM"] = upstream
        api_settings = settings.model_copy(
            update={
                "database_url": database_url,
                "run_worker": False,
                "embedded_database": embedded is not None,
            }
        )
        banner = _banner(
            settings,
            keys,
            describe_url(database_url),
            member,
            metrics.url if metrics else None,
        )
        print(banner, flush=True)
        if settings.api_workers > 1:
            import uvicorn

            # The children build the app from the environment (`create_app_for_process`).
            os.environ.update({**shared, "SAHOD_RUN_WORKER": "false"})
            uvicorn.run(
                "sahod.app:create_app_for_process",
                factory=True,
                workers=settings.api_workers,
                **_uvicorn_options(settings),
            )
        else:
            _run_loop(_serve_api(api_settings))
    finally:
        if worker is not None:
            worker.stop()
        if portals is not None:
            portals.stop()
        if portals_socket is not None:
            portals_socket.close()
        if metrics is not None:
            metrics.stop()
        elif metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if embedded is not None:
            embedded.handle.cleanup()


@contextlib.asynccontextmanager
async def _runtime_once_database_answers(
    settings: Settings, stop: asyncio.Event
) -> AsyncIterator[Runtime | None]:
    """The runtime, once the database can be reached (None if stopped first); a
    configuration error (bad URL, wrong password, no such database) raises."""
    from sahod.kit.backoff import Backoff
    from sahod.kit.outage import is_database_unavailable
    from sahod.runtime import open_runtime

    backoff = Backoff(
        first=settings.worker_restart_first_seconds, cap=settings.worker_restart_max_seconds
    )
    async with contextlib.AsyncExitStack() as stack:
        while not stop.is_set():
            try:
                runtime = await stack.enter_async_context(open_runtime(settings))
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                wait = backoff.next_wait()
                log.warning("database unavailable (%s); trying again in %.1f s", error, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                continue
            yield runtime
            return
        yield None


async def _exit_with_parent(parent_pid: int, stop: asyncio.Event) -> None:
    # A child of `sahod serve` whose parent was killed outright must not live on alone.
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.warning("the `sahod serve` that started this worker is gone; stopping")
            stop.set()
            return
        await asyncio.sleep(1)


async def _worker(settings: Settings, concurrency: int) -> None:
    """Runs until SIGTERM/SIGINT (exit 0) through any database outage; exits 2 only when
    the configuration is wrong."""
    from sahod.metrics.server import MetricsServer, prepare_process_metrics, start_metrics_server
    from sahod.supervisor import run_supervised_worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    parent = os.environ.get("SAHOD_PARENT_PID")
    watchdog = asyncio.create_task(_exit_with_parent(int(parent), stop)) if parent else None
    # A worker `sahod serve` started counts into its parent's metrics; one run alone
    # serves its own.
    metrics_dir = (
        prepare_process_metrics() if settings.metrics_port is not None and not parent else None
    )
    metrics: MetricsServer | None = None
    try:
        async with _runtime_once_database_answers(settings, stop) as runtime:
            if runtime is None:
                return
            collector.settle_after_start_up()
            if metrics_dir is not None:
                metrics = start_metrics_server(settings, runtime.database_url, metrics_dir)
            log.info(
                "worker running (concurrency %d) on %s",
                concurrency,
                describe_url(runtime.database_url),
            )
            await run_supervised_worker(runtime, concurrency, stop)
    except Exception:
        log.exception("the worker cannot run: check SAHOD_DATABASE_URL and the settings")
        raise SystemExit(2) from None
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if metrics is not None:
            metrics.stop()


def _migrate(settings: Settings) -> None:
    from sahod import migrate

    url, _embedded = resolve_database_url(settings)
    migrate.upgrade(url)
    print(f"migrated {describe_url(url)}")


async def _create_tenant(
    settings: Settings, name: str, mode: TenantMode, *, cds_enabled: bool = True
) -> IssuedKeys:
    from sahod.runtime import open_runtime
    from sahod.tenants.service import create_tenant

    async with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as s:
        return await create_tenant(s, name, mode, runtime.clock.now(), cds_enabled=cds_enabled)


async def _add_member(
    settings: Settings, tenant_id: str, email: str, role: str, password: str | None
) -> IssuedMember:
    from sahod.errors import InvalidParameters
    from sahod.portal.service import create_member, role_of
    from sahod.runtime import open_runtime
    from sahod.tenants.repository import tenant_id_taken

    async with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as s:
        if not await tenant_id_taken(s, tenant_id):
            raise SystemExit(f"sahod: there is no tenant {tenant_id}")
        try:
            return await create_member(
                s, tenant_id, email, role_of(role), runtime.clock.now(), password
            )
        except InvalidParameters as invalid:
            raise SystemExit(f"sahod: {invalid.message}") from None


async def _rotate_keys(settings: Settings, batch_size: int) -> None:
    from sahod.keys.rotate import remaining_under_old_keys, rotate
    from sahod.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        report = await rotate(runtime.session_factory, runtime.sealer, batch_size=batch_size)
        left = await remaining_under_old_keys(runtime.session_factory, runtime.sealer)
    for name, count in report.resealed.items():
        print(f"  {name}: {count} re-sealed")
    for name, rows in report.unreadable.items():
        print(f"  {name}: {len(rows)} open under no key of the ring, e.g. {rows[0]}")
    print(f"re-sealed {report.total} values under key {report.current_key_id}; {left} left")
    if left:
        raise SystemExit(
            "some values are not under the current key yet (written by a process without "
            "the new keyring, or sealed under a key missing from it): keep the old keys"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sahod", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (and, by default, the worker)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-worker", action="store_true", help="serve the API only")
    serve.add_argument(
        "--workers", type=int, default=None, help="API processes (the job worker has its own)"
    )

    worker = commands.add_parser("worker", help="run the job worker alone")
    worker.add_argument("--concurrency", type=int, default=None)

    commands.add_parser("migrate", help="bring the database to the newest schema")

    portals = commands.add_parser(
        "sandbox-portals", help="run the four sandbox member portals alone"
    )
    portals.add_argument("--host", default="127.0.0.1")
    portals.add_argument("--port", type=int, default=8100)
    # How `sahod serve --workers N` runs its one portals process (see _serve).
    portals.add_argument(
        "--fd", type=int, default=None, help="serve on this inherited listening socket"
    )
    portals.add_argument("--mount-path", default="", help="serve the portals below this prefix")
    portals.add_argument(
        "--operator-token-only",
        action="store_true",
        help="serve /_faults, /_reset and /_stats only to `Authorization: Bearer "
        "$SAHOD_SANDBOX_OPERATOR_TOKEN`, as the API server's mount does",
    )

    demo = commands.add_parser(
        "demo", help="run Sahod and a sample tenant site that embeds the widget (start here)"
    )
    demo.add_argument("--host", default=None)
    demo.add_argument("--port", type=int, default=None, help="Sahod's port (8000)")
    demo.add_argument("--site-port", type=int, default=8001, help="the sample site's port")

    tenants = commands.add_parser("tenants", help="manage tenants")
    tenant_commands = tenants.add_subparsers(dest="tenant_command", required=True)
    create = tenant_commands.add_parser("create", help="create a tenant and its API key")
    create.add_argument("name")
    create.add_argument("--mode", choices=["sandbox", "production"], default="sandbox")
    create.add_argument("--json", action="store_true", help="print the keys as JSON")
    create.add_argument(
        "--no-cds",
        action="store_true",
        help="without Continuous Data Sync: no monthly syncs, and each account's data is "
        "revoked SAHOD_DATA_RETENTION_DAYS (60) after it connected",
    )

    add_member = tenant_commands.add_parser(
        "add-member", help="let a person sign in to the developer portal for a tenant"
    )
    add_member.add_argument("tenant", help="the tenant's id")
    add_member.add_argument("email")
    add_member.add_argument("--role", choices=["owner", "developer", "viewer"], default="viewer")
    add_member.add_argument(
        "--password",
        action="store_true",
        help="ask for the password (typed, not echoed) instead of generating one",
    )

    # Sealing-key rotation; the logic is in sahod.keys.rotate.
    keys = commands.add_parser("keys", help="manage the sealing keys")
    key_commands = keys.add_subparsers(dest="key_command", required=True)
    rotate = key_commands.add_parser(
        "rotate",
        help="re-seal every stored secret under SAHOD_SEALING_KEY_ID (old keys stay "
        "readable in SAHOD_SEALING_KEYS until this has finished)",
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    overrides: dict[str, object] = {}
    if args.command in ("serve", "demo"):
        if args.host:
            overrides["host"] = args.host
        if args.port:
            overrides["port"] = args.port
        if getattr(args, "no_worker", False):
            overrides["run_worker"] = False
        if getattr(args, "workers", None):
            overrides["api_workers"] = args.workers
    if args.command == "demo" and "log_level" not in get_settings().model_fields_set:
        # The demo's instructions must stay in view: the worker's INFO lines would bury them.
        overrides["log_level"] = "WARNING"
    # --- webhook egress on a developer's machine (issue 12) ---
    loopback_note = None
    if args.command in ("serve", "demo") and _allows_local_receivers(get_settings()):
        from sahod.webhooks.guard import LOOPBACK_NETWORKS

        overrides["webhook_sandbox_allowed_networks"] = list(LOOPBACK_NETWORKS)
        loopback_note = (
            "  Note: sandbox tenants' webhooks may reach loopback (127.0.0.0/8, ::1) on this "
            "embedded server, for the local demo receiver. A server with SAHOD_DATABASE_URL "
            "set does not allow it unless SAHOD_WEBHOOK_SANDBOX_ALLOWED_NETWORKS says so."
        )
    # --- end webhook egress ---
    settings = get_settings().model_copy(update=overrides)
    _configure_logging(settings)
    if loopback_note is not None:
        print(loopback_note, flush=True)
    try:
        _run(args, settings)
    except (SealingKeyError, PortalConfigurationError, FileStoreConfigurationError) as error:
        # Settings a server must not start with (issue 12): say why, without a traceback.
        raise SystemExit(f"sahod: {error}") from None


def _run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "serve":
        _serve(settings)
    elif args.command == "demo":
        from sahod.demo.run import run_demo

        asyncio.run(run_demo(settings, args.site_port))
    elif args.command == "worker":
        _run_loop(_worker(settings, args.concurrency or settings.worker_concurrency))
    elif args.command == "migrate":
        _migrate(settings)
    elif args.command == "sandbox-portals" and args.fd is not None:
        from sahod.providers.sandbox import serve_inherited_socket
        from sahod.sandbox.portals.common import OperatorAccess

        parent = os.environ.get("SAHOD_PARENT_PID")
        serve_inherited_socket(
            args.fd,
            mount_path=args.mount_path,
            operator=OperatorAccess(
                open=not args.operator_token_only, token=settings.sandbox_operator_token
            ),
            parent_pid=int(parent) if parent else None,
        )
    elif args.command == "sandbox-portals":
        from sahod.providers.sandbox import serve

        print(
            f"sandbox portals at http://{args.host}:{args.port}/ (one-time code 1234)", flush=True
        )
        serve(args.host, args.port)
    elif args.command == "keys":
        asyncio.run(_rotate_keys(settings, args.batch_size))
    elif args.command == "tenants" and args.tenant_command == "add-member":
        password = None
        if args.password:
            import getpass

            password = getpass.getpass(f"password for {args.email}: ")
        issued = asyncio.run(_add_member(settings, args.tenant, args.email, args.role, password))
        print(
            f"member {issued.email} ({issued.role.value}) of tenant {issued.tenant_id}\n"
            f"  Sign in at {settings.resolved_public_url()}/portal/"
            + ("" if password else f"\n  Password: {issued.password}\n  Shown only this once.")
        )
    elif args.command == "tenants":
        keys = asyncio.run(
            _create_tenant(
                settings, args.name, TenantMode(args.mode.upper()), cds_enabled=not args.no_cds
            )
        )
        if args.json:
            print(json.dumps(keys.as_json()))
        else:
            print(
                f"tenant {keys.tenant_id} ({keys.mode.value.lower()})\n"
                f"  API key:    {keys.api_key}\n  API secret: {keys.api_secret}\n"
                "  The secret is shown only this once."
            )


if __name__ == "__main__":
    main()
