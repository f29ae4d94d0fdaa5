"""The BPF denylist: decisions checked with a small classic-BPF interpreter, syscall numbers
checked against libseccomp (Debian python3-seccomp) when the system Python has it."""

from __future__ import annotations

import errno
import json
import shutil
import struct
import subprocess

import pytest

from deployments.actions.execute import seccomp_filter as sf

ALLOW = sf.RET_ALLOW
KILL = sf.RET_KILL_PROCESS
EPERM = 0x00050000 | errno.EPERM
ENOSYS = 0x00050000 | errno.ENOSYS


def evaluate(program: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """Run the classic BPF program on one ``struct seccomp_data``."""
    args = tuple(args) + (0,) * (6 - len(args))
    data = struct.pack("<iIQ6Q", nr, arch, 0, *args)
    insns = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == 0x20:  # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code == 0x15:  # jeq
            pc += 1 + (jt if acc == k else jf)
        elif code == 0x35:  # jge
            pc += 1 + (jt if acc >= k else jf)
        elif code == 0x45:  # jset
            pc += 1 + (jt if acc & k else jf)
        elif code == 0x06:  # ret
            return k
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")


@pytest.fixture(params=sorted(sf.SYSCALL_NUMBERS))
def arch(request) -> str:
    return request.param


def test_program_is_whole_instructions_and_checks_the_architecture(arch):
    program = sf.build_filter(arch=arch)
    assert len(program) % 8 == 0 and len(program) // 8 < 4096
    other = next(v for a, v in sf.AUDIT_ARCH.items() if a != arch)
    assert evaluate(program, 0, other) == KILL


def test_denylist_and_ordinary_calls(arch):
    program = sf.build_filter(arch=arch)
    numbers, audit = sf.SYSCALL_NUMBERS[arch], sf.AUDIT_ARCH[arch]
    for name in sf.DENIED_SYSCALLS:
        if name in numbers:
            assert evaluate(program, numbers[name], audit) == EPERM, name
    for allowed in (0, 1, 3, 63):  # read/write/close-like numbers on both tables
        if allowed not in {numbers[n] for n in sf.DENIED_SYSCALLS if n in numbers}:
            assert evaluate(program, allowed, audit) == ALLOW
    assert evaluate(program, numbers["execve"], audit) == ALLOW  # not without deny_exec
    assert evaluate(program, numbers["clone3"], audit) == ENOSYS


def test_argument_rules(arch):
    program = sf.build_filter(arch=arch)
    numbers, audit = sf.SYSCALL_NUMBERS[arch], sf.AUDIT_ARCH[arch]
    clone, socket, ioctl = numbers["clone"], numbers["socket"], numbers["ioctl"]
    assert evaluate(program, clone, audit, (0x11,)) == ALLOW  # plain fork (SIGCHLD)
    assert evaluate(program, clone, audit, (0x10000000 | 0x11,)) == EPERM  # CLONE_NEWUSER
    assert evaluate(program, clone, audit, (0x40000000,)) == EPERM  # CLONE_NEWNET
    assert evaluate(program, socket, audit, (1,)) == ALLOW  # AF_UNIX
    assert evaluate(program, socket, audit, (2,)) == EPERM  # AF_INET
    assert evaluate(program, socket, audit, (10,)) == EPERM  # AF_INET6
    assert evaluate(program, ioctl, audit, (1, 0x5412)) == EPERM  # TIOCSTI
    assert evaluate(program, ioctl, audit, (1, 0x5401)) == ALLOW  # TCGETS


def test_exec_and_fork_denial(arch):
    numbers, audit = sf.SYSCALL_NUMBERS[arch], sf.AUDIT_ARCH[arch]
    exec_only = sf.build_filter(arch=arch, base=False, deny_exec=True)
    assert evaluate(exec_only, numbers["execve"], audit) == EPERM
    assert evaluate(exec_only, numbers["execveat"], audit) == EPERM
    assert evaluate(exec_only, numbers["mount"], audit) == ALLOW
    no_fork = sf.build_filter(arch=arch, deny_fork=True)
    thread_flags = 0x003D0F00  # what glibc's pthread_create passes (CLONE_THREAD|CLONE_VM|...)
    assert evaluate(no_fork, numbers["clone"], audit, (thread_flags,)) == ALLOW
    assert evaluate(no_fork, numbers["clone"], audit, (0x11,)) == EPERM
    if "fork" in numbers:
        assert evaluate(no_fork, numbers["fork"], audit) == EPERM


def test_session_denial(arch):
    numbers, audit = sf.SYSCALL_NUMBERS[arch], sf.AUDIT_ARCH[arch]
    program = sf.build_filter(arch=arch, deny_session=True)
    assert evaluate(program, numbers["setsid"], audit) == EPERM
    assert evaluate(program, numbers["setpgid"], audit) == EPERM
    assert evaluate(sf.build_filter(arch=arch), numbers["setsid"], audit) == ALLOW


def test_x32_calls_are_refused_on_x86_64():
    program = sf.build_filter(arch="x86_64")
    assert evaluate(program, 0x40000000 | 1, sf.AUDIT_ARCH["x86_64"]) == EPERM


def test_unknown_architecture_is_reported():
    with pytest.raises(sf.UnsupportedArchitecture):
        sf.build_filter(arch="riscv64")


def test_syscall_numbers_match_libseccomp():
    system_python = shutil.which("python3", path="/usr/bin")
    if system_python is None:
        pytest.skip("no system python3")
    names = sorted({n for table in sf.SYSCALL_NUMBERS.values() for n in table})
    script = (
        "import json, sys, seccomp\n"
        "names = json.loads(sys.argv[1])\n"
        "out = {}\n"
        "for label, arch in (('x86_64', seccomp.Arch.X86_64), ('aarch64', seccomp.Arch.AARCH64)):\n"
        "    out[label] = {n: seccomp.resolve_syscall(arch, n) for n in names}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [system_python, "-c", script, json.dumps(names)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip("python3-seccomp not installed")
    reference = json.loads(done.stdout)
    for arch, table in sf.SYSCALL_NUMBERS.items():
        for name, number in table.items():
            assert reference[arch][name] == number, (arch, name)
