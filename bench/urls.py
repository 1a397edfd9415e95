"""The site's URLs and the benchmark floor (bench/floor.py); used only by bench/settings.py."""

from django.urls import include, path

from bench.floor import floor

urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("sop_portal.urls")),
]
