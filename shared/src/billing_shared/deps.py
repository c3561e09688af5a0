"""The collaborators a service's process is built with, once, by its `bootstrap.py`.

Each service subclasses `BaseDeps` with what its use cases need besides the database and the
settings (payment providers, a mailer, a link signer). `app.py`, `worker.py` and `cli.py` get them
from `bootstrap()`; API routes read them with `billing_shared.web.context.deps()`; event handlers
are built from them (`handlers(deps)`); tests build them with fakes in place of outside systems.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing_shared.db.uow import Database
from billing_shared.settings import ServiceSettings


@dataclass(frozen=True)
class BaseDeps:
    settings: ServiceSettings
    db: Database
