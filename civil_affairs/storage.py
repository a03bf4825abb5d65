"""Where attachments live: the storage STORAGES["attachments"], outside the static and web roots,
under server-chosen names, never behind a URL of their own (the permission-checked view streams them).

The local disk under PRIVATE_FILES_ROOT in development, tests and a single-machine deployment; an
S3-compatible bucket in production (absher/settings/production.py), which every web and worker machine
shares. Inside the storage a file is `staging/<name>` while its submission's transaction is open and
`attachments/<name>` once it committed (`commit_on_success`). The sweeper finishes moves a crash
interrupted and removes any file no row points to, once older than its grace time.

Django's storage API has no rename and no listing with dates, and S3 no rename at all: `_backend`
picks what each kind of storage does best (a rename on disk, copy then delete on S3) and falls back
to the plain storage API for any other backend.
"""

import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import IO, NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

ALIAS = "attachments"
STAGING = "staging"
STORE = "attachments"
#: The sweeper asks the database about this many names at a time, so that neither the listing nor
#: the referenced names are ever held whole in memory (the store grows with every request filed).
SWEEP_BATCH = 1000


class PrivateFileSystemStorage(FileSystemStorage):
    """The local disk under PRIVATE_FILES_ROOT (not MEDIA_ROOT), read when first used, so that a test
    that points PRIVATE_FILES_ROOT elsewhere moves the store with it. It has no URL: nothing serves
    these folders, and the files reach their owner only through the permission-checked view."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_FILES_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_FILES_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("attachments have no URL: the permission-checked download view serves them")


class Stored(NamedTuple):
    """An open stored file and its size in bytes when the storage tells it without a read."""

    handle: IO[bytes]
    size: int | None


def backend():
    return storages[ALIAS]


def new_name(extension: str) -> str:
    return uuid.uuid4().hex + extension


def _checked(name: str) -> str:
    """A row's server-chosen name (never a name a user typed), as one path segment."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("not a stored name")
    return name


def stage(content: bytes, extension: str) -> str:
    """Write bytes to the staging area under a new server-chosen name; return the name."""
    name = new_name(extension)
    path = f"{STAGING}/{name}"
    kind = _backend(backend())
    saved = kind.store.save(path, ContentFile(content))
    if saved != path:
        # A storage that renames on a clash would leave the row pointing at another file.
        kind.store.delete(saved)
        raise RuntimeError(f"the attachment storage saved {path!r} as {saved!r}")
    kind.stamp(path)
    return name


def commit_on_success(names: list[str]) -> None:
    """Move staged files into the store when the current transaction commits."""
    if names:
        # robust: the request is filed whatever the storage says; a move that fails here is
        # finished by the sweeper, and the download view finds the file in staging meanwhile.
        transaction.on_commit(lambda: promote(names), robust=True)


def promote(names: list[str]) -> None:
    """Move staged files into the store. Safe to repeat, and to run beside the sweeper."""
    kind = _backend(backend())
    failed = None
    for name in names:
        try:
            kind.move(f"{STAGING}/{_checked(name)}", f"{STORE}/{name}")
        except Exception as exc:  # noqa: BLE001 - the other files still move; the sweeper retries this one
            logger.warning("attachment %s stays in staging until the sweeper moves it: %r", name, exc)
            failed = exc
    if failed is not None:
        raise failed


def discard(names: list[str]) -> None:
    store = backend()
    for name in names:
        # Only staged files are discarded: a name never leaves the two folders.
        store.delete(f"{STAGING}/{_checked(name)}")


def open_stored(name: str) -> Stored:
    """The stored file of a row's name, open for reading; FileNotFoundError when there is none.

    A file whose move a crash interrupted is read from staging: its row committed, so it is the
    row's file, and the sweeper will move it."""
    kind = _backend(backend())
    try:
        return kind.open(f"{STORE}/{_checked(name)}")
    except FileNotFoundError:
        return kind.open(f"{STAGING}/{name}")


def is_stored(name: str) -> bool:
    return backend().exists(f"{STORE}/{_checked(name)}")


def is_staged(name: str) -> bool:
    return backend().exists(f"{STAGING}/{_checked(name)}")


def names_in(folder: str) -> list[str]:
    """Every name in one of the two folders (for tests and the shell: the sweeper pages instead)."""
    return sorted(name for name, _ in _backend(backend()).entries(folder))


def sweep(*, referenced: Callable[[list[str]], set[str]], older_than_seconds: int = 3600) -> dict:
    """Finish interrupted moves and delete files no row points to (older than the grace time).

    `referenced(names)` gives those of `names` that a row points to; it is asked a page at a time."""
    kind = _backend(backend())
    promoted = deleted = 0
    for folder in (STAGING, STORE):
        entries = kind.entries(folder)
        while batch := list(islice(entries, SWEEP_BATCH)):
            kept = referenced([name for name, _ in batch])
            for name, age in batch:
                if name in kept:
                    if folder == STAGING and kind.move(f"{STAGING}/{name}", f"{STORE}/{name}"):
                        promoted += 1
                elif age >= older_than_seconds:
                    kind.store.delete(f"{folder}/{name}")
                    deleted += 1
    return {"promoted": promoted, "deleted": deleted}


