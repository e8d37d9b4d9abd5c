"""Real DNS servers as child processes: unbound and pdns-recursor as the operator's caching
resolver, BIND 9 as the authoritative server in place of the emulator.

Each runs in the foreground from a config generated into a temporary
directory (no daemonising, no chroot, no user switch, no system files),
listens on its own loopback address and port, and is ready when it answers
a query (polled, never a log line or a sleep): a resolver when it resolves
the zone's SOA through the authority, BIND when it answers that SOA itself.
It is stopped by its PID (SIGTERM, then SIGKILL to our own child if it
lingers). Their traffic with the harness's elements is recorded by those
elements (the WAP gateway's stub resolver, the authoritative emulator);
their own log stays in the temporary directory and its tail is shown when
one fails to start.

A missing program raises ``ToolMissing`` naming its Debian package, so the
harness can skip (or, in CI, fail) with that name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.trace import TraceRecorder

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.05


class ToolMissing(RuntimeError):
    def __init__(self, program: str, package: str) -> None:
        super().__init__(f"{program} not found (Debian package {package})")
        self.program = program
        self.package = package


class ToolFailed(RuntimeError):
    """A real server that would not start or answer; the message has its log's tail."""


def find(program: str, package: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if path is None:
        raise ToolMissing(program, package)
    return path


class _Answered(asyncio.DatagramProtocol):
    def __init__(self, qid: int) -> None:
        self.qid = qid
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        ours = len(data) >= 12 and int.from_bytes(data[:2], "big") == self.qid
        if ours and not self.answer.done():
            self.answer.set_result(data)


async def ask(server: tuple[str, int], name: str, qtype: int, timeout_s: float) -> int | None:
    """One query, not recorded (harness plumbing): the answer's rcode, or None."""
    loop = asyncio.get_running_loop()
    qid = int.from_bytes(os.urandom(2), "big")
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Answered(qid), remote_addr=server
    )
    try:
        transport.sendto(dns.build_query(name, qtype, id=qid))
        data = await asyncio.wait_for(protocol.answer, timeout_s)
        return dns.parse_response(data).rcode
    except (TimeoutError, OSError, dns.DnsFormatError):
        return None
    finally:
        transport.close()


