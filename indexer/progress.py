"""The progress protocol library functions report through; the CLI injects a display.

Why a protocol: library code (verify, fetch, ingest) runs in notebooks, cron jobs and tests
as well as under the ``por`` command. It only says what happened (a task started, n items
done, m of them errors); whoever called it decides whether that becomes a rich bar, a log
line or nothing. The default is ``NO_PROGRESS``.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, task: str, total: int | None) -> None:
        """A unit of work named ``task`` begins with ``total`` items (None if unknown)."""

    def advance(self, task: str, done: int, errors: int = 0) -> None:
        """``done`` more items of ``task`` finished, ``errors`` of them as error rows."""

    def finish(self, task: str) -> None:
        """``task`` is over (completed or interrupted)."""


class NoProgress:
    """Reports nowhere."""

    def start(self, task: str, total: int | None) -> None:
        pass

    def advance(self, task: str, done: int, errors: int = 0) -> None:
        pass

    def finish(self, task: str) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()


class Recorder:
    """Keeps every call: what a test or a script can inspect after a run."""

    def __init__(self) -> None:
        self.totals: dict[str, int | None] = {}
        self.done: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.finished: list[str] = []

    def start(self, task: str, total: int | None) -> None:
        self.totals[task] = total
        self.done.setdefault(task, 0)
        self.errors.setdefault(task, 0)

    def advance(self, task: str, done: int, errors: int = 0) -> None:
        self.done[task] = self.done.get(task, 0) + done
        self.errors[task] = self.errors.get(task, 0) + errors

    def finish(self, task: str) -> None:
        self.finished.append(task)
