"""A seccomp denylist compiled to classic BPF in pure Python (no libseccomp needed at run time).

The program is what ``seccomp_export_bpf`` would write: bubblewrap loads it with ``--seccomp FD``,
the subprocess backend installs it from inside the sandbox with ``prctl``. Syscall numbers come
from libseccomp's tables (x86_64 and aarch64); a unit test checks them against libseccomp.
"""

from __future__ import annotations

import errno
import platform
import struct
from dataclasses import dataclass

# Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000

# Offsets into ``struct seccomp_data`` (little-endian: an argument's low word comes first).
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_low(index: int) -> int:
    return 16 + 8 * index


AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000

# Denied with EPERM: mounts and namespaces, tracing other processes, kernel modules and kexec,
# eBPF/perf, keyrings, io_uring, clock/host settings, raw I/O ports and NUMA placement.
DENIED_SYSCALLS: tuple[str, ...] = (
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "acct", "quotactl", "quotactl_fd", "swapon", "swapoff", "syslog",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "iopl", "ioperm", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "personality", "vhangup",
    "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl",
    "mbind", "set_mempolicy", "migrate_pages", "move_pages",
)  # fmt: skip
EXEC_SYSCALLS: tuple[str, ...] = ("execve", "execveat")

SYSCALL_NUMBERS: dict[str, dict[str, int]] = {
    "x86_64": {
        "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
        "setns": 308, "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "mount_setattr": 442, "ptrace": 101,
        "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438,
        "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "init_module": 175,
        "finit_module": 313, "delete_module": 176, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249, "acct": 163,
        "quotactl": 179, "quotactl_fd": 443, "swapon": 167, "swapoff": 168, "syslog": 103,
        "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
        "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
        "open_by_handle_at": 304, "name_to_handle_at": 303, "lookup_dcookie": 212,
        "fanotify_init": 300, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "personality": 135, "vhangup": 153, "nfsservctl": 180,
        "uselib": 134, "ustat": 136, "sysfs": 139, "_sysctl": 156, "mbind": 237,
        "set_mempolicy": 238, "migrate_pages": 256, "move_pages": 279, "clone3": 435,
        "clone": 56, "fork": 57, "vfork": 58, "socket": 41, "socketpair": 53, "ioctl": 16,
        "execve": 59, "execveat": 322, "setsid": 112, "setpgid": 109,
    },
    "aarch64": {
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
        "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "ptrace": 117, "process_vm_readv": 270,
        "process_vm_writev": 271, "kcmp": 272, "pidfd_getfd": 438, "kexec_load": 104,
        "kexec_file_load": 294, "reboot": 142, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "keyctl": 219, "add_key": 217, "request_key": 218, "acct": 89, "quotactl": 60,
        "quotactl_fd": 443, "swapon": 224, "swapoff": 225, "syslog": 116, "settimeofday": 170,
        "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171, "sethostname": 161,
        "setdomainname": 162, "open_by_handle_at": 265, "name_to_handle_at": 264,
        "lookup_dcookie": 18, "fanotify_init": 262, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "personality": 92, "vhangup": 58,
        "nfsservctl": 42, "mbind": 235, "set_mempolicy": 237, "migrate_pages": 238,
        "move_pages": 239, "clone3": 435, "clone": 220, "socket": 198, "socketpair": 199,
        "ioctl": 29, "execve": 221, "execveat": 281, "setsid": 157, "setpgid": 154,
    },
}  # fmt: skip

# clone() flags that create namespaces; a snippet gets none of them.
CLONE_NAMESPACE_FLAGS = (
    0x00000080  # CLONE_NEWTIME
    | 0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)
CLONE_THREAD = 0x00010000
FORK_SYSCALLS: tuple[str, ...] = ("fork", "vfork")  # x86_64 only; aarch64 has just clone
# Without a pid namespace, leaving the process group would escape the group kill.
SESSION_SYSCALLS: tuple[str, ...] = ("setsid", "setpgid")
AF_UNIX = 1
TIOCSTI = 0x5412


class UnsupportedArchitecture(RuntimeError):
    """No syscall table for this machine: the seccomp layer is not available."""


