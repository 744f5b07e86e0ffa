"""The ``iac:`` config section and the template flags make one TemplateSource."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard.errors import InputError
from amlguard.iac.settings import template_source
from tests.iac.helpers import DATA


def test_section_paths_are_relative_to_the_config_file() -> None:
    section = {
        "templates": ["blueprint/azuredeploy.json"],
        "parameters": ["blueprint/azuredeploy.parameters.json"],
        "parameter": {"workspacePublicNetworkAccess": "Enabled", "zoneNames": ["a.b"]},
        "deployment": {"subscription": "s-1", "resource_group": "rg-1", "location": "West Europe"},
    }
    source = template_source(section, DATA / "own")
    assert source is not None
    assert source.templates == [DATA / "own" / "blueprint" / "azuredeploy.json"]
    assert source.parameters == {"workspacePublicNetworkAccess": "Enabled", "zoneNames": '["a.b"]'}
    assert (source.deployment.subscription_id, source.deployment.resource_group) == ("s-1", "rg-1")


def test_flags_win_and_nothing_means_none(tmp_path: Path) -> None:
    section = {"templates": ["a.json"], "deployment": {"resource_group": "from-config"}}
    source = template_source(
        section, tmp_path, templates=[tmp_path / "b.json"], resource_group="flag"
    )
    assert source is not None and source.templates == [tmp_path / "b.json"]
    assert source.deployment.resource_group == "flag"
    assert template_source(None, tmp_path) is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"template": ["x"]}, "unknown key(s) template"),
        ({"templates": [1]}, "iac.templates: expected a list of paths"),
        ({"templates": ["x"], "deployment": {"sub": "x"}}, "iac.deployment"),
        ({"templates": ["x"], "parameter": ["a=b"]}, "iac.parameter"),
    ],
)
def test_bad_sections_are_input_errors(
    section: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        template_source(section, tmp_path)
