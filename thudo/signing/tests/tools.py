"""Independent checkers for the signing tests: OpenSSL, and poppler's ``pdfsig`` over an
NSS database that trusts the platform's root, with our OCSP responder reachable over HTTP
the way NSS asks it (GET of the base64 request, or POST)."""

from __future__ import annotations

import base64
import queue
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from thudo.signing import pki, runtime

PDF_TOOLS = ("pdfsig", "certutil", "pdftotext")


def pem(certificate: x509.Certificate, path: Path) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def authority_pem(code: str, folder: Path) -> Path:
    return pem(runtime.authority(code).certificate, folder / f"{code}.pem")


def run(
    *args: str | Path, check: bool = False, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A tool's run, text in and out; ``check`` asserts exit status 0."""
    done = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    if check:
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def require_pdf_tools() -> None:
    """Skip (fail in CI, ``THUDO_REQUIRE_PDF_TOOLS``) when poppler or NSS tools are missing."""
    missing = [tool for tool in PDF_TOOLS if shutil.which(tool) is None]
    if missing:
        reason = (
            f"PDF tool tests skipped: {', '.join(missing)} not installed "
            "(apt install poppler-utils libnss3-tools)"
        )
        if settings.THUDO_REQUIRE_PDF_TOOLS:
            pytest.fail(reason.replace("skipped", "cannot run"))
        pytest.skip(reason)


def nss_database(folder: Path) -> str:
    """An NSS database in ``folder`` that trusts the platform's root for signing."""
    folder.mkdir(parents=True, exist_ok=True)
    root = authority_pem(pki.ROOT, folder)
    run("certutil", "-N", "-d", f"sql:{folder}", "--empty-password", check=True)
    run("certutil", "-A", "-d", f"sql:{folder}", "-n", "thudo-root", "-t", "CT,C,C", "-i", root,
        check=True)  # fmt: skip
    return f"sql:{folder}"


@dataclass
class PdfSig:
    """One signature as pdfsig reports it."""

    field_name: str = ""
    signer: str = ""
    signature: str = ""
    certificate: str = ""
    whole_document: bool = False
    lines: list[str] = field(default_factory=list)


def parse_pdfsig(output: str) -> list[PdfSig]:
    found: list[PdfSig] = []
    for line in output.splitlines():
        text = line.strip()
        if text.startswith("Signature #"):
            found.append(PdfSig())
            continue
        if not found:
            continue
        current = found[-1]
        current.lines.append(text)
        key, _sep, value = text.removeprefix("- ").partition(": ")
        if key == "Signature Field Name":
            current.field_name = value
        elif key == "Signer Certificate Common Name":
            current.signer = value
        elif key == "Signature Validation":
            current.signature = value
        elif key == "Certificate Validation":
            current.certificate = value
        elif text == "- Total document signed":
            current.whole_document = True
    return found


class OcspResponder:
    """``/signing/ocsp`` on 127.0.0.1, answered by ``runtime.ocsp_der`` in the test's own
    thread: the test's database transaction is visible only there, so the HTTP thread
    hands each request over and waits for the answer."""

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[bytes, queue.Queue[bytes]]] = queue.Queue()
        self.seen: list[str] = []
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                encoded = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
                responder.seen.append("GET")
                self._answer(base64.b64decode(encoded))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                responder.seen.append("POST")
                self._answer(body)

            def _answer(self, request: bytes) -> None:
                reply: queue.Queue[bytes] = queue.Queue()
                responder.requests.put((request, reply))
                try:
                    der = reply.get(timeout=60)
                except queue.Empty:
                    self.send_error(503)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(der)))
                self.end_headers()
                self.wfile.write(der)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a tool, answering its OCSP requests meanwhile."""
        process = subprocess.Popen(
            [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            try:
                request, reply = self.requests.get(timeout=0.02)
            except queue.Empty:
                continue
            reply.put(runtime.ocsp_der(request))
        if process.poll() is None:
            process.kill()
        stdout, stderr = process.communicate()
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def ocsp_responder() -> Iterator[OcspResponder]:
    responder = OcspResponder()
    try:
        yield responder
    finally:
        responder.close()


# poppler 22.x reads NSS's last error code after CERT_PKIXVerifyCert without looking at
# its result, so from the second signature of a file on, a stale code (left by the first
# signature's failed NSS_Shutdown) can turn a trusted certificate into this message.
# Later releases check the result. Signatures that pdfsig reports so are checked with
# OpenSSL instead (``openssl_cms_verify``).
POPPLER_STALE_ERROR = "Unknown issue with Certificate or corrupted data."


def poppler_version() -> tuple[int, int]:
    done = run("pdfsig", "-v")
    match = re.search(r"pdfsig version (\d+)\.(\d+)", done.stdout + done.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def openssl_cms_verify(path: Path) -> list[tuple[int, str]]:
    """Each signature of the PDF at ``path`` checked by OpenSSL alone: the CMS (dumped by
    pdfsig) over the bytes its /ByteRange names, its chain to our root (``root.pem``
    beside the file), purpose S/MIME signing. Returns (exit status, message) per signature."""
    folder = path.parent
    run("pdfsig", "-nocert", "-no-ocsp", "-dump", path.name, check=False, cwd=folder)
    data = path.read_bytes()
    ranges = [
        [int(n) for n in match.groups()]
        for match in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    ]
    results = []
    for index, (a, b, c, d) in enumerate(ranges):
        content = folder / f"{path.name}.content{index}"
        content.write_bytes(data[a : a + b] + data[c : c + d])
        done = run("openssl", "cms", "-verify", "-binary", "-inform", "DER",
                   "-in", folder / f"{path.name}.sig{index}", "-content", content,
                   "-CAfile", folder / "root.pem", "-out", "/dev/null")  # fmt: skip
        results.append((done.returncode, done.stderr.strip().splitlines()[0]))
    return results
