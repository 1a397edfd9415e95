from django.urls import path

from registers import views

app_name = "registers"
urlpatterns = [
    path("permohonan/<int:pk>/padanan/", views.case_match, name="case_match"),
]
