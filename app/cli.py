"""The `privacy-api` command: serve, migrate, token, dispatch, purge, openapi."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.core.config import ConfigurationError, get_settings
from app.core.security import SCOPES, TENANT_PATTERN


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()  # refuse to start on bad settings before forking workers
    settings.hmac_secret()  # in development: generate the token secret once, before them
    created = _metrics_directory() if args.workers > 1 else None
    try:
        _run(uvicorn, args)
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
    return 0


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multiprocess mode


def _metrics_directory() -> Path | None:
    """Set up the directory the workers share their metrics through (before they
    start: prometheus-client reads it when first imported), emptied of a previous run's
    files, whose counts would otherwise be added in. Returns it if it was created here
    (removed again when the service stops)."""
    given = os.environ.get(METRICS_DIR_ENV)
    if given:
        directory, created = Path(given), None
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        directory = created = Path(tempfile.mkdtemp(prefix="privacy-metrics-"))
    os.environ[METRICS_DIR_ENV] = str(directory)
    return created


def _run(uvicorn: Any, args: argparse.Namespace) -> None:
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        # httptools, with a request head bounded to 64 KiB (`app.core.http`): a client
        # sending 10 MB of headers gets 431 once 64 KiB are read, not 10 MB buffered.
        # Within it, an Authorization header over 8 KiB is answered 431 by the app.
        http="app.core.http:BoundedHttpToolsProtocol",
        ws="none",  # no WebSocket endpoint: the protocol is neither loaded nor offered
    )


def _migrate(args: argparse.Namespace) -> int:
    from app.core.migrations import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        db_path = settings.database_url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from app.core.security import mint_token

    settings = get_settings()
    if not args.scope:
        print(
            "a token without --scope can do nothing (every call answers 403); "
            f"give one or more of: {' '.join(SCOPES)}",
            file=sys.stderr,
        )
        return 2
    unknown = [s for s in args.scope if s not in SCOPES]
    if unknown:
        print(f"unknown scope(s): {' '.join(unknown)}; known: {' '.join(SCOPES)}", file=sys.stderr)
        return 2
    if not TENANT_PATTERN.fullmatch(args.tenant):
        print(
            "--tenant must be 1-64 letters, digits or . _ : - (starting with a letter or digit)",
            file=sys.stderr,
        )
        return 2
    token = mint_token(
        settings,
        tenant=args.tenant,
        sub=args.sub,
        scopes=args.scope,
        ttl=timedelta(minutes=args.ttl_minutes),
    )
    print(token)
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    from app.core.db import create_db_engine
    from app.notifications.dispatcher import dispatch_once

    settings = get_settings()
    engine = create_db_engine(settings.database_url, lock_timeout=settings.db_lock_timeout_seconds)
    try:
        report = dispatch_once(engine, settings, batch=args.batch)
    finally:
        engine.dispose()
    print(
        f"webhooks: {report.delivered} delivered, {report.retrying} to retry, "
        f"{report.failed} failed"
    )
    return 0


def _purge(args: argparse.Namespace) -> int:
    import uuid

    from app.console.sessions import purge_expired
    from app.core.clock import utcnow
    from app.core.db import create_db_engine
    from app.erasure.service import purge_once

    settings = get_settings()
    engine = create_db_engine(settings.database_url, lock_timeout=settings.db_lock_timeout_seconds)
    if args.dry_run:
        try:
            return _purge_preview(engine, tenants=args.tenant, batch=args.batch)
        finally:
            engine.dispose()
    run_id = f"purge-{uuid.uuid4()}"
    try:
        now = utcnow()
        report = purge_once(engine, now=now, batch=args.batch, run_id=run_id, tenants=args.tenant)
        # Console sessions past their idle timeout or lifetime (no tenant's data).
        sessions_ended = 0 if args.tenant else purge_expired(engine, now=now, settings=settings)
    finally:
        engine.dispose()
    print(
        f"purge {run_id}: examined {report.examined} records, purged {report.purged}, "
        f"still held {report.still_held}, held past a maximum {report.held_past_maximum}, "
        f"subjects touched {len(report.subjects)}, "
        f"rights requests deleted {sum(len(ids) for ids in report.rights_requests.values())}, "
        f"console sessions ended {sessions_ended}"
    )
    for (tenant, category, reason, rule), group in sorted(
        report.groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or "")
    ):
        print(f"  {tenant} {category} {reason} {rule or '-'}: {len(group.record_ids)}")
    for tenant, ids in sorted(report.rights_requests.items()):
        print(f"  {tenant} rights requests past retention: {len(ids)}")
    return 0


def _purge_preview(engine: Any, *, tenants: list[str] | None, batch: int) -> int:
    """What the purge would delete now, per tenant (ids and counts, no personal data)."""
    from app.core.clock import utcnow
    from app.core.db import system_session
    from app.erasure.service import preview, preview_report

    now = utcnow()
    with system_session(engine) as session:
        report = preview(session, now=now, tenants=tenants, batch=batch)
    by_tenant = sorted(
        {group.tenant_id for group in report.groups.values()} | set(report.rights_requests)
    )
    document = {
        "dry_run": True,
        "as_of": now.isoformat().replace("+00:00", "Z"),
        "records": report.purged,
        "held_past_maximum": report.held_past_maximum,
        "rights_requests": sum(len(ids) for ids in report.rights_requests.values()),
        "tenants": {
            tenant: preview_report(report, now=now, limit=50, tenant_id=tenant).model_dump(
                mode="json", exclude={"as_of", "held_past_maximum"}
            )
            for tenant in by_tenant
        },
    }
    print(json.dumps(document, indent=2))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from app.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(document)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(document, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _bounded_int(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
    return value


def _port(text: str) -> int:
    return _bounded_int(text, 1, 65535)


def _positive(text: str) -> int:
    return _bounded_int(text, 1, 1_000_000)


def _ttl_minutes(text: str) -> int:
    return _bounded_int(text, 1, 30 * 24 * 60)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="privacy-api", description="Privacy Rights API")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service (uvicorn)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes (default: %(default)s); with more than one, /metrics adds up "
        "every worker's (prometheus-client multiprocess mode, through PROMETHEUS_MULTIPROC_DIR "
        "or a temporary directory)",
    )
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema (Alembic)")
    migrate.add_argument(
        "--revision", default="head", help="Alembic revision to upgrade to (default: %(default)s)"
    )
    migrate.set_defaults(func=_migrate)

    token = commands.add_parser(
        "token",
        help="mint a development token (HS256 secret)",
        description="Print a bearer token signed with the HS256 secret: PRIVACY_JWT_SECRET, "
        "or in development the one generated in ./data/jwt-secret, which `serve` uses too.",
    )
    token.add_argument("--tenant", required=True, help="the tenant (controller) the token acts for")
    token.add_argument("--sub", required=True, help="the actor: calling system or user")
    token.add_argument(
        "--scope",
        nargs="+",
        default=[],
        metavar="SCOPE",
        help=f"one or more of: {' '.join(SCOPES)} (required: without, every call answers 403)",
    )
    token.add_argument(
        "--ttl-minutes",
        type=_ttl_minutes,
        default=60,
        help="lifetime in minutes, 1 to 43200 (default: %(default)s)",
    )
    token.set_defaults(func=_token)

    dispatch = commands.add_parser("dispatch", help="send due webhook deliveries once")
    dispatch.add_argument(
        "--batch",
        type=_positive,
        default=100,
        help="most deliveries to send in this pass (default: %(default)s)",
    )
    dispatch.set_defaults(func=_dispatch)

    purge = commands.add_parser(
        "purge",
        help="delete records past a maximum retention, kept records of erased subjects "
        "whose holds have ended (holds always win), and completed rights requests past "
        "the tenant's retention of them",
    )
    purge.add_argument(
        "--batch",
        type=_positive,
        default=5000,
        help="records per transaction (default: %(default)s)",
    )
    purge.add_argument(
        "--tenant",
        action="append",
        help="purge only this tenant's data (repeatable); default: every tenant's",
    )
    purge.add_argument(
        "--dry-run",
        action="store_true",
        help="print what the purge would delete and why (JSON, ids only); change nothing",
    )
    purge.set_defaults(func=_purge)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument(
        "--output",
        default="openapi/openapi.json",
        help="a path, or - for stdout (default: %(default)s)",
    )
    openapi.set_defaults(func=_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
