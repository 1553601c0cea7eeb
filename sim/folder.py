"""Output folders the tool shares with its user: write only what is ours, atomically.

Every folder ``sim`` writes holds ``sim-files.json``, the list of the files the tool wrote
there with each one's SHA-256. A later write into the same folder

* refuses a folder that is not empty and has no such list (it is not ours);
* refuses a folder holding another command's results (``sim run --out results/baseline``
  must not replace the regression baseline that ``sim baseline`` wrote);
* refuses to overwrite a file the list does not name, or one changed since it was written
  (it is the user's now);
* replaces the files it writes and removes the files of the previous write that it does
  not write again, if unchanged; anything else in the folder is left alone.

Each file is written to a temporary name in its folder, flushed to disk and renamed over
the old one. All files are staged first, so a full disk or a read-only folder fails before
anything is replaced and leaves nothing behind; the renames follow with SIGINT and SIGTERM
held off. While they run, the list names the new files as ``pending``, so even a power cut
in between leaves a folder whose every file the next run recognises.

Files and folders get the user's normal permissions (0666 and 0777 less the umask).
See docs/outputs.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import signal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sim import __version__
from sim.runner import RunError

LIST_NAME = "sim-files.json"
COMPLETE, INCOMPLETE = "complete", "incomplete"
TMP_MARK = ".sim-tmp-"
STAGED = re.compile(r"\..+\.sim-tmp-[0-9a-f]{8}")  # the name _stage gives a file being written
ABOUT = (
    "Files that sim wrote in this folder, with their SHA-256. A later run into this folder "
    "replaces or removes only these, and only while unchanged; other files are never touched."
)


class OutputError(RunError):
    """An output folder cannot be written (not ours, a file, read-only, disk full)."""


def sha256_of(data: bytes) -> str:
    """SHA-256 (hex) of some bytes."""
    return hashlib.sha256(data).hexdigest()


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


@dataclass
class FileList:
    """The parsed ``sim-files.json`` of a folder: name → SHA-256 (None: a working file, any content)."""

    files: dict[str, str | None] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    status: str = COMPLETE
    command: str | None = None  # the sim command whose results the folder holds (None: not recorded)

    def owns(self, folder: Path, name: str) -> bool:
        """Whether ``folder/name`` is as the tool left it (or absent)."""
        path = folder / name
        if not path.exists():
            return True
        if name in self.files and self.files[name] is None:
            return True
        try:
            digest = sha256_of(path.read_bytes())
        except OSError:
            return False
        return digest in (self.files.get(name), self.pending.get(name))

    def to_json(self) -> str:
        data: dict[str, Any] = {"about": ABOUT, "written_by": f"sim {__version__}", "status": self.status}
        if self.command is not None:
            data["command"] = self.command
        data["files"] = dict(sorted(self.files.items()))
        if self.pending:
            data["pending"] = dict(sorted(self.pending.items()))
        return json.dumps(data, indent=2) + "\n"


def read_list(folder: Path) -> FileList | None:
    """The folder's file list; None when it has none. Raises OutputError when it is damaged."""
    path = folder / LIST_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = {str(k): (None if v is None else str(v)) for k, v in data["files"].items()}
        pending = {str(k): str(v) for k, v in data.get("pending", {}).items()}
        status = str(data.get("status", COMPLETE))
        command = None if data.get("command") is None else str(data["command"])
        for name in [*files, *pending]:
            check_name(name)  # a list naming ../elsewhere must not steer a deletion out of the folder
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise OutputError(f"{path} is not a list of files sim wrote ({exc}); move the folder away or choose another --out") from None
    return FileList(files, pending, status, command)


def check_name(name: str) -> None:
    """A file name inside an output folder: relative, no ``..``, not the list itself."""
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts or name == LIST_NAME or "\\" in name:
        raise ValueError(f"not a file name inside an output folder: {name!r}")


