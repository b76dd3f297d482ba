"""``lifeline status export``: the static copy of a tenant's status page, by hand.

The worker writes it after every notice when ``web.static_dir`` is set; this writes the same
files anywhere, e.g. to upload them to a bucket or a second host in a crisis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lifeline.cli.common import err, friendly, tenant_settings
from lifeline.core.errors import LifelineError
from lifeline.db import connect
from lifeline.notices import NoticeStore
from lifeline.pages import export_status

app = typer.Typer(help="The public status page.", no_args_is_help=True)


@app.command("export")
@friendly
def export(
    tenant: Annotated[str, typer.Option(help="Tenant id whose page to write.")],
    folder: Annotated[Path, typer.Argument(help="Folder for <tenant>/index.html and the rest.")],
) -> None:
    """Write the status page (each language) and the Atom feeds as static files."""
    found, config = tenant_settings(tenant)
    try:
        written = export_status(
            NoticeStore(connect(found.redis.url)), config, folder, public_url=found.web.base()
        )
    except OSError as exc:
        raise LifelineError(f"{folder}: cannot write there: {exc.strerror}") from None
    for path in written:
        err.print(f"wrote {path}")
