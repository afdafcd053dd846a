"""Safe file writes: temp file in the same folder, fsync, atomic rename.

Every write of the project goes through :func:`atomic_write_bytes`: readers see the
old or the new file, never half of one. A symbolic link is followed, and its target
is replaced (atomically, in the target's folder); the link itself stays. A path that
exists but is not a regular file (a folder, a device such as ``/dev/stdout``, a FIFO,
a socket) is refused, never replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".channelkg.lock"
#: The UTF-8 byte order mark, as text: dropped at the start of what is read.
BOM = "\ufeff"


def write_target(path: Path) -> Path:
    """The file a write to ``path`` replaces: ``path``, or the end of its symlink chain.

    Raises:
        InputError: the path (or the link's target) exists and is not a regular file.
    """
    from channelkg.errors import InputError

    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as err:
        raise InputError(f"cannot write here: {err.strerror or err}", str(path)) from None
    if stat.S_ISDIR(mode):
        raise InputError("is a folder; give a file name to write", str(path))
    if not stat.S_ISREG(mode):
        raise InputError("is not a regular file (a device, FIFO or socket); "
                         "give a file name to write", str(path))
    return target


def temp_beside(path: Path) -> tuple[int, str]:
    """A new file (``.NAME.RANDOM.tmp``, mode 0600) in ``path``'s folder, open for
    writing: its descriptor and path (as :func:`tempfile.mkstemp`, without importing it)."""
    while True:
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    Raises:
        InputError: the path is not a regular file or absent (see :func:`write_target`),
            or the file cannot be written (nothing is changed then).
    """
    from channelkg.errors import InputError

    shown = str(path)
    path = write_target(Path(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(path)
    except OSError as err:
        raise InputError(f"cannot write here: {err.strerror or err}", shown) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise InputError(f"cannot write: {err.strerror or err}", shown) from None
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8 (line ends written as they are)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_text(path: Path) -> str:
    """A UTF-8 file's text exactly as stored: no line-end translation (a CR stays a CR).

    A leading byte order mark (U+FEFF) is accepted and dropped: it marks the encoding,
    it is not text.

    Raises:
        InputError: the file is missing, unreadable, larger than
            :data:`~channelkg.rdf.limits.RDF_FILE` or not UTF-8 (with the byte's line).
    """
    from channelkg.errors import InputError
    from channelkg.rdf.limits import RDF_FILE, check_size

    path = Path(path)
    try:
        check_size(path.stat().st_size, RDF_FILE, str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", str(path)) from None
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[err.start]:02X})",
                         f"{path}:{line}") from None


@contextlib.contextmanager
def write_lock(folder: Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the lock file of a graphs folder (``.channelkg.lock``) while writing in it.

    ``add``, ``import`` and ``format`` take the same lock, so they never overlap.

    Raises:
        InputError: the lock is held by another process for more than ``timeout`` s.
    """
    from filelock import FileLock, Timeout

    from channelkg.errors import InputError

    lock_path = Path(folder) / LOCK_NAME
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(
            f"another channelkg add/import/format is writing (lock held for more than "
            f"{timeout:g} s); nothing was written, try again", str(lock_path)) from None
    except OSError as err:
        raise InputError(f"cannot take the write lock: {err.strerror or err}",
                         str(lock_path)) from None
    try:
        yield
    finally:
        lock.release()
