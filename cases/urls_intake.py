from django.urls import path

from cases import views_intake

app_name = "intake"
urlpatterns = [
    path("permohonan/rekap/", views_intake.recap, name="recap"),
    path("permohonan/rekap/<int:pk>/", views_intake.recap_job, name="recap_job"),
    path("permohonan/rekap/<int:pk>/lanjut/", views_intake.recap_job_next, name="recap_job_next"),
]
