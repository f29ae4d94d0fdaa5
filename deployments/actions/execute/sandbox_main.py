"""The first code run inside the sandbox (``python -I -S -c <this file> <settings JSON>``).

Stand-alone on purpose (the sandbox sees none of this project): it sets the rlimits, applies
the Landlock rules and the in-process seccomp filter when given, puts the allowed packages on
``sys.path``, then runs the snippet as ``__main__`` with tracebacks that start at its own frames.
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


def _landlock(read_paths, write_paths) -> None:
    """Restrict file access to ``read_paths`` (read, execute) and ``write_paths`` (all), and
    where the kernel allows, TCP and signals/abstract sockets outside this process tree."""
    import ctypes
    import os
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    create, add_rule, restrict = 444, 445, 446  # the same numbers on x86_64 and aarch64
    abi = libc.syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # VERSION flag
    if abi < 1:
        raise OSError(ctypes.get_errno(), "Landlock is not available")
    handled = (1 << 13) - 1  # ABI 1: execute, read/write file, read dir, make/remove ...
    handled |= (1 << 13 if abi >= 2 else 0) | (1 << 14 if abi >= 3 else 0)  # refer, truncate
    handled |= 1 << 15 if abi >= 5 else 0  # ioctl on devices
    file_rights = handled & (1 | 2 | 4 | 1 << 14 | 1 << 15)
    read_rights = 1 | 4 | 8  # execute, read file, read dir
    fields = [handled]
    if abi >= 4:
        fields.append(1 | 2)  # TCP bind and connect: none allowed
    if abi >= 6:
        fields.append(1 | 2)  # scoped: abstract unix sockets and signals
    attr = ctypes.create_string_buffer(struct.pack(f"={len(fields)}Q", *fields))
    ruleset = libc.syscall(create, attr, ctypes.c_size_t(len(attr.raw)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        rules = [(p, read_rights) for p in read_paths] + [(p, handled) for p in write_paths]
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                allowed = rights if os.path.isdir(path) else rights & file_rights
                rule = ctypes.create_string_buffer(struct.pack("=Qi", allowed, fd))
                if libc.syscall(add_rule, ruleset, 1, rule, ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        if libc.prctl(38, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(restrict, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _boot():
    import builtins
    import json
    import resource

    settings = json.loads(sys.argv[1])
    if settings.get("prefix") and sys.base_prefix != settings["prefix"]:
        raise RuntimeError(f"interpreter prefix is {sys.base_prefix}, not {settings['prefix']}")
    for name, (soft, hard) in settings["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if settings.get("landlock"):
        _landlock(settings["landlock"]["read"], settings["landlock"]["write"])
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