def host_arch() -> str:
    """The running machine in this module's naming (``x86_64`` / ``aarch64``)."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


@dataclass(frozen=True)
class _Insn:
    code: int
    k: int
    jt: int | str = 0  # an int offset, or a label resolved by ``_assemble``
    jf: int | str = 0


def _ret_errno(err: int) -> int:
    return _RET_ERRNO | (err & 0xFFFF)


def _assemble(program: list[_Insn | str]) -> bytes:
    """Resolve labels (strings in the list) to relative jumps and pack ``struct sock_filter``."""
    labels: dict[str, int] = {}
    insns: list[_Insn] = []
    for item in program:
        if isinstance(item, str):
            labels[item] = len(insns)
        else:
            insns.append(item)

    def offset(target: int | str, here: int) -> int:
        if isinstance(target, int):
            return target
        delta = labels[target] - here - 1
        if not 0 <= delta <= 255:
            raise ValueError(f"jump to {target!r} out of range ({delta})")
        return delta

    return b"".join(
        struct.pack("=HBBI", i.code, offset(i.jt, n), offset(i.jf, n), i.k)
        for n, i in enumerate(insns)
    )


def build_filter(
    *,
    arch: str | None = None,
    base: bool = True,
    deny_exec: bool = False,
    deny_fork: bool = False,
    deny_session: bool = False,
) -> bytes:
    """A BPF program: ``base`` denies ``DENIED_SYSCALLS`` and namespace/raw-socket tricks,
    ``deny_exec`` denies starting programs, ``deny_fork`` (with ``base``) new processes but not
    threads, ``deny_session`` leaving the process group. Other architectures' calls are killed.
    """
    arch = arch or host_arch()
    if arch not in SYSCALL_NUMBERS:
        raise UnsupportedArchitecture(f"no seccomp syscall table for {arch!r}")
    numbers = SYSCALL_NUMBERS[arch]
    denied = [n for n in DENIED_SYSCALLS if n in numbers] if base else []
    if deny_exec:
        denied += EXEC_SYSCALLS
    if base and deny_fork:
        denied += [n for n in FORK_SYSCALLS if n in numbers]
    if deny_session:
        denied += SESSION_SYSCALLS
    p: list[_Insn | str] = [
        _Insn(_LD_W_ABS, _OFF_ARCH),
        _Insn(_JEQ_K, AUDIT_ARCH[arch], 1, 0),
        _Insn(_RET_K, RET_KILL_PROCESS),
        _Insn(_LD_W_ABS, _OFF_NR),
    ]
    if arch == "x86_64":  # the x32 ABI shares the arch value; refuse it outright
        p.append(_Insn(_JGE_K, _X32_SYSCALL_BIT, "deny", 0))
    p += [_Insn(_JEQ_K, numbers[name], "deny", 0) for name in denied]
    if base:
        p += [
            _Insn(_JEQ_K, numbers["clone3"], "enosys", 0),  # glibc then falls back to clone
            _Insn(_JEQ_K, numbers["clone"], "clone", 0),
            _Insn(_JEQ_K, numbers["socket"], "socket", 0),
            _Insn(_JEQ_K, numbers["socketpair"], "socket", 0),
            _Insn(_JEQ_K, numbers["ioctl"], "ioctl", 0),
        ]
    p.append(_Insn(_RET_K, RET_ALLOW))
    if base:
        p += [
            "clone",
            _Insn(_LD_W_ABS, _arg_low(0)),
            _Insn(_JSET_K, CLONE_NAMESPACE_FLAGS, "deny", 0),
            *([_Insn(_JSET_K, CLONE_THREAD, 0, "deny")] if deny_fork else []),
            _Insn(_RET_K, RET_ALLOW),
            "socket",
            _Insn(_LD_W_ABS, _arg_low(0)),
            _Insn(_JEQ_K, AF_UNIX, 0, "deny"),
            _Insn(_RET_K, RET_ALLOW),
            "ioctl",
            _Insn(_LD_W_ABS, _arg_low(1)),
            _Insn(_JEQ_K, TIOCSTI, "deny", 0),
            _Insn(_RET_K, RET_ALLOW),
            "enosys",
            _Insn(_RET_K, _ret_errno(errno.ENOSYS)),
        ]
    p += ["deny", _Insn(_RET_K, _ret_errno(errno.EPERM))]
    return _assemble(p)
