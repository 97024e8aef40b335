"""The ``reannounce`` role: every entitlement not terminated announced again as it stands now.

Disbursement keeps what each entitlement's last event said of it (payee, the covered persons' and the
household members' keys under every key of the lookup-key ring). An entitlement approved before a field
existed, or last announced before a lookup key was put first, carries the old data until its next event;
a run announces each one again (EntitlementReannounced) so the old lookup key can leave the ring. It changes
nothing in the store but its own progress: no amount, no state, no arrears.

A page of entitlements per transaction, locked while it is announced, beside the running service. The run's
cursor moves in the page's transaction, so an interrupted run resumes after the last page it committed and
announces no entitlement twice; a new run starts once the last one finished.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from doudi.eligibility.v1 import events_pb2
from doudi_common.ids import new_id
from doudi_eligibility.app.common import TOPIC_ENTITLEMENTS, Commands
from doudi_eligibility.events import mapping
from doudi_eligibility.store import reannouncements as store

log = logging.getLogger(__name__)


@dataclass
class Reannouncements:
    commands: Commands
    page_size: int = 500

    def run(self) -> int:
        """Announce every entitlement not terminated once (resuming an interrupted run first); returns how
        many this call announced."""
        run_id = self._open()
        announced = 0
        finished = False
        while not finished:
            with self.commands.persistence.database.transaction() as session:
                count, finished = self._page(session, run_id)
            announced += count
        log.info("entitlements re-announced", extra={"run_id": run_id, "announced": announced})
        return announced

    def _open(self) -> str:
        with self.commands.persistence.database.transaction() as session:
            unfinished = store.unfinished_run(session)
            if unfinished is not None:
                log.info(
                    "resuming an interrupted re-announcement",
                    extra={"run_id": unfinished.run_id, "announced": unfinished.announced},
                )
                return unfinished.run_id
            return store.insert_run(session, new_id("rea"), self.commands.clock()).run_id

    def _page(self, session: Session, run_id: str) -> tuple[int, bool]:
        """One page announced and the run moved past it: how many it announced, and whether the run is
        finished (by this page, or by another runner of the same run meanwhile)."""
        run = store.get_run(session, run_id, for_update=True)
        if run is None or run.done:
            return 0, True
        page = store.page_not_terminated(session, run.cursor, self.page_size)
        for record in page:
            event = events_pb2.EntitlementReannounced(
                entitlement=mapping.entitlement_pb(record), run_id=run_id
            )
            self.commands.announce(session, TOPIC_ENTITLEMENTS, record.subject_id, event, run_id)
        done = len(page) < self.page_size
        moved = replace(
            run,
            cursor=page[-1].entitlement_id if page else run.cursor,
            announced=run.announced + len(page),
            done=done,
            finished_at=self.commands.clock() if done else None,
        )
        store.save_run(session, moved)
        return len(page), done
