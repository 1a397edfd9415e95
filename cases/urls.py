from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("orang/", views.person_list, name="persons"),
    path("orang/baru/", views.person_create, name="person_new"),
    path("orang/<int:pk>/", views.person_detail, name="person"),
    path("orang/<int:pk>/ubah/", views.person_edit, name="person_edit"),
    path("permohonan/", views.case_list, name="cases"),
    path("permohonan/baru/", views.case_new, name="case_new"),
    path("permohonan/<int:pk>/", views.case_detail, name="case"),
    path("permohonan/<int:pk>/berkas/<int:doc_pk>/", views.case_document, name="case_document"),
    path("permohonan/<int:pk>/berkas/<int:doc_pk>/pindaian/", views.case_document_file, name="case_document_file"),
    path("permohonan/<int:pk>/daftarkan/", views.case_register, name="case_register"),
    path("permohonan/<int:pk>/kembalikan/", views.case_return, name="case_return"),
    path("permohonan/<int:pk>/ajukan-kembali/", views.case_resubmit, name="case_resubmit"),
    path("permohonan/<int:pk>/tanda-terima.pdf", views.case_receipt, name="case_receipt"),
    path("permohonan/<int:pk>/kekurangan-berkas.pdf", views.case_missing, name="case_missing"),
    path("permohonan/<int:pk>/tindakan/<slug:action>/", views.case_action, name="case_action"),
    path("permohonan/<int:pk>/disposisi/<int:disposition_pk>.pdf", views.disposition_file, name="disposition_pdf"),
    path("permohonan/<int:pk>/surat-penolakan.pdf", views.case_rejection_letter, name="case_rejection_letter"),
    path("permohonan/<int:pk>/surat/<int:doc_pk>/konsep.pdf", views.letter_draft, name="letter_draft"),
    path("permohonan/<int:pk>/surat/<int:doc_pk>.pdf", views.letter_pdf, name="letter_pdf"),
    path("permohonan/<int:pk>/surat/<int:doc_pk>/cabut/", views.letter_revoke, name="letter_revoke"),
    path("permohonan/<int:pk>/berita-acara/", views.berita_acara, name="berita_acara"),
    path("verifikasi/<str:token>/", views.verify, name="verify"),
    path("kotak-masuk/", views.inbox, name="inbox"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("laporan/mutu-baku/", views.compliance_report, name="report"),
    path("laporan/mutu-baku.pdf", views.compliance_report_pdf, name="report_pdf"),
    path("laporan/ekspor/<slug:what>.<slug:fmt>", views.export, name="export"),
    path("layanan/<slug:agency_slug>/", views.service_standards, name="service_standards"),
    path("pemberitahuan/", views.notifications, name="notifications"),
    path("status/<path:number>/", views.status, name="status"),
]