class DnsProcess:
    """One real DNS server: ``await start()``, ``await stop()``, ``address``."""

    program = ""
    package = ""
    role = "DNS"

    def __init__(self, trace: TraceRecorder, host: str, port: int, zone: str) -> None:
        self.trace = trace
        self.host = host
        self.port = port
        self.zone = dns.name_key(zone)
        self.proc: asyncio.subprocess.Process | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self.directory = Path()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"

    def command(self, exe: str) -> list[str]:
        raise NotImplementedError

    def write_config(self) -> None:
        raise NotImplementedError

    async def ready(self) -> bool:
        """Answers the zone's SOA (a resolver: through the authority)."""
        return await ask(self.address, self.zone, dns.SOA, 0.5) == dns.NOERROR

    async def start(self) -> None:
        exe = find(self.program, self.package)
        self._dir = tempfile.TemporaryDirectory(prefix=f"mmsconf-{self.program}-")
        self.directory = Path(self._dir.name)
        self.write_config()
        self.trace.register(self.role, self.host, self.port, embedded=False)
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command(exe), stdout=log, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not await self.ready():
            if self.proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
                tail = self.log_tail()
                await self.stop()
                raise ToolFailed(
                    f"{self.program} did not answer at {self.host}:{self.port}: {tail}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), POLL_INTERVAL_S)

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:])

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                proc.kill()  # our own child, by its handle
                await proc.wait()
        if self._dir is not None:
            with contextlib.suppress(OSError):
                self._dir.cleanup()
            self._dir = None

    async def flush(self, name: str) -> None:
        """Forget what is cached for ``name`` (a resolver; an authority caches nothing)."""

    async def _control(self, *argv: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await asyncio.wait_for(proc.communicate(), STOP_TIMEOUT_S)
        text = out.decode("utf-8", "replace").strip()
        if proc.returncode != 0:
            raise ToolFailed(f"{' '.join(argv[:1] + argv[-2:])}: rc {proc.returncode}: {text}")
        return text


class Unbound(DnsProcess):
    """unbound as the caching resolver, with a stub zone to the authority."""

    program, package, role = "unbound", "unbound", "local DNS (unbound)"

    def __init__(
        self, trace: TraceRecorder, host: str, port: int, zone: str, authority: tuple[str, int]
    ) -> None:
        super().__init__(trace, host, port, zone)
        self.authority = authority

    @property
    def conf(self) -> Path:
        return self.directory / "unbound.conf"

    def write_config(self) -> None:
        auth_host, auth_port = self.authority
        self.conf.write_text(
            f"""server:
    interface: {self.host}@{self.port}
    port: {self.port}
    outgoing-interface: {self.host}
    do-ip6: no
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "{self.directory}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: no
    prefetch: no
stub-zone:
    name: "{self.zone}"
    stub-addr: {auth_host}@{auth_port}
remote-control:
    control-enable: yes
    control-interface: "{self.directory / "unbound.ctl"}"
    control-use-cert: no
""",
            encoding="utf-8",
        )

    def command(self, exe: str) -> list[str]:
        return [exe, "-d", "-c", str(self.conf)]

    async def flush(self, name: str) -> None:
        control = find("unbound-control", "unbound")
        await self._control(control, "-c", str(self.conf), "flush", dns.name_key(name))


class PdnsRecursor(DnsProcess):
    """PowerDNS Recursor as the caching resolver, forwarding the zone to the authority."""

    program, package, role = "pdns_recursor", "pdns-recursor", "local DNS (pdns-recursor)"

    def __init__(
        self, trace: TraceRecorder, host: str, port: int, zone: str, authority: tuple[str, int]
    ) -> None:
        super().__init__(trace, host, port, zone)
        self.authority = authority

    def write_config(self) -> None:
        auth_host, auth_port = self.authority
        (self.directory / "recursor.conf").write_text(
            f"""local-address={self.host}
local-port={self.port}
query-local-address={self.host}
forward-zones={self.zone.rstrip(".")}={auth_host}:{auth_port}
socket-dir={self.directory}
daemon=no
write-pid=no
threads=1
dnssec=off
dont-query=
security-poll-suffix=
quiet=yes
""",
            encoding="utf-8",
        )

    def command(self, exe: str) -> list[str]:
        return [exe, f"--config-dir={self.directory}"]

    async def flush(self, name: str) -> None:
        control = find("rec_control", "pdns-recursor")
        await self._control(
            control, f"--socket-dir={self.directory}", "wipe-cache", dns.name_key(name)
        )


class Bind9(DnsProcess):
    """BIND 9's named as the authoritative server of the zone, from a master file.

    named listens only on addresses an interface has: 127.0.0.1 here, on a
    port of its own (INTEROP-NOTES.md §10).
    """

    program, package, role = "named", "bind9", "authoritative DNS (BIND 9)"

    def __init__(self, trace: TraceRecorder, port: int, zone: str, zone_file: str) -> None:
        super().__init__(trace, "127.0.0.1", port, zone)
        self.zone_text = zone_file

    def write_config(self) -> None:
        d = self.directory
        (d / "zone.db").write_text(self.zone_text, encoding="utf-8")
        (d / "named.conf").write_text(
            f"""options {{
    directory "{d}";
    listen-on port {self.port} {{ {self.host}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
}};
controls {{ }};
zone "{self.zone.rstrip(".")}" {{ type master; file "{d}/zone.db"; }};
""",
            encoding="utf-8",
        )

    def command(self, exe: str) -> list[str]:
        argv = [exe, "-g", "-c", str(self.directory / "named.conf")]
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        return argv
