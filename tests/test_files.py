"""autograd.files with real files: what may be written and read (regular files only; never a FIFO,
a device or a directory), atomic writes that keep permissions and follow symlinks, temporary files
and their clean-up, bounded reads, and errors that name the user's path.

The tests that could hang or fill the memory, should the code under test regress (a FIFO with no
writer, /dev/zero), run `bounded`: an alarm and a cap on memory turn such a regression into a
failure."""

import contextlib
import errno
import os
import re
import resource
import signal
import stat
import subprocess
import sys

import pytest

from autograd import files
from autograd.files import TEMPORARY_SUFFIX, check_target, kind, read_file, write_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and pids: POSIX")


@contextlib.contextmanager
def bounded(seconds=5, memory=512 * 2**20):
    """Raise TimeoutError after `seconds`, and MemoryError past `memory` more bytes of address
    space, instead of hanging or exhausting the machine."""

    def alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + memory
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space():
    """This process's virtual memory size in bytes (Linux), or a cap that changes nothing."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return 2**62


def fifo(tmp_path, name="pipe"):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


def temporary_name(name, pid, random="0123abcd"):
    """The name write_file gives its temporary file for `name`, in process `pid`."""
    return f".{name}.{pid}-{random}{TEMPORARY_SUFFIX}"


def finished_pid():
    """The pid of a process that has ended (and been reaped): no process has it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def forbid(monkeypatch, *names):
    """Make os.<name> fail the test if it is called at all."""
    for name in names:

        def called(*args, _name=name, **kwargs):
            raise AssertionError(f"os.{_name}{args} was called")

        monkeypatch.setattr(os, name, called)


# ---- what may be written ----


@pytest.mark.parametrize("what", ["fifo", "directory", "symlink to a fifo"])
def test_writing_refuses_what_is_not_a_regular_file_and_never_replaces_it(tmp_path, what):
    if what == "directory":
        path, expected = tmp_path / "out", "a directory"
        path.mkdir()
    else:
        path, expected = fifo(tmp_path), "a FIFO"
        if what == "symlink to a fifo":
            (tmp_path / "link").symlink_to(path)
            path = tmp_path / "link"
    before = listing(tmp_path)
    with pytest.raises(ValueError, match="expected a regular file or a new path") as error:
        write_file(path, b"data")
    assert str(path) in str(error.value) and expected in str(error.value)
    assert listing(tmp_path) == before  # no temporary file either
    real = os.path.realpath(path)
    assert stat.S_ISFIFO(os.stat(real).st_mode) or stat.S_ISDIR(os.stat(real).st_mode)


def test_writing_refuses_dev_null_and_leaves_it_a_device(monkeypatch):
    # Nothing may be created in /dev, let alone replace /dev/null (as root it could be).
    forbid(monkeypatch, "open", "replace", "unlink")
    with pytest.raises(ValueError, match="/dev/null is a character device; expected a regular"):
        write_file("/dev/null", b"data")
    monkeypatch.undo()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_empty_path_is_refused():
    with pytest.raises(ValueError, match="the output: the path is empty"):
        write_file("", b"data")


def test_a_missing_folder_is_a_file_not_found_error_naming_the_path(tmp_path):
    path = tmp_path / "missing" / "out.png"
    with pytest.raises(FileNotFoundError, match="the folder of the output does not exist") as e:
        write_file(path, b"data")
    assert e.value.filename == str(path)
    assert listing(tmp_path) == []


def test_data_other_than_bytes_or_str_is_a_type_error_before_anything_is_created(tmp_path):
    with pytest.raises(TypeError, match="data must be bytes or str, got list"):
        write_file(tmp_path / "out", [1, 2])
    assert listing(tmp_path) == []


# ---- what a write does ----


