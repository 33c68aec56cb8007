"""``childdesk-district``'s data commands (sync/district_cli.py): import a USB folder, export
responses and the district identity, stats, a record's history, publish a definition, reindex."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from storage.atomic_file import write_atomic
from sync.errors import SyncError, TooLargeError
from sync.keys import read_keystore
from sync.server.cli_base import (
    MAX_DEFINITION_BYTES,
    CliError,
    Context,
    _read_passphrase,
    log,
)


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def cmd_import(ctx: Context) -> int:
    """Every enrollment and batch file in a folder, each on its own: a bad file is reported
    with its reason and the files after it still go in; exit 1 if any was refused."""
    folder = Path(ctx.args.dir)
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder")
    district = ctx.district(with_keys=True)
    refused = 0
    files = sorted(folder.glob("*.cdenroll")) + sorted(folder.glob("*.cdbatch"))
    if not files:
        print(f"no batch or enrollment files in {folder}")
    for path in files:
        try:
            _import_file(district, folder, path)
        except SyncError as err:
            refused += 1
            print(f"{path.name}: refused: {err.message}")
        except OSError as err:
            refused += 1
            print(f"{path.name}: cannot be read ({err.strerror or type(err).__name__})")
        except Exception as err:  # noqa: BLE001 - one damaged file must not stop the stick
            refused += 1
            log.error("import of a file failed: %s", type(err).__name__)
            print(f"{path.name}: refused: the file could not be processed ({type(err).__name__})")
        sys.stdout.flush()
    if refused:
        print(f"{refused} of {len(files)} files were not imported; the others were")
    return 1 if refused else 0


def _import_file(district: Any, folder: Path, path: Path) -> None:
    from sync.documents import read_enrollment_request

    limit = (
        district.limits.max_enroll_bytes
        if path.suffix == ".cdenroll"
        else district.limits.max_batch_bytes
    )
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(f"the file is larger than {limit} bytes")
    if path.suffix == ".cdenroll":
        answer = district.enroll(data, source="usb")
        device_id = read_enrollment_request(data).device_id
        _write_if_changed(folder / f"{device_id}.cdenrolled", answer)
        print(f"{path.name}: device {device_id} enrolled")
    else:
        result = district.ingest(data, via="usb")
        batch_id = json.loads(result.receipt.split(b"\n", 1)[0])["batch_id"]
        _write_if_changed(folder / f"{batch_id}.cdreceipt", result.receipt)
        what = "already imported" if result.replay else "imported"
        print(f"{path.name}: {what}: {result.accepted} accepted, {result.rejected} rejected")


def cmd_export_responses(ctx: Context) -> int:
    folder = Path(ctx.args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    district = ctx.district(with_keys=True)
    devices = district.devices()
    if ctx.args.device:
        devices = [d for d in devices if d["device_id"] in ctx.args.device]
    with district.engine.connect() as conn:
        from sqlalchemy import select

        from sync.server import db

        cursors = dict(
            conn.execute(select(db.devices.c.device_id, db.devices.c.reported_cursor)).all()
        )
    for d in devices:
        data = district.changes(d["device_id"], cursors.get(d["device_id"], ""), with_receipts=True)
        write_atomic(folder / f"{d['device_id']}.cdresponse", data)
        print(f"{d['device_id']}.cdresponse written")
    if not devices:
        print("no devices enrolled")
    return 0


def cmd_export_identity(ctx: Context) -> int:
    keys = read_keystore(ctx.keystore, _read_passphrase(ctx.args))
    out = Path(ctx.args.out)
    if out.exists():
        raise CliError(f"{out} exists; choose another file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    public = keys.public.age_recipient
    text = f"# childdesk district identity\n# public key: {public}\n{keys.identity.secret_text()}\n"
    write_atomic(out, text.encode())
    out.chmod(0o600)
    print(f"age identity written to {out}; keep it as safe as the passphrase")
    return 0


def cmd_stats(ctx: Context) -> int:
    stats = ctx.district(with_keys=False).stats()
    if ctx.args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=1, sort_keys=True))
        return 0
    for village, figures in stats["villages"].items():
        levels = ", ".join(f"{k} {v}" for k, v in sorted(figures["children_by_level"].items()))
        print(
            f"{village or '(unknown village)'}: {figures['children']} children ({levels}), "
            f"{figures['visits']} visits, {figures['assessments']} assessments"
        )
    for d in stats["devices"]:
        print(f"device {d['device_id']}: last contact {d['last_contact'] or 'never'}")
    return 0


def cmd_history(ctx: Context) -> int:
    district = ctx.district(with_keys=False)
    history = district.history(ctx.args.record)
    if not history:
        raise CliError(f"no record {ctx.args.record} at the district")
    print(
        json.dumps(
            {"revisions": history, "conflicts": district.conflicts(ctx.args.record)},
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0


def cmd_publish(ctx: Context) -> int:
    """Check a questionnaire definition or schedule rules with the same checks laptops run
    (app.services.definitions), then publish it; every device installs it on its next sync."""
    from app.services.definitions import (
        QUESTIONNAIRE,
        SCHEDULE_NAME,
        PublishedDefinitionError,
        parse_published,
    )
    from sync.wire import canonical_json, sha256_hex

    path = Path(ctx.args.file)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_DEFINITION_BYTES + 1)
    except OSError:
        raise CliError(f"{path} is not a readable JSON file") from None
    if len(raw) > MAX_DEFINITION_BYTES:
        raise CliError(
            f"{path} is larger than {MAX_DEFINITION_BYTES // (1024 * 1024)} MiB; "
            "it is not a questionnaire or schedule file"
        )
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise CliError(f"{path} is not a readable JSON file") from None
    if not isinstance(body, dict):
        raise CliError(f"{path} does not hold a JSON object")
    if ctx.args.version is not None:
        body["version"] = ctx.args.version  # published as this version, body and all
    kind = ctx.args.kind
    version = str(body.get("version", ""))
    name = str(body.get("id", "")) if kind == QUESTIONNAIRE else SCHEDULE_NAME
    try:
        parse_published(kind, name, version, body)
    except PublishedDefinitionError as err:
        raise CliError(f"not published: {err}") from None
    district = ctx.district(with_keys=False)
    from sqlalchemy import select

    from sync.server import db

    digest = sha256_hex(canonical_json(body))
    with district.engine.connect() as conn:
        earlier = {
            row.sha256
            for row in conn.execute(
                select(db.published.c.sha256).where(
                    db.published.c.kind == kind,
                    db.published.c.name == name,
                    db.published.c.version == version,
                )
            )
        }
    if digest in earlier:
        print(f"{kind} {name} version {version} is already published; nothing changed")
        return 0
    if earlier:
        # Assessments name the version they were made with: one version, one content.
        raise CliError(
            f"{kind} {name} version {version} was published before with other content; "
            "publish the change under a new version (--version)"
        )
    district.publish(kind, name, version, body)  # schedule rules: the due dates rebuilt too
    print(f"published {kind} {name} version {version}; devices install it on their next sync")
    return 0


def _reindex(district: Any) -> int:
    from sync.server import db
    from sync.server.console import query_tables

    with db.write_transaction(district.engine) as conn:
        return query_tables.rebuild(conn)


def cmd_reindex(ctx: Context) -> int:
    """Rebuild the console's query tables from the merged records."""
    started = time.monotonic()
    children = _reindex(ctx.district(with_keys=False))
    print(f"reindexed {children} children in {time.monotonic() - started:.1f} s")
    return 0
