"""TLS: verified by default; a county's own CA file is trusted when configured."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from countylib.errors import CountyLibError
from sync.client import SyncClient
from tests.sync.conftest import HubAdmin, HubProcess


@pytest.fixture
def county_ca(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "hub.key", tmp_path / "hub.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return key, cert


def test_tls_hub_needs_the_county_ca(county_ca, tmp_path, make_branch):
    key, cert = county_ca
    dsn = f"sqlite:///{tmp_path}/hub.db"
    admin = HubAdmin(dsn)
    hub = HubProcess(dsn, tmp_path)
    hub.url = hub.url.replace("http://", "https://")
    hub.start_args = ["--certfile", str(cert), "--keyfile", str(key)]
    hub.start(health_verify=str(cert))
    try:
        a = make_branch("HXA")
        with a.use():
            with pytest.raises(CountyLibError, match="certificate could not be verified"):
                SyncClient(clock=a.clock, ca_file="", backoff=0.01).enroll(hub.url, admin.code("HXA"))
            SyncClient(clock=a.clock, ca_file=str(cert)).enroll(hub.url, admin.code("HXA"))
            summary = SyncClient(clock=a.clock, ca_file=str(cert)).sync()
        assert summary.pushed == a.initial_events
    finally:
        hub.close()
