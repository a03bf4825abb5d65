"""Where attachments live: outside the static and web roots, under server-chosen names.

A submission stages its files first; they move to the store only when its transaction
commits (`commit_on_success`). The sweeper finishes moves a crash interrupted and removes
any file no row points to.
"""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction


def _root() -> Path:
    return Path(getattr(settings, "PRIVATE_FILES_ROOT", Path(settings.MEDIA_ROOT) / "private"))


def store_dir() -> Path:
    path = _root() / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def staging_dir() -> Path:
    path = _root() / "staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name(extension: str) -> str:
    return uuid.uuid4().hex + extension


def stage(content: bytes, extension: str) -> str:
    """Write bytes to the staging area under a new server-chosen name; return the name."""
    name = new_name(extension)
    path = staging_dir() / name
    with open(path, "xb") as fh:
        fh.write(content)
    # The sweeper's grace time is measured on the portal's clock, not the file system's.
    stamp = time.time()
    os.utime(path, (stamp, stamp))
    return name


def commit_on_success(names: list[str]) -> None:
    """Move staged files into the store when the current transaction commits."""
    if names:
        transaction.on_commit(lambda: promote(names))


def promote(names: list[str]) -> None:
    for name in names:
        staged = staging_dir() / name
        if staged.exists():
            os.replace(staged, store_dir() / name)


def discard(names: list[str]) -> None:
    for name in names:
        (staging_dir() / name).unlink(missing_ok=True)
        # Only staged files are discarded; a name never leaves the two folders.


def path_of(name: str) -> Path:
    """The stored file of a row's server-chosen name (never a name a user typed)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("not a stored name")
    return store_dir() / name


def sweep(*, referenced: set[str], older_than_seconds: int = 3600) -> dict:
    """Finish interrupted moves and delete files no row points to (older than the grace time)."""
    now = time.time()
    promoted = deleted = 0
    for path in staging_dir().iterdir():
        if path.name in referenced:
            os.replace(path, store_dir() / path.name)
            promoted += 1
        elif now - path.stat().st_mtime >= older_than_seconds:
            path.unlink(missing_ok=True)
            deleted += 1
    for path in store_dir().iterdir():
        if path.name not in referenced and now - path.stat().st_mtime >= older_than_seconds:
            path.unlink(missing_ok=True)
            deleted += 1
    return {"promoted": promoted, "deleted": deleted}
