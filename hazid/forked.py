"""Jobs run by forked worker processes that share the caller's data.

A forked worker inherits the memory of the process that starts it, so large tables (the
screening results, the prepared base map, the dossier set) are shared copy-on-write rather
than pickled to each worker. :func:`forked_map` hands the workers a function and the shared
data through a module variable set just before the fork; only the jobs are pickled.
:func:`aside` runs one function in a forked process while the caller goes on; only its
result is pickled back. A :class:`Handover` passes one object the other way, from the
caller to a process it has already forked, once the caller has it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import select
import tempfile
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from hazid.errors import WorkerError

__all__ = ["Handover", "Pending", "aside", "can_fork", "forked_map"]

# (function, shared data) of the forked_map call in progress, inherited by its workers
_TASK: tuple[Callable[[Any, Any], Any], Any] | None = None
# (function, sending end of the pipe) of the aside call in progress, inherited by its process
_ASIDE: tuple[Callable[[], Any], Any] | None = None


def can_fork() -> bool:
    """Return whether worker processes can be forked here.

    Not where ``fork`` is unavailable (Windows, macOS defaults aside) nor in a daemonic
    process, which may not start others.

    Examples
    --------
    >>> isinstance(can_fork(), bool)
    True
    """
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def forked_map(
    func: Callable[[Any, Any], Any],
    jobs: Iterable[Any],
    shared: Any,
    *,
    workers: int,
    chunksize: int = 1,
) -> list[Any]:
    """Return ``[func(shared, job) for job in jobs]``, computed by ``workers`` forked processes.

    ``shared`` is not pickled: the workers inherit it. Results keep the order of ``jobs``;
    an exception in a worker is raised here.

    Examples
    --------
    >>> def scale(factor, x):
    ...     return factor * x
    >>> forked_map(scale, [1, 2, 3], 10, workers=2) if can_fork() else [10, 20, 30]
    [10, 20, 30]
    """
    global _TASK
    _TASK = (func, shared)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a process with threads; the workers do not
            # use the parent's threads or locks
            warnings.simplefilter("ignore", DeprecationWarning)
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                return list(pool.map(_call, jobs, chunksize=chunksize))
    finally:
        _TASK = None


def _call(job: Any) -> Any:
    func, shared = _TASK or (None, None)  # set by forked_map before the workers are forked
    return func(shared, job)


def aside(func: Callable[[], Any]) -> Pending:
    """Start ``func()`` in a forked process; return the function that waits for its result.

    The process inherits the caller's memory (nothing is pickled to it); its result is
    pickled back. Waiting returns the result, or raises the exception ``func`` raised; a
    result or exception that cannot be pickled, or a process that ended without a word, raises
    :class:`hazid.errors.WorkerError` with its text or exit code. Where processes
    cannot be forked (:func:`can_fork`), ``func`` runs at once, here. The function returned
    also has ``ready()``: whether the result (or the error) is in, without waiting.

    Examples
    --------
    >>> wait = aside(lambda: sum(range(10)))
    >>> wait()
    45
    """
    if not can_fork():
        result = func()
        return Pending(lambda: result, lambda: True)
    global _ASIDE
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    _ASIDE = (func, send)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a process with threads; the process does not
            # use the parent's threads or locks
            warnings.simplefilter("ignore", DeprecationWarning)
            proc = ctx.Process(target=_run_aside)
            proc.start()
    finally:
        _ASIDE = None  # the forked process has its own reference
    send.close()

    def wait() -> Any:
        try:
            ok, value = receive.recv()
        except EOFError:  # the process ended without a word
            proc.join()
            ok, value = False, WorkerError(f"forked process stopped ({proc.exitcode})")
        finally:
            proc.join()
            receive.close()
        if not ok:
            raise value
        return value

    return Pending(wait, lambda: receive.closed or receive.poll())


class Pending:
    """The function :func:`aside` returns: call it to wait; :meth:`ready` and :meth:`early` do not.

    The result (or the error) is kept: calling again returns it (or raises it) again.
    """

    def __init__(self, wait: Callable[[], Any], ready: Callable[[], bool]) -> None:
        self._wait, self._ready = wait, ready
        self._done: tuple[bool, Any] | None = None

    def __call__(self) -> Any:
        """Wait for the result and return it (or raise the error)."""
        if self._done is None:
            try:
                self._done = (True, self._wait())
            except Exception as err:  # raised again at each call
                self._done = (False, err)
        ok, value = self._done
        if not ok:
            raise value
        return value

    def ready(self) -> bool:
        """Whether the result (or the error) has arrived, so that waiting returns at once."""
        return self._done is not None or bool(self._ready())

    def early(self) -> Any:
        """Return the result if it has arrived; None if not yet, or if it is an error."""
        if not self.ready():
            return None
        try:
            return self()
        except Exception:  # raised when waited for
            return None


def _run_aside() -> None:
    func, send = _ASIDE or (lambda: None, None)  # set by aside before the fork
    try:
        reply = (True, func())
    except Exception as err:  # reported to the caller, which raises it
        reply = (False, err)
    try:
        send.send(reply)
    except Exception as err:  # a result or an exception that cannot be pickled: its text
        what = reply[1] if not reply[0] else err
        send.send((False, WorkerError(f"{type(what).__name__}: {what}")))


class Handover:
    """One object passed between this process and a process it forks after the handover is made.

    Either process sends the object (or None: nothing to pass) once, with :meth:`send`; the
    other waits for it with :meth:`receive`. The object is pickled into an unnamed file in
    memory (``memfd``; a temporary file where there is none) read and written at fixed
    offsets (the processes share the file's position), and only its size goes through a
    pipe, so sending never waits for the receiver, which may be busy or gone. The receiver
    gets None when the sender ended without sending or could not write the object (the
    sender then raises the error).

    Examples
    --------
    >>> hand = Handover()
    >>> pending = aside(lambda: hand.receive() + 1)
    >>> hand.send(41)
    >>> pending()
    42
    >>> hand.close()
    """

    _SIZE = 8  # bytes of the size message

    def __init__(self) -> None:
        self._file = _unnamed_file()
        self._read, self._write = os.pipe()
        self._sent = False

    def send(self, obj: Any) -> None:
        """Pass ``obj`` (None: nothing); later calls do nothing.

        Raises the error that stopped the object from being pickled or written; the receiver
        then gets None.
        """
        if self._sent or self._write < 0:
            return
        self._sent = True
        size = 0
        try:
            data = b"" if obj is None else pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            done = 0
            while done < len(data):
                done += os.pwrite(self._file, memoryview(data)[done:], done)
            size = len(data)
        finally:
            os.write(self._write, size.to_bytes(self._SIZE, "little"))

    def ready(self) -> bool:
        """Whether the object has been sent (so that :meth:`receive` returns at once)."""
        if self._read < 0:
            return False
        if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
            poller = select.poll()
            poller.register(self._read, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([self._read], [], [], 0)[0])

    def receive(self) -> Any:
        """Wait for the object sent, and return it (None when nothing was, or will be, sent).

        The receiving process never sends: its sending end is closed, so that the pipe ends
        when the sender does.
        """
        if self._write >= 0:
            os.close(self._write)
            self._write = -1
        head = b""
        while len(head) < self._SIZE:
            part = os.read(self._read, self._SIZE - len(head))
            if not part:  # every sending end closed without a word
                return None
            head += part
        size = int.from_bytes(head, "little")
        if size == 0:
            return None
        data = bytearray()
        while len(data) < size:
            part = os.pread(self._file, size - len(data), len(data))
            if not part:
                return None
            data += part
        return pickle.loads(data)

    def close(self) -> None:
        """Free the pipe and the file (in this process)."""
        for fd in (self._read, self._write, self._file):
            if fd >= 0:
                os.close(fd)
        self._read = self._write = self._file = -1


def _unnamed_file() -> int:
    """Descriptor of a new file without a name: in memory where the system allows."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create("hazid-handover", os.MFD_CLOEXEC)
        except OSError:  # not allowed here (a sandbox): a temporary file instead
            pass
    fd, path = tempfile.mkstemp(prefix="hazid-handover-")
    os.unlink(path)
    return fd
