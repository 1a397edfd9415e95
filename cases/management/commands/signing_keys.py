from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency, Official
from cases import pki

HELP = {
    "setup": "CA bila belum ada, sertifikat untuk setiap pejabat yang menjabat hari ini, dan segel elektronik",
    "ca": "membuat CA instansi (--force mengganti CA lama: semua sertifikat lama tak lagi dipercaya)",
    "issue": "menerbitkan sertifikat untuk pejabat yang menjabat hari ini dan belum punya (atau --nip)",
    "seal": "menerbitkan segel elektronik instansi (untuk dokumen yang diterbitkan sistem)",
    "rotate": "kunci baru untuk pejabat ber-NIP ini; sertifikat lamanya dicabut (superseded)",
    "revoke": "mencabut sertifikat (--serial) atau semua sertifikat satu NIP (--nip), lalu menulis CRL",
    "crl": "menulis ulang CRL (jalankan dari cron sebelum masa berlakunya habis, 30 hari)",
    "list": "daftar sertifikat yang diterbitkan",
}


class Command(BaseCommand):
    help = "Kunci tanda tangan elektronik instansi (CA sendiri, PKCS#12 terenkripsi): " + "; ".join(
        f"{name}: {text}" for name, text in HELP.items()
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=list(HELP))
        parser.add_argument("agency", nargs="?", help="kode URL instansi; kosong: semua instansi")
        parser.add_argument("--nip", default="")
        parser.add_argument("--serial", default="")
        parser.add_argument("--reason", default="", help="alasan pencabutan, mis. berhenti menjabat")
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, action, agency, nip, serial, reason, force, **options):
        agencies = Agency.objects.filter(slug=agency) if agency else Agency.objects.order_by("slug")
        if agency and not agencies.exists():
            raise CommandError(f"Instansi {agency} tidak ada.")
        try:
            for each in agencies:
                self._one(action, each, nip=nip, serial=serial, reason=reason, force=force)
        except pki.KeysError as exc:
            raise CommandError(str(exc)) from exc

    def _one(self, action, agency, *, nip, serial, reason, force):
        if action == "setup":
            made = pki.setup(agency)
            self._say(agency, f"{len(made)} sertifikat baru", made)
        elif action == "ca":
            cert = pki.create_ca(agency, force=force)
            self._say(agency, f"CA dibuat: {cert.subject.rfc4514_string()}")
        elif action == "issue":
            officials = [self._official(agency, nip)] if nip else pki.current_holders(agency)
            wanted = [o for o in officials if nip or not pki.active_for(agency, nip=o.nip)]
            made = [pki.issue_for_official(agency, o) for o in wanted]
            self._say(agency, f"{len(made)} sertifikat diterbitkan", made)
        elif action == "seal":
            self._say(agency, "segel elektronik diterbitkan", [pki.issue_seal(agency)])
        elif action == "rotate":
            self._say(agency, "kunci diganti", [pki.rotate(agency, self._official(agency, nip))])
        elif action == "revoke":
            rows = [pki.revoke(agency, serial, reason)] if serial else pki.revoke_nip(agency, nip, reason)
            if not rows:
                raise CommandError("Sebutkan --serial atau --nip sertifikat yang masih berlaku.")
            self._say(agency, f"{len(rows)} sertifikat dicabut", rows)
        elif action == "crl":
            pki.write_crl(agency)
            self._say(agency, "CRL ditulis ulang")
        else:
            self._say(agency, "sertifikat", pki.issued(agency))

    def _official(self, agency, nip):
        if not nip:
            raise CommandError("Sebutkan --nip pejabat.")
        wanted = nip.replace(" ", "")
        for official in Official.objects.filter(position__agency=agency).select_related("position"):
            if official.nip.replace(" ", "") == wanted:
                return official
        raise CommandError(f"Tidak ada pejabat ber-NIP {nip} di {agency.name}.")

    def _say(self, agency, text, rows=()):
        self.stdout.write(f"{agency.slug}: {text}")
        for row in rows:
            state = f"dicabut {row.revoked_at[:10]} ({row.reason})" if row.revoked_at else f"s.d. {row.not_after[:10]}"
            self.stdout.write(f"  {row.serial} {row.kind} {row.name} {row.nip} {state}")