def claim(target: Path, names: Iterable[str] = (), command: str | None = None) -> FileList:
    """Check that ``sim command`` may write ``names`` into ``target``; return its file list (empty when new).

    Raises OutputError when the folder holds another command's results (a list without a
    command, from before it was recorded, is any command's), or naming every file in the
    way: a file of ``names`` that the tool did not write, and any file the tool wrote there
    that has been changed since (the user's now).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file, not a folder: choose a folder for the results")
    if not target.exists():
        return FileList()
    listed = read_list(target)
    if listed is None:
        try:
            empty = not any(target.iterdir())
        except OSError as exc:
            raise OutputError(f"cannot read output folder {target}: {exc.strerror or exc}") from None
        if empty:
            return FileList()
        raise OutputError(
            f"refusing to write into {target}/: it is not empty and sim did not write it (it has no {LIST_NAME}); "
            "choose a new or empty folder, e.g. a subfolder of it"
        )
    if listed.command is not None and listed.command != command:
        raise OutputError(
            f"refusing to write into {target}/: it holds the results of sim {listed.command}, which "
            f"{'sim ' + command if command else 'this command'} would replace; choose another folder "
            f"(or move {target}/ away first)"
        )
    problems = []
    root = target.resolve()
    for name in dict.fromkeys([*listed.files, *names]):
        path = target / name
        parent = path.parent.resolve()
        if parent != root and root not in parent.parents:
            problems.append(f"{path} leads out of {target}/ (through a symbolic link)")
        elif path.is_dir():
            problems.append(f"{path} is a folder, not a file sim wrote")
        elif name not in listed.files and name not in listed.pending and path.exists():
            problems.append(f"{path} was not written by sim")
        elif not listed.owns(target, name):
            problems.append(f"{path} was changed since sim wrote it")
    if problems:
        raise OutputError(
            "refusing to overwrite files that are not sim's own: " + "; ".join(problems) + "; move them away or choose another --out"
        )
    return listed


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM off for a few file operations; they take effect right after.

    Python runs signal handlers in the main thread whichever thread the kernel picked, so
    the handlers themselves are swapped for one that notes the signal (main thread only).
    """
    caught: list[int] = []

    def note(signum: int, frame: object) -> None:
        caught.append(signum)

    try:
        previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: no handler runs here anyway
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def _stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, flushed to disk; return its path."""
    tmp = path.with_name(f".{path.name}{TMP_MARK}{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from None  # name the file meant
        raise
    os.close(fd)
    return tmp


def write_file(path: Path, content: str | bytes) -> None:
    """Atomically replace one file (temporary name, flushed, renamed); parents are created."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _stage(path, _as_bytes(content))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_describe(exc)}") from None
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _describe(exc: OSError) -> str:
    """An OS error as 'reason: path', naming the file meant rather than its temporary name."""
    name = str(exc.filename or "")
    base = os.path.basename(name)
    if TMP_MARK in base:
        name = os.path.join(os.path.dirname(name), base[1 : base.index(TMP_MARK)])
    return f"{exc.strerror or exc}: {name}" if name else str(exc.strerror or exc)


def _makedirs(folder: Path, created: list[Path]) -> None:
    """``mkdir -p folder``, noting in ``created`` each folder it made."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()][::-1]
    for p in missing:
        p.mkdir(exist_ok=True)
        created.append(p)


def _remove_empty_parents(folder: Path, name: str) -> None:
    """Remove the now empty sub-folders of ``folder`` that held ``name``."""
    parent = (folder / name).parent
    while parent != folder and folder in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def write_folder(
    target: Path,
    files: Mapping[str, str | bytes],
    *,
    status: str = COMPLETE,
    working: tuple[str, ...] = (),
    command: str | None = None,
) -> None:
    """Write ``files`` (name → content) into folder ``target``, which the tool must own (see the module doc).

    Files of the previous write that are not written again are removed (if unchanged).
    ``working`` names files the run itself keeps changing (a checkpoint, an error log): they
    are listed as the tool's whatever their content. ``command`` (run, compare, ...) is
    recorded in the list: a folder holding another command's results is refused. Raises
    OutputError (exit 2) naming the path when the folder is not ours or cannot be written;
    nothing is then left behind.
    """
    target = Path(target)
    for name in [*files, *working]:
        check_name(name)
    old = claim(target, files, command)
    data = {name: _as_bytes(content) for name, content in files.items()}
    staged: dict[str, Path] = {}
    created: list[Path] = []  # folders this write made, parents first
    try:
        _makedirs(target, created)
        for name, content in data.items():
            path = target / name
            _makedirs(path.parent, created)
            staged[name] = _stage(path, content)
        hashes = {n: sha256_of(d) for n, d in data.items()}
        new = FileList({**hashes, **dict.fromkeys(working)}, status=status, command=command)
        transit = FileList({**old.files, **dict.fromkeys(working)}, hashes, status, command)
        list_tmp = _stage(target / LIST_NAME, transit.to_json().encode())
    except BaseException as exc:  # nothing replaced yet: leave the folder as it was
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write results to {target}/: {_describe(exc)}") from None
        raise
    with signals_held():
        os.replace(list_tmp, target / LIST_NAME)
        for name, tmp in staged.items():
            os.replace(tmp, target / name)
        for name in old.files:
            if name in new.files:
                continue
            if old.owns(target, name):
                (target / name).unlink(missing_ok=True)
                _remove_empty_parents(target, name)
        os.replace(_stage(target / LIST_NAME, new.to_json().encode()), target / LIST_NAME)
    for where in {target, *((target / name).parent for name in files)}:
        for stale in where.glob(f".*{TMP_MARK}*"):  # staged by a write that was cut off (power cut)
            if STAGED.fullmatch(stale.name) and stale.is_file():
                stale.unlink(missing_ok=True)
