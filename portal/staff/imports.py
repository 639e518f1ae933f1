"""Upload a 公共施設一覧 CSV, preview every problem and kind, then import (all, or only the good rows)."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Template

from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.roles import EDITORS
from core.settings import Settings
from core.users import Actor
from portal.web.guards import requires
from portal.web.templating import page
from venues import services
from venues.facility_kinds import EXCLUDED
from venues.facility_list import VENUE_KINDS, ParseResult, parse_facility_list

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
"""An upload neither imported nor discarded within a day is abandoned; it is deleted when the next one is saved."""
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def upload_dir(var_dir: Path) -> Path:
    """``uploads/`` under ``var_dir`` (the setting OUTREACH_VAR_DIR), where uploads await their import."""
    path = var_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def delete_stale_uploads(var_dir: Path, now: float | None = None) -> None:
    """Delete the uploads (file and its metadata) older than UPLOAD_MAX_AGE_SECONDS."""
    cutoff = (time.time() if now is None else now) - UPLOAD_MAX_AGE_SECONDS
    for path in upload_dir(var_dir).iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # deleted meanwhile by another request
            continue


def save_upload(var_dir: Path, content: bytes, filename: str, actor: Actor) -> str:
    """Keep an uploaded file until it is imported or discarded; returns its token.  Abandoned uploads go."""
    delete_stale_uploads(var_dir)
    token = secrets.token_urlsafe(24)
    (upload_dir(var_dir) / f"{token}.csv").write_bytes(content)
    (upload_dir(var_dir) / f"{token}.json").write_text(json.dumps({"filename": filename, "uploaded_by": actor.id}))
    return token


def load_upload(var_dir: Path, token: str, actor: Actor) -> tuple[bytes, str]:
    """The bytes and file name of an upload made by this actor."""
    if not _TOKEN.match(token):
        raise NotFoundException()
    meta_path, data_path = upload_dir(var_dir) / f"{token}.json", upload_dir(var_dir) / f"{token}.csv"
    if not meta_path.exists() or not data_path.exists():
        raise NotFoundException()
    meta = json.loads(meta_path.read_text())
    if meta.get("uploaded_by") != actor.id:
        raise NotFoundException()
    return data_path.read_bytes(), meta.get("filename", "")


def discard_upload(var_dir: Path, token: str) -> None:
    """Delete an upload once it has been imported."""
    for suffix in (".csv", ".json"):
        (upload_dir(var_dir) / f"{token}{suffix}").unlink(missing_ok=True)


def kind_overrides(form: Any, parsed: ParseResult) -> dict[int, str]:
    """The kinds chosen in the preview (``kind_<row>`` fields) that differ from what the file itself says."""
    file_kinds = {record.row_number: record.kind for record in parsed.records}
    overrides: dict[int, str] = {}
    for key in form:
        if key.startswith("kind_") and key[5:].isascii() and key[5:].isdecimal():
            row, value = int(key[5:]), form.get(key)
            if value in (*VENUE_KINDS, EXCLUDED) and value != file_kinds.get(row, EXCLUDED):
                overrides[row] = value
    return overrides


async def preview_context(result: ParseResult) -> dict[str, Any]:
    """What the preview shows: counts of new, updated and unchanged venues and every problem."""
    planned = await services.planned_import(result)
    return {
        "result": result,
        "new_count": sum(1 for changes in planned.values() if changes is None),
        "update_count": sum(1 for changes in planned.values() if changes),
        "unchanged_count": sum(1 for changes in planned.values() if changes == {}),
        "planned": planned,
        "error_rows": len({p.row_number for p in result.errors}),
        "kinds": VENUE_KINDS,
        "excluded": EXCLUDED,
    }


class ImportController(Controller):
    """The upload-with-preview import; only roles that may edit venues."""

    path = "/venues/import"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    @get("/", name="venue_import")
    async def form(self, request: Request) -> Template:
        return page(request, "staff/venues/import.html", error=None)

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES + 65536)
    async def upload(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        upload = data.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        if not content:
            return page(request, "staff/venues/import.html", status_code=422, error=_("Choose a CSV file to upload."))
        token = save_upload(settings.var_dir, content, upload.filename or "", actor)
        result = parse_facility_list(content, reference_points=await services.registry_points())
        return page(
            request,
            "staff/venues/preview.html",
            token=token,
            filename=upload.filename or "",
            **await preview_context(result),
        )

    @post("/{token:str}")
    async def confirm(
        self,
        request: Request,
        token: FromPath[str],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
    ) -> Template:
        form = await request.form()
        content, filename = load_upload(settings.var_dir, token, actor)
        known_points = await services.registry_points()
        as_uploaded = parse_facility_list(content, reference_points=known_points)
        result = parse_facility_list(
            content, kind_overrides=kind_overrides(form, as_uploaded), reference_points=known_points
        )
        if form.get("action") != "import":
            return page(
                request, "staff/venues/preview.html", token=token, filename=filename, **await preview_context(result)
            )
        try:
            outcome = await services.import_facility_list(
                actor, result, accept_partial=form.get("accept_partial") == "on", source_name=filename
            )
        except ValidationFailed as exc:
            return page(
                request,
                "staff/venues/preview.html",
                status_code=422,
                token=token,
                filename=filename,
                message=exc.message,
                **await preview_context(result),
            )
        discard_upload(settings.var_dir, token)
        return page(request, "staff/venues/imported.html", outcome=outcome, filename=filename)
