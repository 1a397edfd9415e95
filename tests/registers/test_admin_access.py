"""The registers' admin screens × every desk of two agencies and anonymous (the admin URLs are
outside tests/test_access_matrix.py, which walks the site's own pages)."""

import pytest

from agencies.desks import ADMIN, DESKS

SCREENS = [
    "/admin/registers/register/",
    "/admin/registers/period/",
    "/admin/registers/entry/",
    "/admin/registers/entry/import/",
    "/admin/registers/check/",
    "/admin/registers/access/",
]


def expected_status(desk):
    return 200 if desk == ADMIN else 302  # non-staff desks are sent to the admin login


@pytest.mark.parametrize("url", SCREENS)
def test_only_the_admin_desk_of_each_agency_opens_the_screen(client, demo_users, url):
    failures = []
    for agency in ("lumajang", "solok"):
        for desk, _label in DESKS:
            client.force_login(demo_users[f"{agency}-{desk}"])
            status = client.get(url).status_code
            if status != expected_status(desk):
                failures.append(f"{agency}-{desk}: {status}")
    client.logout()
    anonymous = client.get(url).status_code
    assert (failures, anonymous) == ([], 302)
