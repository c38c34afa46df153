"""Bounded fetching over HTTP(S): allowed schemes and addresses, redirects, size, time; errors name the limit hit.

Every URL a visitor or the command line gives goes through `fetch`. It accepts
https only and refuses hosts that resolve to loopback, private, link-local or
other non-public addresses (checked on every resolved address, again on the
connected socket, and after every redirect), follows at most a few redirects,
stops reading at a size cap (compressed and decompressed), and gives up after
a read timeout and an overall deadline. Tests (and only tests) may allow plain
http and local addresses with the setting `PDEVIDENCE_FETCH_ALLOW_LOCAL=1`.

Error messages name the address without user name, password or query string,
so nothing secret from a URL is ever echoed back.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import os
import socket
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pdevidence.metapsy.errors import SourceError

MB = 1024 * 1024
MAX_BYTES = 50 * MB  # a download (and an upload) may not be larger than this
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE_SECONDS = 30.0
TIMEOUT_SECONDS = READ_TIMEOUT  # kept for callers that pass one number
ALLOW_LOCAL_ENV = "PDEVIDENCE_FETCH_ALLOW_LOCAL"
USER_AGENT = "pdevidence-metapsy"
_CHUNK = 64 * 1024


class FetchError(SourceError):
    """A fetch stopped; `limit` says why: scheme, credentials, address, redirects, size,
    decompressed size, timeout, deadline, status, network or url."""

    def __init__(self, message: str, limit: str):
        self.limit = limit
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    """What one fetch may do. `allow_local` admits http and non-public addresses (tests only)."""

    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    deadline: float = DEADLINE_SECONDS
    allow_local: bool = False
    allow_hosts: frozenset[str] = frozenset()  # "host:port" admitted over http and on a local address

    @classmethod
    def default(cls, **changes) -> Limits:
        allow = os.environ.get(ALLOW_LOCAL_ENV, "").strip() == "1"
        return cls(**{"allow_local": allow, **changes})

    def admits(self, host: str, port: int) -> bool:
        """True if this host may be fetched over http and on a non-public address."""
        return self.allow_local or f"{host.lower()}:{port}" in self.allow_hosts

    def replace(self, **changes) -> Limits:
        return Limits(**{**self.__dict__, **changes})


def shown_url(url: str) -> str:
    """A URL fit for a message: scheme, host, port and path only (no user, password, query or fragment)."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid address)"
    if ":" in host:
        host = f"[{host}]"
    path = parts.path if len(parts.path) <= 200 else parts.path[:200] + "…"
    shown = urlunsplit((parts.scheme, host + port, path, "", ""))
    return shown + ("?…" if parts.query else "")


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local, reserved, multicast)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, limits: Limits) -> tuple[str, str, int]:
    """Scheme, host and port of a URL the limits allow, else FetchError (before anything is sent)."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{shown_url(url)} is not a valid web address.", "url") from exc
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("https", "http"):
        raise FetchError(f"{shown_url(url)} was refused: only https:// addresses are accepted.", "scheme")
    if parts.username is not None or parts.password is not None:
        raise FetchError(
            f"{shown_url(url)} was refused: addresses with a user name or password are not accepted.",
            "credentials",
        )
    if not host:
        raise FetchError(f"{shown_url(url)} has no host name.", "url")
    port = port or (443 if scheme == "https" else 80)
    if scheme == "http" and not limits.admits(host, port):
        raise FetchError(f"{shown_url(url)} was refused: only https:// addresses are accepted.", "scheme")
    return scheme, host, port


def resolve_checked(host: str, port: int, limits: Limits) -> list[str]:
    """Every address a host resolves to, all of them public unless the limits allow local ones."""
    # The system resolver has no timeout of its own: wait for it in a worker, at most the connect timeout.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        infos = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(limits.connect_timeout)
    except concurrent.futures.TimeoutError as exc:
        raise FetchError(
            f"the host {host[:100]} could not be looked up within {limits.connect_timeout:g} s (connect timeout).",
            "timeout",
        ) from exc
    except (socket.gaierror, UnicodeError, OSError, ValueError) as exc:
        raise FetchError(
            f"the host {host[:100]} could not be found (offline, or no such host).",
            "network",
        ) from exc
    finally:
        pool.shutdown(wait=False)
    addresses = sorted({info[4][0] for info in infos})
    if not limits.admits(host, port):
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise FetchError(
                f"the host {host[:100]} was refused: it points to a local, private or reserved address "
                "that this app does not fetch from.",
                "address",
            )
    return addresses


def _guarded(base):
    """A connection class that checks the address it actually connected to (against DNS rebinding)."""

    class Guarded(base):
        limits = Limits()

        def _new_conn(self):
            sock = super()._new_conn()
            if not self.limits.admits(self.host, self.port):
                peer = sock.getpeername()[0]
                if not is_public_address(peer):
                    sock.close()
                    raise FetchError(
                        f"the host {self.host[:100]} was refused: it connected to a local, private or reserved "
                        "address that this app does not fetch from.",
                        "address",
                    )
            return sock

    return Guarded


_GuardedHTTP = _guarded(HTTPConnection)
_GuardedHTTPS = _guarded(HTTPSConnection)


def _pool_manager(limits: Limits) -> urllib3.PoolManager:
    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = type("GuardedHTTP", (_GuardedHTTP,), {"limits": limits})

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = type("GuardedHTTPS", (_GuardedHTTPS,), {"limits": limits})

    manager = urllib3.PoolManager(
        num_pools=2,
        retries=False,
        timeout=urllib3.Timeout(connect=limits.connect_timeout, read=limits.read_timeout),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", "Connection": "close"},
    )
    manager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}
    return manager


class _Body:
    """Collects a response body up to the caps, decompressing gzip/deflate with a bound on the output."""

    def __init__(self, encoding: str, limits: Limits, url: str):
        self.limits = limits
        self.url = url
        self.raw = 0
        self.parts: list[bytes] = []
        self.size = 0
        encoding = (encoding or "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj(32 + zlib.MAX_WBITS)
        elif encoding in ("", "identity"):
            self.decoder = None
        else:
            raise FetchError(f"{shown_url(url)} sent an unsupported content encoding.", "status")

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limits.max_bytes:
            raise FetchError(
                f"{shown_url(self.url)} decompresses to more than {_mb(self.limits.max_bytes)}, the most this app "
                "reads; the download was stopped.",
                "decompressed size",
            )
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if self.raw > self.limits.max_bytes:
            raise FetchError(
                f"{shown_url(self.url)} is larger than {_mb(self.limits.max_bytes)}, the most this app downloads; "
                "the download was stopped.",
                "size",
            )
        if self.decoder is None:
            self._keep(chunk)
            return
        try:
            data = self.decoder.decompress(chunk, self.limits.max_bytes + 1 - self.size)
            self._keep(data)
            while self.decoder.unconsumed_tail:
                data = self.decoder.decompress(self.decoder.unconsumed_tail, self.limits.max_bytes + 1 - self.size)
                if not data:
                    break
                self._keep(data)
        except zlib.error as exc:
            raise FetchError(f"{shown_url(self.url)} sent a damaged compressed body.", "status") from exc

    def finish(self) -> bytes:
        if self.decoder is not None:
            try:
                self._keep(self.decoder.flush())
            except zlib.error as exc:
                raise FetchError(f"{shown_url(self.url)} sent a damaged compressed body.", "status") from exc
        return b"".join(self.parts)


def _mb(n: int) -> str:
    return f"{n / MB:g} MB" if n >= MB else f"{n:,} bytes"


def fetch(url: str, timeout: float | None = None, *, limits: Limits | None = None, progress=None) -> bytes:
    """The body of a URL within the limits, or FetchError saying which limit was hit.

    `timeout` (seconds) overrides the read timeout, for callers of the old signature.
    `progress(received_bytes, expected_bytes_or_None)` is called as the body arrives.
    """
    limits = limits or Limits.default()
    if timeout is not None:
        limits = limits.replace(read_timeout=float(timeout))
    start = time.monotonic()
    manager = _pool_manager(limits)
    current = str(url).strip()
    try:
        for _hop in range(limits.max_redirects + 1):
            _scheme, host, port = check_url(current, limits)
            resolve_checked(host, port, limits)
            remaining = limits.deadline - (time.monotonic() - start)
            if remaining <= 0:
                raise _deadline(current, limits)
            response = _request(manager, current, limits, remaining)
            try:
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError(f"{shown_url(current)} redirected nowhere.", "status")
                    current = urljoin(current, location)
                    continue
                if response.status != 200:
                    raise FetchError(f"{shown_url(current)} answered with HTTP status {response.status}.", "status")
                return _read_body(response, current, limits, start, progress)
            finally:
                # Never reuse a connection whose body was not read to the end.
                response.close()
                response.release_conn()
        raise FetchError(
            f"{shown_url(url)} redirected more than {limits.max_redirects} times; the fetch was stopped.",
            "redirects",
        )
    finally:
        manager.clear()


def _request(manager: urllib3.PoolManager, url: str, limits: Limits, remaining: float):
    timeout = urllib3.Timeout(
        connect=min(limits.connect_timeout, remaining), read=min(limits.read_timeout, max(remaining, 0.01))
    )
    try:
        return manager.request(
            "GET", url, preload_content=False, decode_content=False, redirect=False, retries=False, timeout=timeout
        )
    except FetchError:
        raise
    except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError) as exc:
        raise FetchError(f"{shown_url(url)} could not be reached (offline, or the server is down).", "network") from exc
    except urllib3.exceptions.ConnectTimeoutError as exc:
        raise FetchError(
            f"{shown_url(url)} did not answer within {limits.connect_timeout:g} s (connect timeout).", "timeout"
        ) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FetchError(
            f"{shown_url(url)} did not send anything within {limits.read_timeout:g} s (read timeout).", "timeout"
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        # The cause may hold a FetchError raised by the guarded connection.
        cause = exc
        while cause is not None:
            if isinstance(cause, FetchError):
                raise cause from None
            cause = cause.__cause__ or cause.__context__
        reason = getattr(exc, "reason", None)
        if isinstance(reason, FetchError):
            raise reason from None
        raise FetchError(f"{shown_url(url)} could not be reached (offline, or the server is down).", "network") from exc


def _read_body(response, url: str, limits: Limits, start: float, progress) -> bytes:
    declared = response.headers.get("Content-Length")
    expected = int(declared) if declared and declared.isdigit() else None
    if expected is not None and expected > limits.max_bytes:
        raise FetchError(
            f"{shown_url(url)} is {_mb(expected)}, more than the {_mb(limits.max_bytes)} this app downloads; "
            "nothing was downloaded.",
            "size",
        )
    body = _Body(response.headers.get("Content-Encoding", ""), limits, url)
    try:
        while True:
            if time.monotonic() - start > limits.deadline:
                raise _deadline(url, limits)
            chunk = response.read1(_CHUNK, decode_content=False)  # what has arrived, not a full chunk
            if not chunk:
                break
            body.feed(chunk)
            if progress is not None:
                progress(body.raw, expected)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FetchError(
            f"{shown_url(url)} stopped sending for more than {limits.read_timeout:g} s (read timeout).", "timeout"
        ) from exc
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchError(f"{shown_url(url)} broke off while sending.", "network") from exc
    if time.monotonic() - start > limits.deadline:
        raise _deadline(url, limits)
    return body.finish()


def _deadline(url: str, limits: Limits) -> FetchError:
    return FetchError(
        f"{shown_url(url)} took longer than {limits.deadline:g} s in all (overall time limit); the download was "
        "stopped.",
        "deadline",
    )


def gunzip_capped(data: bytes, max_bytes: int = MAX_BYTES, label: str = "the file") -> bytes:
    """The content of gzip data, refusing more than `max_bytes` once decompressed; other data as given."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"{label} is a damaged gzip file.", "decompressed size") from exc
    if len(out) > max_bytes or decoder.unconsumed_tail:
        raise FetchError(
            f"{label} decompresses to more than {_mb(max_bytes)}, the most this app reads.", "decompressed size"
        )
    return out
