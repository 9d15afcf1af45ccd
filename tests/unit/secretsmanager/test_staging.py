from serverlite.aws.secretsmanager import staging
from serverlite.aws.secretsmanager.staging import CURRENT, PENDING, PREVIOUS


def test_first_version_becomes_current():
    assert staging.stage_new_version({}, "v1") == {CURRENT: "v1"}


def test_current_moves_and_the_old_one_becomes_previous():
    stages = staging.stage_new_version({CURRENT: "v1"}, "v2")
    assert stages == {CURRENT: "v2", PREVIOUS: "v1"}
    stages = staging.stage_new_version(stages, "v3")
    assert stages == {CURRENT: "v3", PREVIOUS: "v2"}  # v1 is now deprecated


def test_other_labels_do_not_move_current():
    stages = staging.stage_new_version({CURRENT: "v1"}, "v2", [PENDING])
    assert stages == {CURRENT: "v1", PENDING: "v2"}
    # promoting the pending version later moves AWSCURRENT as usual
    stages = staging.stage_new_version(stages, "v2", [CURRENT])
    assert stages == {CURRENT: "v2", PREVIOUS: "v1", PENDING: "v2"}


def test_restaging_the_current_version_keeps_previous():
    stages = {CURRENT: "v2", PREVIOUS: "v1"}
    assert staging.stage_new_version(stages, "v2") == stages


def test_versions_to_stages_and_deprecated():
    stages = {CURRENT: "v3", PREVIOUS: "v2", "custom": "v3"}
    assert staging.versions_to_stages(stages) == {"v3": [CURRENT, "custom"], "v2": [PREVIOUS]}
    assert staging.versions_to_stages(stages, ["v1"]) == {
        "v1": [],
        "v3": [CURRENT, "custom"],
        "v2": [PREVIOUS],
    }
    assert staging.deprecated(stages, ["v1", "v2", "v3"]) == ["v1"]
