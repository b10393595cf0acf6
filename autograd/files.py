"""Reading and writing the user's files without harming them.

Everything chainrule writes (model files, pictures, frames, plots) goes through `write_file`,
and everything it reads from a path a user names goes through `read_file`:

- A target must be a regular file or a new path. A FIFO, a device node (/dev/null), a socket or
  a directory is refused with a ValueError before anything is written, so it is never replaced
  by a regular file. A symlink's target is replaced (the link stays a link), keeping the
  target's permission bits (not its owner, nor other hard links to it).
- A write is atomic: the data goes to a temporary file beside the target, named
  `.<name>.<pid>-<random>.chainrule-tmp` (a long name cut to 200 bytes), which then replaces
  the target in one step (os.replace). A reader sees the old file or the new one, never half of
  one, and a failed write leaves the old file as it was. A temporary file left behind by a save
  that was killed is recognised by its name and removed by the next save to the same path (once
  the process that made it has gone). Nothing else is ever created or deleted: no `.gv` files
  beside a picture.
- A read refuses anything that is not a regular file (`/dev/zero`, a FIFO, a directory) and any
  file larger than `max_bytes`, before reading it, so a hostile path cannot exhaust memory or
  block forever. A device is refused before it is even opened (opening one can act: a tape
  rewinds, a watchdog starts).

A problem with the path itself (what it is, how large) is a ValueError; what the operating
system refuses (a missing folder or file, a permission) stays an OSError. Errors name the path
the user gave, never a temporary one.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from typing import TypeAlias

StrPath: TypeAlias = str | os.PathLike[str]  # a path a user names: a str or a pathlib.Path

TEMPORARY_SUFFIX = ".chainrule-tmp"
_TEMPORARY_MIDDLE = re.compile(r"([0-9]{1,10})-[0-9a-f]{8}")  # "<pid>-<random>", as write_file
_NAME_BYTES = 200  # of the target's name kept in a temporary name: names are at most 255 bytes
STALE_AFTER = 24 * 3600  # seconds: where a process cannot be asked whether it lives (Windows)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind(mode: int) -> str:
    """What a stat mode describes, in words: 'a regular file', 'a FIFO (named pipe)', ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_target(path: StrPath, what: str = "the output") -> str:
    """The real path (symlinks resolved) that writing to `path` would replace, after checking that
    it is a regular file or does not exist yet. ValueError where it is something else (naming
    `path` and what it is), FileNotFoundError where its folder does not exist, another OSError
    where the operating system will not tell (a permission, a symlink loop)."""
    where = os.fspath(path)
    if not where:
        raise ValueError(f"{what}: the path is empty")
    target = os.path.realpath(where)  # a symlink's target is replaced, not the link
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if not os.path.isdir(os.path.dirname(target)):  # an OS error, as open() would raise
            raise FileNotFoundError(
                errno.ENOENT, f"the folder of {what} does not exist", where
            ) from None
        return target
    except OSError as error:
        raise _about(error, path) from None
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{what} {where} is {kind(mode)}; expected a regular file or a new path "
            "(chainrule never replaces anything else)"
        )
    return target


def write_file(
    path: StrPath, data: str | bytes | bytearray | memoryview, what: str = "the output"
) -> StrPath:
    """Write `data` (bytes, or str as UTF-8) to `path` atomically (see the module docstring).

    ValueError where `path` is not a regular file or a new path; OSError (naming `path`) where
    the operating system refuses the write. Either way an existing file is left as it was.
    Returns `path`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes or str, got {type(data).__name__}")
    target = check_target(path, what)
    directory, base = os.path.split(target)
    _remove_stale(directory, base)
    temporary = os.path.join(
        directory, f"{_prefix(base)}{os.getpid()}-{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
    )
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    except OSError as error:
        raise _about(error, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            try:  # the permissions of the file being replaced, before any of the data is in
                os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
            except FileNotFoundError:
                pass
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:  # already gone, or not ours to remove: the error to report is `error`
            pass
        if isinstance(error, OSError):
            raise _about(error, path) from None
        raise
    return path


def read_file(path: StrPath, max_bytes: int, what: str = "the file") -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), refusing with a ValueError,
    before reading, anything that is not a regular file and any file of more than `max_bytes`
    bytes. OSError (FileNotFoundError, PermissionError, ...) where it cannot be opened."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be 0 or more, got {max_bytes}")
    where = os.fspath(path)
    _check_readable(os.stat(where), what, where, max_bytes)  # a device is never even opened
    # O_NONBLOCK: should a FIFO replace the file before the open, the open must not block.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(where, flags)
    try:
        _check_readable(os.fstat(fd), what, where, max_bytes)  # what was opened, in the end
        chunks, size = [], 0
        while size <= max_bytes:  # the file may grow while it is read: never past the limit
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise ValueError(_too_large(what, where, size, max_bytes))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_readable(status, what, where, max_bytes):
    """ValueError unless `status` (an os.stat result) is a regular file of at most max_bytes."""
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"{what} {where} is {kind(status.st_mode)}; expected a regular file")
    if status.st_size > max_bytes:
        raise ValueError(_too_large(what, where, status.st_size, max_bytes))


def _too_large(what, where, size, max_bytes):
    return (
        f"{what} {where} has {size:,} bytes, more than the limit of {max_bytes:,} "
        "(pass a larger max_bytes= if you trust it)"
    )


def _about(error: OSError, path: StrPath) -> OSError:
    """The OSError `error` reported for the user's `path` (not for a temporary file)."""
    if error.errno is None:  # made without an errno: its message is all there is
        return error
    return type(error)(error.errno, error.strerror, os.fspath(path))


def _prefix(base):
    """The start of the names of the temporary files for a target named `base`: its name cut to
    _NAME_BYTES bytes, so that the temporary name stays within the 255 bytes a name may have."""
    return f".{os.fsdecode(os.fsencode(base)[:_NAME_BYTES])}."


def _remove_stale(directory, base):
    """Delete the temporary files that killed writes to `base` left in `directory`: only regular
    files named exactly as write_file names them, whose process has gone."""
    prefix = _prefix(base)
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.endswith(TEMPORARY_SUFFIX):
            continue
        match = _TEMPORARY_MIDDLE.fullmatch(name[len(prefix) : -len(TEMPORARY_SUFFIX)])
        try:
            if match and entry.is_file(follow_symlinks=False) and _stale(entry, int(match[1])):
                os.unlink(entry.path)
        except OSError:
            pass


def _stale(entry, pid):
    """Whether a temporary file's writer is gone: its process no longer exists (POSIX), or the
    file is older than STALE_AFTER (elsewhere)."""
    if os.name == "posix":
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except (OSError, OverflowError):  # it exists, owned by someone else; or no such pid
            return False
        return False
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
    except OSError:
        return False
