"""A stand-in for BSrE's e-sign API v2 on 127.0.0.1, in a thread: nothing in the tests leaves the machine.

It answers as the documented API does: `POST /api/v2/sign/pdf` (nik, passphrase,
signatureProperties, file[] in base64) → {"file": [signed base64]}; `POST /api/v2/seal/pdf`
(idSubscriber, totp, …); `POST /api/v2/verify/pdf` → {"conclusion", "signatureInformations"};
errors as {"status_code", "error"} with HTTP 400/401/500. It signs for real, with a test "BSrE"
CA made by cases.pki, so the verification page can tell a BSrE signature from a local one.
"""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cases import pades

USERNAME, PASSWORD = "sop-portal", "rahasia-aplikasi"
NIK, PASSPHRASE = "3508011204700001", "passphrase-benar"
SLOW_NIK = "3508011204700009"  # answers after the client's timeout
BROKEN_NIK = "3508011204700005"  # the server fails (HTTP 500, an HTML page)


class BsreStub:
    def __init__(self, *, p12, ca_pem, signer):
        self.p12, self.ca_pem, self.signer = p12, ca_pem, signer
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, answer = stub.answer(self.path, self.headers.get("Authorization"), body)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(answer, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except BrokenPipeError:  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path, auth, body):
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if auth != expected:
            return 401, {"status_code": 401, "error": "Unauthorized"}
        if path == "/api/v2/sign/pdf":
            return self.sign(body)
        if path == "/api/v2/seal/pdf":
            if not body.get("idSubscriber") or not body.get("totp"):
                return 400, {"status_code": 2041, "error": "idSubscriber atau totp salah"}
            return self.signed(body, {"name": "Segel Elektronik (uji)"})
        if path == "/api/v2/verify/pdf":
            pdf = base64.b64decode(body["file"])
            signed = b"/ByteRange" in pdf
            return 200, {
                "conclusion": "VALID" if signed else "NO_SIGNATURE",
                "description": "Dokumen valid" if signed else "Dokumen tidak memiliki tanda tangan",
                "signatureInformations": [{"signerName": self.signer["name"]}] if signed else [],
            }
        return 404, {"status_code": 404, "error": "Not Found"}

    def sign(self, body):
        missing = [key for key in ("nik", "passphrase", "signatureProperties", "file") if not body.get(key)]
        if missing:
            return 400, {"status_code": 2001, "error": f"Parameter {', '.join(missing)} wajib diisi"}
        if body["nik"] == SLOW_NIK:
            time.sleep(1)
        if body["nik"] == BROKEN_NIK:
            return 500, b"<html><body>Internal Server Error</body></html>"
        if body["nik"] != NIK:
            return 400, {"status_code": 2011, "error": "Pengguna tidak terdaftar"}
        if body["passphrase"] != PASSPHRASE:
            return 400, {"status_code": 2031, "error": "Passphrase anda salah"}
        return self.signed(body, self.signer)

    def signed(self, body, signer):
        props = body["signatureProperties"][0]
        box = None
        if props.get("tampilan") == "VISIBLE":
            x, y = props["originX"], props["originY"]
            box = pades.Box(x, y, x + props["width"], y + props["height"])
        pdf = base64.b64decode(body["file"][0])
        out = pades.sign_with_p12(
            pdf, p12=self.p12, ca_pem=self.ca_pem, signer=signer, box=box, reason=props.get("reason", ""), location=""
        )
        return 200, {"file": [base64.b64encode(out).decode()]}
