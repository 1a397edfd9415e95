from django.urls import path

from sop_catalog import views

app_name = "sop_catalog"
urlpatterns = [
    path("", views.catalog, name="list"),
    path("<slug:slug>.pdf", views.sop_pdf, name="pdf"),
    path("<slug:slug>/", views.sop_detail, name="detail"),
    path("<slug:slug>/v<int:version>/", views.sop_detail, name="version"),
    path("<slug:slug>/v<int:version>.pdf", views.sop_pdf, name="version_pdf"),
    path("<slug:slug>/banding/", views.sop_compare, name="compare"),
]
