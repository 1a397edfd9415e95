"""Letter template bodies: the variables they may use, the restricted engine, the checks.

Kept apart from cases.letters so that the LetterTemplate model can validate a body without
importing the module that issues letters (which imports the models).
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, NodeList, VariableNode

from sop_catalog.selectors import flows_without_signing_step

PERSON_FIELDS = [
    "nama", "nik", "tempat_lahir", "tanggal_lahir", "ttl", "alamat", "jenis_kelamin", "kk", "ciri", "ditemukan",
    "waktu_ditemukan", "tanpa_dokumen", "identitas",
]  # fmt: skip
# Variables a template body may use (docs/documents.md); nothing else reaches the template.
VARIABLES = {
    "pemohon": PERSON_FIELDS,
    "penerima": PERSON_FIELDS,
    "permohonan": ["nomor", "maksud", "tujuan", "keperluan", "tanggal", "sifat", "saluran", "alasan"],
    "sop": ["nama", "nomor"],
    "instansi": ["nama", "wilayah", "alamat"],
    "surat": ["nomor", "tanggal", "perihal", "lampiran", "tanggal_terbilang", "tempat", "asal", "tujuan_pulang"],
    "pihak_pertama": ["nama", "jabatan", "nip"],
    "pihak_kedua": ["nama", "nip", "jabatan", "instansi", "alamat"],
    "saksi": [],
    "padanan": ["kalimat", "hasil", "tanggal", "alasan"],
}
SAMPLE_PERSON = {
    "nama": "Contoh", "nik": "3508015507850003", "tempat_lahir": "Lumajang", "tanggal_lahir": "15 Juli 1985",
    "ttl": "Lumajang, 15 Juli 1985", "alamat": "Jl. Contoh 1", "jenis_kelamin": "Perempuan",
    "kk": "3508010101090012", "ciri": "", "ditemukan": "", "waktu_ditemukan": "", "tanpa_dokumen": "",
    "identitas": "Nama : Contoh\nNIK : 3508015507850003",
}  # fmt: skip
SAMPLE_CONTEXT = {
    "pemohon": SAMPLE_PERSON,
    "penerima": SAMPLE_PERSON,
    "permohonan": {"nomor": "X/2026/000001", "maksud": "contoh", "tujuan": "contoh", "tanggal": "1 Januari 2026",
                   "keperluan": "contoh", "sifat": "Biasa", "saluran": "Datang langsung", "alasan": ""},
    "sop": {"nama": "Contoh", "nomor": "1"},
    "instansi": {"nama": "Dinas Sosial", "wilayah": "Kabupaten", "alamat": ""},
    "surat": {"nomor": "1", "tanggal": "1 Januari 2026", "perihal": "x", "lampiran": "-",
              "tanggal_terbilang": "Kamis tanggal satu bulan Januari tahun dua ribu dua puluh enam", "tempat": "x",
              "asal": "x", "tujuan_pulang": "x"},
    "pihak_pertama": {"nama": "x", "jabatan": "x", "nip": "x"},
    "pihak_kedua": {"nama": "x", "nip": "", "jabatan": "x", "instansi": "x", "alamat": ""},
    "saksi": ["x"],
    "padanan": {"kalimat": "telah dipadankan dengan data DTKS/DTSEN periode Triwulan I 2026 (terdaftar, desil 1)",
                "hasil": "memenuhi", "tanggal": "1 Januari 2026", "alasan": ""},
}  # fmt: skip
# A restricted engine: no template loaders, no custom tags; only the built-in filters.
ENGINE = Engine(debug=False, libraries={}, builtins=["django.template.defaulttags", "django.template.defaultfilters"])


FORBIDDEN_TAGS = re.compile(r"{%\s*(include|extends|block|load|url|debug|ssi|csrf_token|templatetag|widthratio)\b")


def check_template_body(body: str) -> None:
    """Raise ValidationError (Indonesian) for a body that does not compile, reaches outside the
    letter (include, url, debug …), uses unknown variables, or fails on a sample case."""
    forbidden = FORBIDDEN_TAGS.search(body or "")
    if forbidden:
        raise ValidationError(f"Tag {{% {forbidden.group(1)} %}} tidak boleh dipakai di templat surat.")
    try:
        template = ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Templat tidak dapat dibaca: {exc}") from exc
    unknown = sorted({name for name in _variables(template.nodelist) if not _allowed(name)})
    if unknown:
        raise ValidationError(
            f"Variabel tidak dikenal: {', '.join(unknown)}. Lihat daftar variabel di docs/documents.md."
        )
    try:
        template.render(Context(SAMPLE_CONTEXT, autoescape=False))
    except Exception as exc:  # noqa: BLE001 - any failure here would otherwise surface at signing
        raise ValidationError(f"Templat gagal diisi contoh data: {exc}") from exc


def _variables(nodelist: Iterable[Node]) -> Iterator[str]:
    """Every variable name a node list reads, minus the loop variables its for-tags define."""
    for node in nodelist:
        for expression in _expressions(node):
            if hasattr(expression.var, "var"):
                yield expression.var.var
        hidden = set(getattr(node, "loopvars", [])) | {"forloop"}
        for inner in _children(node):
            yield from (name for name in _variables(inner) if name.split(".")[0] not in hidden)
        for _condition, inner in getattr(node, "conditions_nodelists", []):
            yield from _variables(inner)


def _expressions(node: Node) -> list[FilterExpression]:
    """The filter expressions a node evaluates itself: {{ x }}, {% for … in x %}, {% if x %}."""
    found = [node.filter_expression] if isinstance(node, VariableNode) else []
    found += [
        value for attr in ("sequence", "condition") if isinstance(value := getattr(node, attr, None), FilterExpression)
    ]
    for condition, _ in getattr(node, "conditions_nodelists", []):
        found.extend(_condition_vars(condition))
    return found


def _children(node: Node) -> list[NodeList]:
    """The node lists inside a block tag ({% for %} body and empty part …), not those of {% if %}."""
    inner = [getattr(node, child, None) for child in getattr(node, "child_nodelists", ())]
    return [nodes for nodes in inner if nodes]


def _condition_vars(condition: Any) -> list[FilterExpression]:
    if condition is None:
        return []
    found = []
    for attr in ("first", "second"):
        part = getattr(condition, attr, None)
        if part is not None:
            found.extend(_condition_vars(part))
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        found.append(value)
    return found


def _allowed(name: str) -> bool:
    root, _, rest = name.partition(".")
    if root not in VARIABLES:
        return False
    return not rest or not VARIABLES[root] or rest.split(".")[0] in VARIABLES[root]


def render_body(template_body: str, context: dict[str, Any]) -> str:
    return ENGINE.from_string(template_body).render(Context(context, autoescape=False))


def body_blocks(text: str) -> list[dict[str, Any]]:
    """Paragraphs of the rendered body; a paragraph of 'Label : value' lines becomes a field table."""
    blocks: list[dict[str, Any]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(re.match(r"^[^:]{1,40}\s:\s", line) for line in lines):
            rows = [tuple(part.strip() for part in line.split(" : ", 1)) for line in lines]
            blocks.append({"fields": rows})
        elif lines:
            blocks.append({"text": "\n".join(lines)})
    return blocks


def check_template_signing(*, agency_id: int, sop_slug: str) -> None:
    """A letter of an SOP needs the step that signs it: refuse a template for an SOP without one."""
    if not sop_slug:
        return
    unsigned = list(flows_without_signing_step(agency_id=agency_id, slug=sop_slug))
    if unsigned:
        names = ", ".join(str(flow) for flow in unsigned)
        raise ValidationError(
            f"SOP {sop_slug} tidak memiliki langkah yang menandatangani/menyetujui suratnya ({names}); "
            "tandai dulu langkah Kepala/Sekretaris Dinas itu di katalog SOP."
        )
