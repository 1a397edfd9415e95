"""Time of a PAdES signature (cases/pades.py): keys, signing and validating one final letter.

    .venv/bin/python bench/signing.py            # BENCH_RUNS (default 20) signatures

No database: a throw-away agency CA and certificate in a temporary SIGNING_KEYS_DIR. The PDF is
a one-page letter rendered by WeasyPrint, as large as a real SPM. Prints a Markdown table.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sop_portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["SIGNING_KEYS_DIR"] = tempfile.mkdtemp(prefix="bench-keys-")
os.environ.setdefault("SIGNING_KEY_PASSPHRASE", "bench-passphrase")


def timed(call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main(runs):
    import django

    django.setup()
    from weasyprint import HTML

    from agencies.models import Agency
    from cases import pades, pki

    agency = Agency(slug="bench", name="Dinas Sosial Kabupaten Contoh", region="Kabupaten Contoh")
    paragraphs = "".join(f"<p>Paragraf {i}: " + "isi surat pernyataan miskin " * 12 + "</p>" for i in range(14))
    pdf = HTML(string=f"<html><body><h1>Surat Pernyataan Miskin</h1>{paragraphs}</body></html>").write_pdf()
    signer = {"name": "Dra. CONTOH PEJABAT", "title": "Kepala Dinas Sosial", "nip": "196406171996032002"}
    box = pades.Box(150, 60, 377, 128)

    rows = [("agency CA (EC P-256, PKCS#12)", timed(lambda: pki.create_ca(agency, force=True), 3))]
    issued = []
    rows.append(
        (
            "official's certificate",
            timed(
                lambda: issued.append(
                    pki._issue(agency, kind=pki.PERSON, name=signer["name"], nip=signer["nip"], title="")
                ),
                3,
            ),
        )
    )
    p12, ca = (path.read_bytes() for path in pki.signing_files(agency, issued[-1]))
    signed = []

    def sign():
        signed.append(
            pades.sign_with_p12(pdf, p12=p12, ca_pem=ca, signer=signer, box=box, reason="uji", location="Contoh")
        )

    sign()  # imports and first use
    rows.append(("PAdES B-B signature, visible box", timed(sign, runs)))
    rows.append(("validation (pyHanko, chain + CRL)", timed(lambda: pades.validate(signed[-1], agency), runs)))
    print(f"PDF {len(pdf) // 1024} KiB, signed {len(signed[-1]) // 1024} KiB, {runs} runs\n")
    print("| step | median ms | p95 ms |\n|---|---:|---:|")
    for label, (median, p95) in rows:
        print(f"| {label} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main(int(os.environ.get("BENCH_RUNS", "20")))
