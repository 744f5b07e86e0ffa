"""An ARM endpoint carrying a password, a query or a fragment is refused before anything runs
(redteam10b #5): it would be printed in every report, log, history row and snapshot header
that names the endpoint, and sent inside the token scope."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.azure.clients import AzureSettings, validate
from amlguard.errors import InputError
from amlguard.urls import credential_problem, shown
from tests.conftest import ROOT

SUB = "00000000-0000-0000-0000-000000000000"


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "amlguard", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("https://admin:S3cretPassw0rd@127.0.0.1:4443", "user name or password"),
        ("https://S3cretPassw0rd@arm.example", "user name or password"),
        ("https://arm.example/?sig=S3cretPassw0rd", "query"),
        ("https://arm.example/x?api-version=S3cretPassw0rd", "query"),
        ("https://arm.example/#S3cretPassw0rd", "fragment"),
    ],
)
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_check_and_snapshot_refuse_a_secret_in_the_endpoint(
    endpoint: str, why: str, how: str, tmp_path: object
) -> None:
    for command in (["check"], ["snapshot", "-o", os.devnull]):
        if how == "flag":
            got = _run([*command, "--subscription", SUB, "--arm-endpoint", endpoint])
        else:
            got = _run([*command, "--subscription", SUB], {"AMLGUARD_ARM_ENDPOINT": endpoint})
        assert got.returncode == 2, got.stderr
        assert why in got.stderr
        assert "S3cretPassw0rd" not in got.stderr + got.stdout
        assert "Traceback" not in got.stderr


def test_a_plain_endpoint_with_a_path_and_port_is_accepted() -> None:
    settings = AzureSettings(arm_endpoint="https://arm.example:8443/base")
    assert validate(settings) is settings


@settings(derandomize=True, max_examples=150)
@given(
    user=st.text(
        st.characters(blacklist_characters="/?#@\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=20,
    ),
    secret=st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=20),
    tail=st.sampled_from(["", "/", "/p", ":443", ":443/p"]),
)
def test_no_userinfo_is_accepted_and_none_is_shown(user: str, secret: str, tail: str) -> None:
    endpoint = f"https://{user}:{secret}@arm.example{tail}"
    with pytest.raises(InputError) as caught:
        validate(AzureSettings(arm_endpoint=endpoint))
    assert f":{secret}@" not in str(caught.value)
    assert "@" not in shown(endpoint)


@settings(derandomize=True, max_examples=150)
@given(query=st.text(min_size=1, max_size=30).filter(lambda q: "#" not in q))
def test_only_the_allowed_query_passes(query: str) -> None:
    url = f"https://arm.example/p?{query}"
    allowed = r"api-version=[0-9A-Za-z\-.]+"
    problem = credential_problem(url, allowed)

    sent = urlsplit(url.strip()).query  # the URL is read stripped, as typed
    assert (problem is None) == (not sent or re.fullmatch(allowed, sent) is not None)
    if sent:
        assert credential_problem(url) is not None
