from django.urls import path

from cases import views_intake

app_name = "intake"
urlpatterns = [
    path("permohonan/rekap/", views_intake.recap, name="recap"),
]