def test_writing_creates_a_new_file_with_the_usual_permissions(tmp_path):
    path = tmp_path / "new.txt"
    old = os.umask(0o022)
    try:
        assert write_file(path, "é\n") == path
    finally:
        os.umask(old)
    assert path.read_bytes() == "é\n".encode() and listing(tmp_path) == ["new.txt"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_writing_over_a_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "out"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    write_file(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(os.stat(path).st_mode) == mode
    assert listing(tmp_path) == ["out"]


def test_a_private_files_new_data_is_never_readable_by_others(tmp_path, monkeypatch):
    """The temporary file gets the old file's permissions before the data goes in."""
    path = tmp_path / "secret"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    modes, fsync = [], os.fsync

    def watch(fd):
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", watch)
    write_file(path, b"new secret")
    assert modes == [0o600]


def test_writing_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "link"
    link.symlink_to(target)
    write_file(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new" and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert listing(tmp_path) == ["link", "target"]


def test_writing_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "target")
    write_file(link, b"new")
    assert link.is_symlink() and (tmp_path / "target").read_bytes() == b"new"


def test_check_target_gives_the_real_path_to_replace(tmp_path):
    (tmp_path / "real").write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert check_target(tmp_path / "link") == os.path.realpath(tmp_path / "real")
    assert check_target(tmp_path / "new") == os.path.realpath(tmp_path / "new")


def test_a_file_name_of_255_bytes_can_be_written(tmp_path):
    # The temporary name is longer than the target's: it must still fit in 255 bytes.
    for name in ("n" * 255, "é" * 127):
        write_file(tmp_path / name, b"data")
        assert (tmp_path / name).read_bytes() == b"data"
    assert len(listing(tmp_path)) == 2


# ---- a failed write ----


def disk_full(*args):
    raise OSError(errno.ENOSPC, "No space left on device")


def interrupted(*args):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "name, failure, error",
    [
        ("fsync", disk_full, OSError),
        ("replace", disk_full, OSError),
        ("chmod", disk_full, OSError),
        ("fsync", interrupted, KeyboardInterrupt),
    ],
)
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path, monkeypatch, name, failure, error
):
    path = tmp_path / "out"
    path.write_bytes(b"old")
    monkeypatch.setattr(os, name, failure)
    with pytest.raises(error):
        write_file(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and listing(tmp_path) == ["out"]


def test_errors_name_the_users_path_never_the_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "out"
    path.write_bytes(b"old")

    def cross_device(source, destination):
        raise OSError(errno.EXDEV, "Invalid cross-device link", source, None, destination)

    monkeypatch.setattr(os, "replace", cross_device)
    with pytest.raises(OSError) as error:
        write_file(path, b"new")
    assert error.value.errno == errno.EXDEV and error.value.filename == str(path)
    assert str(path) in str(error.value) and TEMPORARY_SUFFIX not in str(error.value)

    def denied(where, *args):
        raise PermissionError(errno.EACCES, "Permission denied", where)

    monkeypatch.setattr(os, "open", denied)  # as if the folder were not writable
    with pytest.raises(PermissionError) as error:
        write_file(path, b"new")
    assert error.value.filename == str(path) and TEMPORARY_SUFFIX not in str(error.value)
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and listing(tmp_path) == ["out"]


def test_an_os_error_without_errno_keeps_its_message(tmp_path, monkeypatch):
    def broken(*args):
        raise OSError("the disk went away")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="the disk went away"):
        write_file(tmp_path / "out", b"new")
    monkeypatch.undo()
    assert listing(tmp_path) == []


# ---- temporary files left by killed writes ----


def test_a_killed_write_leaves_a_recognisable_file_the_next_write_removes(tmp_path):
    path = tmp_path / "out"
    code = (
        "import os, sys\n"
        "from autograd.files import write_file\n"
        "os.replace = lambda *args: os._exit(9)  # killed just before the replace\n"
        "write_file(sys.argv[1], b'half')\n"
    )
    killed = subprocess.Popen([sys.executable, "-c", code, str(path)])
    assert killed.wait() == 9
    (left,) = listing(tmp_path)
    assert re.fullmatch(rf"\.out\.{killed.pid}-[0-9a-f]{{8}}\.chainrule-tmp", left)
    assert (tmp_path / left).read_bytes() == b"half"
    write_file(path, b"whole")
    assert listing(tmp_path) == ["out"] and path.read_bytes() == b"whole"


def test_a_temporary_file_of_a_finished_process_is_removed_by_the_next_write(tmp_path):
    stale = tmp_path / temporary_name("out", finished_pid())
    stale.write_bytes(b"half")
    write_file(tmp_path / "out", b"new")
    assert listing(tmp_path) == ["out"]


