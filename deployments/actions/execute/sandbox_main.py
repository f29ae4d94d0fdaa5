"""The first code run inside the sandbox (``python -I -S -c <this file> <settings JSON>``).

Stand-alone on purpose (the sandbox sees none of this project): it sets the rlimits, installs
the in-process seccomp filter if one is given, puts the allowed packages on ``sys.path``, then
runs the snippet as ``__main__`` with tracebacks that start at the snippet's own frames.
A failure before the snippet starts exits with ``BOOT_FAILED`` and a line starting ``BOOT_TAG``.
"""

import sys

BOOT_FAILED = 126
BOOT_TAG = "ifz-sandbox:"


def _install_filter(program: bytes) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    ulong = ctypes.c_ulong
    if libc.prctl(pr_set_no_new_privs, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(pr_set_seccomp, ulong(seccomp_mode_filter), ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def _boot():
    import builtins
    import json
    import resource

    settings = json.loads(sys.argv[1])
    for name, (soft, hard) in settings["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if settings.get("filter"):
        _install_filter(bytes.fromhex(settings["filter"]))
    sys.path[:0] = settings["paths"]
    import _sitebuiltins  # what ``site`` would add; -S skips site

    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    path = settings["snippet"]
    with open(path, "rb") as handle:
        source = handle.read()
    sys.argv = [path]
    return path, source


def _main():
    import sys  # a local binding: the module globals are cleared before the snippet runs

    try:
        path, source = _boot()
    except BaseException as exc:
        import os

        sys.stderr.write(f"{BOOT_TAG} setup failed: {exc!r}\n")
        sys.stderr.flush()
        os._exit(BOOT_FAILED)
    import __main__

    namespace = __main__.__dict__
    for name in [n for n in namespace if n not in ("__name__", "__builtins__", "__doc__")]:
        del namespace[name]
    namespace.update({"__file__": path, "__doc__": None, "__spec__": None})
    try:
        exec(compile(source, path, "exec"), namespace)
    except SystemExit:
        raise
    except BaseException as exc:
        if isinstance(exc, MemoryError):
            namespace.clear()  # free the snippet's data so the report itself can allocate
        try:
            import traceback

            # Drop this bootstrap's own frame: the traceback starts in the snippet.
            traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        except BaseException:
            sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        sys.exit(1)


if __name__ == "__main__":
    _main()
