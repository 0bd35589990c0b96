"""A real SMTP server on loopback for Taskport's email tests (aiosmtpd).

Each message it accepts is written to the spool folder as <n>.eml (the data as received) and
<n>.json (the envelope: sender and recipients). With --auth USER:PASSWORD it offers AUTH PLAIN
and LOGIN (only LOGIN with --login-only) and accepts mail only from a client that authenticated
with those. With --starttls DIR it makes a self-signed certificate for 127.0.0.1 in DIR
(cert.pem, key.pem, with openssl) and requires STARTTLS before anything else. It prints "ready"
once it listens (with --port 0, "ready <port>" on the port it was given) and runs until it is
terminated.
"""
import argparse
import json
import pathlib
import signal
import socket
import ssl
import subprocess
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Spool:
    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = len(list(self.folder.glob("*.eml"))) + 1
            (self.folder / f"{number}.json").write_text(
                json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos})
            )
            (self.folder / f"{number}.eml").write_bytes(envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spool", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--login-only", action="store_true")
    parser.add_argument("--starttls")
    arguments = parser.parse_args()
    folder = pathlib.Path(arguments.spool)
    folder.mkdir(parents=True, exist_ok=True)
    options = {}
    if arguments.auth:
        user, password = arguments.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        if arguments.login_only:
            options["auth_exclude_mechanism"] = ["PLAIN"]
    if arguments.starttls:
        folder_tls = pathlib.Path(arguments.starttls)
        folder_tls.mkdir(parents=True, exist_ok=True)
        cert, key = folder_tls / "cert.pem", folder_tls / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        options.update({"tls_context": context, "require_starttls": True})
    port = arguments.port
    if port == 0:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(Spool(folder), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"ready {port}", flush=True)
    stop = threading.Event()
    # A parent may start us with these blocked (the mask is inherited); take them back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.1):  # a bare wait() would not let the signal handlers run
        pass
    controller.stop()


if __name__ == "__main__":
    main()
