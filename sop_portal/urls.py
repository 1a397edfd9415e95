from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agencies.admin_scope import view_on_site
from agencies.twofactor import two_factor
from cases import views as case_views

admin.site.site_header = "SOP Portal — Administrasi"
admin.site.site_title = "SOP Portal"
admin.site.index_title = "Administrasi"

urlpatterns = [
    path("", case_views.dashboard, name="home"),
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/", two_factor, name="two_factor"),
    path("katalog/", include("sop_catalog.urls")),
    path("", include("cases.urls")),
    path("", include("registers.urls")),
    path("", include("cases.urls_intake")),
    # Before the admin's own "view on site" redirect: only to rows of the admin's agency.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
]