def test_a_temporary_file_of_a_live_process_is_kept(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = [temporary_name("out", pid) for pid in (os.getppid(), sleeper.pid, os.getpid())]
        for name in live:
            (tmp_path / name).write_bytes(b"being written")
        write_file(tmp_path / "out", b"new")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert listing(tmp_path) == sorted(live + ["out"])


def test_only_files_named_as_write_file_names_them_are_removed(tmp_path):
    dead = finished_pid()
    kept = [
        temporary_name("out.1", dead),  # another file's
        temporary_name("other", dead),
        f".out.{dead}-xyz.chainrule-tmp",  # not the random part write_file writes
        f".out.{dead}.chainrule-tmp",
        f".out.{dead}-0123abcd.tmp",
        f".out.{dead}-0123abcd.chainrule-tmp.bak",
        f".out.5-x.chainrule-tmp.{dead}-0123abcd.chainrule-tmp",  # of a file ".out.5-x..."
        temporary_name("out", 9_999_999_999),  # beyond any pid: os.kill cannot even ask
        temporary_name("out", 10**30),  # no such pid can exist: not one of ours
    ]
    for name in kept:
        (tmp_path / name).write_bytes(b"someone's")
    (tmp_path / temporary_name("out", dead, "aaaaaaaa")).mkdir()  # a folder of that name
    kept.append(temporary_name("out", dead, "aaaaaaaa"))
    write_file(tmp_path / "out", b"new")
    assert listing(tmp_path) == sorted(kept + ["out"])


# ---- what may be read ----


def test_reading_gives_the_bytes_of_a_regular_file_up_to_max_bytes(tmp_path):
    path = tmp_path / "in"
    path.write_bytes(b"x" * 100)
    assert read_file(path, 100) == b"x" * 100
    assert read_file(str(path), 10**9) == b"x" * 100
    (tmp_path / "empty").write_bytes(b"")
    assert read_file(tmp_path / "empty", 0) == b""
    (tmp_path / "link").symlink_to(path)
    assert read_file(tmp_path / "link", 100) == b"x" * 100


def test_reading_refuses_a_file_over_max_bytes_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "in"
    path.write_bytes(b"x" * 101)
    too_large = r"the file .*in has 101 bytes, more than the limit of 100 \(pass a larger max_b"
    with pytest.raises(ValueError, match=too_large):
        read_file(path, 100)
    huge = tmp_path / "huge"
    with open(huge, "wb") as f:
        f.truncate(2**30)  # 1 GiB, sparse: takes no room on the disk
    forbid(monkeypatch, "read")
    with bounded(), pytest.raises(ValueError, match=r"has 1,073,741,824 bytes, more than the lim"):
        read_file(huge, 2**20, "the model file")


def test_a_file_whose_size_is_unknown_is_read_no_further_than_max_bytes(monkeypatch):
    # /proc files say they have 0 bytes: the read itself must stop past the limit.
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc")
    reads = []
    read = os.read

    def counted(fd, n):
        reads.append(n)
        return read(fd, n)

    monkeypatch.setattr(os, "read", counted)
    with pytest.raises(ValueError, match=r"/proc/self/status has 11 bytes, more than the limit"):
        read_file("/proc/self/status", 10)
    assert sum(reads) <= 11


@pytest.mark.parametrize("what", ["fifo", "directory", "/dev/zero", "/dev/null"])
def test_reading_refuses_what_is_not_a_regular_file_at_once(tmp_path, monkeypatch, what):
    expected = {"fifo": r"a FIFO \(named pipe\)", "directory": "a directory"}.get(
        what, "a character device"
    )
    if what == "fifo":
        path = fifo(tmp_path)  # nobody writes to it: opening it for reading could block forever
    elif what == "directory":
        path = tmp_path
    else:
        path = what
    forbid(monkeypatch, "read")
    with bounded(), pytest.raises(ValueError, match=f"is {expected}; expected a regular file"):
        read_file(path, 2**20)


def test_a_device_is_refused_without_being_opened(monkeypatch):
    # Opening some devices acts (a tape rewinds, a watchdog starts): they are never opened.
    forbid(monkeypatch, "open")
    with bounded(), pytest.raises(ValueError, match="/dev/zero is a character device"):
        read_file("/dev/zero", 2**20)


def test_reading_a_missing_file_is_an_os_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        read_file(tmp_path / "nowhere", 100)
    assert error.value.filename == str(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "max_bytes, error, message",
    [
        (-1, ValueError, "max_bytes must be 0 or more, got -1"),
        (None, TypeError, "max_bytes must be an int, got NoneType"),
        (1e6, TypeError, "max_bytes must be an int, got float"),
        (True, TypeError, "max_bytes must be an int, got bool"),
    ],
)
def test_max_bytes_must_be_an_int_of_0_or_more(tmp_path, max_bytes, error, message):
    (tmp_path / "in").write_bytes(b"x")
    with pytest.raises(error, match=message):
        read_file(tmp_path / "in", max_bytes)


def test_kind_names_every_kind_of_file(tmp_path):
    assert kind(os.stat(tmp_path).st_mode) == "a directory"
    assert kind(os.stat("/dev/null").st_mode) == "a character device"
    assert kind(os.stat(fifo(tmp_path)).st_mode) == "a FIFO (named pipe)"
    (tmp_path / "f").write_bytes(b"")
    assert kind(os.stat(tmp_path / "f").st_mode) == "a regular file"
    assert kind(stat.S_IFSOCK) == "a socket" and kind(stat.S_IFBLK) == "a block device"
    assert files.STALE_AFTER > 0
