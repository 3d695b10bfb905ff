"""A real SMTP server for the tests (aiosmtpd, from PyPI) that insists on STARTTLS and on
authentication over TLS, and saves every message it accepts, exactly as received.

Usage: smtp_tls_server.py <out_dir>
Writes <out_dir>/ca.pem (the CA that signed its certificate, for the portal to trust), prints
the port it listens on, then serves until its standard input closes. Each accepted
message becomes <out_dir>/<n>.eml with <out_dir>/<n>.json describing the session.
"""
import json
import socket
import ssl
import subprocess
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

USER, PASSWORD = "portal", "relay-password-0451"


class Saver:
    def __init__(self, out: Path):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = self.out / str(self.count)
        stem.with_suffix(".eml").write_bytes(envelope.original_content or envelope.content)
        stem.with_suffix(".json").write_text(json.dumps({
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
        }))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (getattr(auth_data, "login", b"") == USER.encode()
          and getattr(auth_data, "password", b"") == PASSWORD.encode())
    return AuthResult(success=ok)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    # A private CA (ca.pem, which the portal is told to trust) and the relay's own
    # certificate signed by it, as a company's internal relay would have.
    ca, ca_key = out / "ca.pem", out / "ca.key"
    cert, key, request = out / "cert.pem", out / "key.pem", out / "relay.csr"
    extensions = out / "relay.ext"
    extensions.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    for command in [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test relay CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
         "-keyout", str(ca_key), "-out", str(ca)],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(request)],
        ["x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert)],
    ]:
        subprocess.run(["openssl", *command], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    # aiosmtpd checks its own start by connecting to the port, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Saver(out), hostname="127.0.0.1", port=port,
        tls_context=context, require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=authenticator,
    )
    controller.start()
    print(port, flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
