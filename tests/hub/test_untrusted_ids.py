"""Repo ids and Hub failures: one HubError line, never huggingface_hub's traceback (issue 17)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ganzoo
from ganzoo.errors import HubError
from ganzoo.hub_client import check_repo_id


@pytest.mark.parametrize(
    "repo_id",
    [
        "a/..b",
        "a--b/c",
        "a/b.git",
        "\u00e4/b",
        "a/b/c",
        "a/b\n",
        "-a/b",
        "a/b-",
        "",
        "a/" + "b" * 97,
    ],
)
def test_repo_ids_the_hub_rejects_are_one_hub_error(repo_id: str) -> None:
    with pytest.raises(HubError, match="is not a Hub repo id") as info:
        ganzoo.load(f"hf-hub:{repo_id}") if repo_id else check_repo_id(repo_id)
    assert "\n" not in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab_-./\u00e4g0"), max_size=12))
def test_every_id_we_accept_huggingface_hub_accepts(repo_id: str) -> None:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        check_repo_id(repo_id)
    except HubError:
        return
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:  # pragma: no cover - the failure this test looks for
        pytest.fail(f"ganzoo accepts {repo_id!r}, huggingface_hub does not: {err}")


def test_push_to_an_unreachable_endpoint_is_one_hub_error(tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import tempfile, pathlib\n"
        "import ganzoo.hub_client as c\n"
        "try:\n"
        "    c.upload_folder(pathlib.Path(tempfile.mkdtemp()), 'owner/name', message='m',"
        " token='hf_x')\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    env = {
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_ETAG_TIMEOUT": "2",
        "HF_HUB_DOWNLOAD_TIMEOUT": "2",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    assert out.startswith("HubError") and "could not reach the Hub at http://127.0.0.1:9" in out