class _Storage:
    """Any Django storage, through the storage API alone."""

    def __init__(self, store):
        self.store = store

    def stamp(self, path: str) -> None:
        """Date a new file for the sweeper's grace time (the storage's own date is enough here)."""

    def move(self, source: str, target: str) -> bool:
        """Move a file; False when the source is gone (moved already). Safe to repeat after a crash."""
        try:
            handle = self.store.open(source, "rb")
        except FileNotFoundError:
            return False
        with handle:
            self.store.delete(target)  # a copy an interrupted move left
            self.store.save(target, handle)
        self.store.delete(source)
        return True

    def entries(self, folder: str) -> Iterator[tuple[str, float]]:
        """(name, age in seconds) of each file in the folder."""
        try:
            _, files = self.store.listdir(folder)
        except FileNotFoundError:
            return
        now = timezone.now()
        for name in files:
            try:
                modified = self.store.get_modified_time(f"{folder}/{name}")
            except FileNotFoundError:
                continue
            yield name, (now - modified).total_seconds()

    def open(self, path: str) -> Stored:
        return Stored(self.store.open(path, "rb"), None)


class _FileSystem(_Storage):
    """The local disk: a rename is atomic and the folder lists with dates."""

    def stamp(self, path):
        # The sweeper's grace time is measured on the portal's clock, not the file system's.
        stamp = time.time()
        os.utime(self.store.path(path), (stamp, stamp))

    def move(self, source, target):
        target_path = self.store.path(target)
        os.makedirs(os.path.dirname(target_path), exist_ok=True)
        try:
            os.replace(self.store.path(source), target_path)
        except FileNotFoundError:
            return False
        return True

    def entries(self, folder):
        try:
            listing = os.scandir(self.store.path(folder))
        except FileNotFoundError:
            return
        now = time.time()
        with listing:
            for entry in listing:
                try:
                    if entry.is_file():
                        yield entry.name, now - entry.stat().st_mtime
                except FileNotFoundError:
                    continue

    def open(self, path):
        # FileResponse streams it in blocks and reads its length from the open file.
        return Stored(open(self.store.path(path), "rb"), None)  # noqa: SIM115 - FileResponse closes it


#: Of the storage's object parameters, those a copy must repeat: S3 copies the content type and
#: metadata of the source, but not its ACL nor its server-side encryption.
_COPY_PARAMETERS = {"ACL", "ServerSideEncryption", "SSEKMSKeyId", "SSEKMSEncryptionContext", "BucketKeyEnabled",
                    "StorageClass"}


class _S3(_Storage):
    """An S3-compatible bucket (django-storages' S3Storage): no rename, so a move is a copy on the
    server, then a delete; a listing comes a thousand keys a page, each with its last-modified time."""

    @property
    def client(self):
        return self.store.connection.meta.client

    def key(self, path: str) -> str:
        """The object's key: the path under the storage's prefix (its `location`), as S3Storage makes it."""
        from storages.utils import clean_name

        return self.store._normalize_name(clean_name(path))

    def move(self, source, target):
        from botocore.exceptions import ClientError

        params = {k: v for k, v in self.store.get_object_parameters(target).items() if k in _COPY_PARAMETERS}
        if "ACL" not in params and self.store.default_acl:
            params["ACL"] = self.store.default_acl
        bucket = self.store.bucket_name
        try:
            self.client.copy_object(
                Bucket=bucket, Key=self.key(target), CopySource={"Bucket": bucket, "Key": self.key(source)}, **params
            )
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        # A crash here leaves the file in both places: the next move copies it again and deletes it.
        self.store.delete(source)
        return True

    def entries(self, folder):
        prefix = self.key(folder) + "/"
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.store.bucket_name, Prefix=prefix)
        for page in pages:
            # An object's age is measured on the clock that dated it, the object store's (the Date of
            # the listing's answer): a fast clock on one of the portal's machines sweeps no young upload.
            now = _server_date(page)
            for item in page.get("Contents", ()):
                name = item["Key"][len(prefix):]
                if name and "/" not in name:
                    # Whole seconds on both sides, as the Date header has them.
                    yield name, (now - item["LastModified"].replace(microsecond=0)).total_seconds()

    def open(self, path):
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.store.bucket_name, Key=self.key(path))
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(path) from None
            raise
        # The body streams from the bucket as FileResponse reads it: no file is held whole in memory.
        return Stored(answer["Body"], answer.get("ContentLength"))


def _missing(exc) -> bool:
    """Whether a boto3 ClientError says the key (or the copy's source) does not exist."""
    answer = exc.response
    code = str(answer.get("Error", {}).get("Code", ""))
    return code in {"NoSuchKey", "404", "NotFound"} or answer.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _server_date(page: dict) -> datetime:
    date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).astimezone(UTC)
    except (TypeError, ValueError):
        return timezone.now()


def _backend(store) -> _Storage:
    if isinstance(store, FileSystemStorage):
        return _FileSystem(store)
    # Only look for S3 when django-storages' S3 module is loaded: otherwise the storage cannot be one.
    s3 = sys.modules.get("storages.backends.s3")
    if s3 is not None and isinstance(store, s3.S3Storage):
        return _S3(store)
    return _Storage(store)
