"""The floor of the benchmark ratios: the cheapest signed-in page, behind every middleware.

`/bench/floor/` (bench/urls.py, only under bench/settings.py) needs a signed-in user and renders
the site's base template with nothing in it: the session, the user, the desks, the header (agency,
desks, unread notices) and the middleware: what every signed-in page pays before its own work.
The ratios of `make bench` divide a page's time by this one's, measured in the same run.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def floor(request):
    return render(request, "base.html", {})
