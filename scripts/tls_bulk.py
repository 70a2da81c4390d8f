#!/usr/bin/env python3
"""TLS 1.3 bulk-transfer baseline for ztp-bench (issue 5).

Runs a TLS 1.3 server and client on loopback, in two processes (as ZTP's bench does), and
moves BYTES bytes in CHUNK-byte writes in one direction:

  up    the client sends, the server reads everything and answers one byte;
  down  the client sends a request, the server sends, the client reads everything.

Time runs at the client from the first byte it writes to the last one it reads, as in
ztp-bench. The cipher is forced to TLS_CHACHA20_POLY1305_SHA256 on both sides; Python's ssl
module has no set_ciphersuites before 3.13, so this script points OPENSSL_CONF at a config
that sets it for the whole OpenSSL library, before ssl is imported. It checks the negotiated
cipher and fails otherwise.

Prints one JSON object: {"direction", "bytes", "chunk", "seconds", "mb_per_s", "cipher", "version"}.
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import time

SUITE = "TLS_CHACHA20_POLY1305_SHA256"


def force_suite():
    """Writes an OpenSSL config that allows only TLS 1.3 with SUITE, and makes it the library's."""
    if hasattr(__import__("ssl").SSLContext, "set_ciphersuites"):
        return None
    conf = tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False)
    conf.write(
        "openssl_conf = openssl_init\n"
        "[openssl_init]\nssl_conf = ssl_sect\n"
        "[ssl_sect]\nsystem_default = system_default_sect\n"
        f"[system_default_sect]\nMinProtocol = TLSv1.3\nCiphersuites = {SUITE}\n"
    )
    conf.close()
    return conf.name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--direction", choices=["up", "down"], required=True)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()

    if "ZTP_BENCH_SSL_CONF" not in os.environ:
        # OpenSSL reads its config once, at first use: set it, then start afresh.
        path = force_suite()
        if path is not None:
            env = dict(os.environ, OPENSSL_CONF=path, ZTP_BENCH_SSL_CONF=path)
            os.execve(sys.executable, [sys.executable] + sys.argv, env)

    import ssl  # noqa: E402  (after OPENSSL_CONF is set)

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    pid = os.fork()
    if pid == 0:
        listener_child = listener
        try:
            serve(ssl, listener_child, args)
        finally:
            os._exit(0)
    listener.close()
    try:
        result = client(ssl, port, args)
    finally:
        os.waitpid(pid, 0)
    conf = os.environ.get("ZTP_BENCH_SSL_CONF")
    if conf:
        os.unlink(conf)
    print(json.dumps(result))


def serve(ssl, listener, args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(args.cert, args.key)
    raw, _ = listener.accept()
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with context.wrap_socket(raw, server_side=True) as conn:
        if args.direction == "up":
            read_exactly(conn, args.bytes, args.chunk)
            conn.sendall(b"k")
        else:
            read_exactly(conn, 1, 1)
            write_all(conn, args.bytes, args.chunk)
            read_exactly(conn, 1, 1)


def client(ssl, port, args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with context.wrap_socket(raw) as conn:
        cipher, version, _ = conn.cipher()
        if cipher != SUITE or version != "TLSv1.3":
            raise SystemExit(f"negotiated {version} {cipher}, not TLSv1.3 {SUITE}")
        start = time.perf_counter()
        if args.direction == "up":
            write_all(conn, args.bytes, args.chunk)
            read_exactly(conn, 1, 1)
        else:
            conn.sendall(b"g")
            read_exactly(conn, args.bytes, args.chunk)
        seconds = time.perf_counter() - start
        if args.direction == "down":
            conn.sendall(b"k")
    return {
        "direction": args.direction,
        "bytes": args.bytes,
        "chunk": args.chunk,
        "seconds": seconds,
        "mb_per_s": args.bytes / seconds / 1e6,
        "cipher": cipher,
        "version": version,
    }


def write_all(conn, count, chunk):
    block = b"\xa5" * chunk
    view = memoryview(block)
    while count > 0:
        n = min(count, chunk)
        conn.sendall(view[:n])
        count -= n


def read_exactly(conn, count, chunk):
    buffer = bytearray(max(chunk, 1))
    view = memoryview(buffer)
    while count > 0:
        n = conn.recv_into(view, min(count, len(buffer)))
        if n == 0:
            raise SystemExit("peer closed early")
        count -= n


if __name__ == "__main__":
    main()
