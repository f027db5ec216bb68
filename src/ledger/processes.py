"""What every worker process of the ledger does when it starts (the import's, the
replay's, a rebuild's mapping processes)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading


def exit_with_parent() -> None:
    """A worker process's start: it ends when its parent does, however that ends.

    A pool's workers wait for work on a queue whose writing end they hold themselves, so
    a parent killed (SIGKILL, a crash) left them waiting for good, each with its
    connections open. Ctrl-C is the parent's to handle: the workers ignore it (the
    parent cancels what they have not begun)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
