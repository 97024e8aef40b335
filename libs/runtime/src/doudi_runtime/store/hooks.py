"""Effects outside the database that must follow a transaction's fate (metrics, caches)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from doudi_runtime.store.database import AFTER_COMMIT_INFO


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction commits, never if it rolls back.

    A counter bumped inside a transaction that later rolls back would count something that did not
    happen; this defers it to the commit. A transaction of :meth:`Database.transaction` keeps the actions
    in a list it runs once committed (listening to one session's events costs more than the action).
    """
    deferred = session.info.get(AFTER_COMMIT_INFO)
    if deferred is not None:
        deferred.append(action)
        return
    event.listen(session, "after_commit", lambda _session: action(), once=True)
