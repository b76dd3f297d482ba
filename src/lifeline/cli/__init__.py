"""The ``lifeline`` command: dev, api, worker, bot, notice, keys, check-config.

commands.py        the commands (typer): thin, they call the package that owns the work
dev.py             ``lifeline dev``: everything locally, with a demo tenant
admin_client.py    the admin API over HTTP, for ``lifeline notice …`` and dev
watch.py           live progress bars of a notice
embedded_redis.py  a private redis-server for dev (and the tests) when none is configured
"""

from lifeline.cli.commands import app, main

__all__ = ["app", "main"]
