"""What the predictor tests share: the predictor module and one converted model per run."""
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREDICTOR = REPO / "predictors" / "efficientnet_lite0.py"


def load_predictor_module():
    if "efficientnet_lite0" not in sys.modules:
        spec = importlib.util.spec_from_file_location("efficientnet_lite0", PREDICTOR)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["efficientnet_lite0"] = module
    return sys.modules["efficientnet_lite0"]


@pytest.fixture(scope="session")
def lite0():
    return load_predictor_module()


@pytest.fixture(scope="session")
def lite0_model(lite0, tmp_path_factory):
    """The packaged weights converted afresh by this run (not the venv's cached copy)."""
    return lite0.convert(tmp_path_factory.mktemp("model") / "efficientnet-lite0.onnx", log=lambda _: None)
