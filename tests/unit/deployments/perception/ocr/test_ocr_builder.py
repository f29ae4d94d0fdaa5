import pytest

from deployments.perception.ocr.builder import OCR_DEPLOYMENT_NAME, build_ocr_deployment
from deployments.perception.ocr.config import OcrSettings


def test_builder_binds_the_plain_class_with_options_from_config():
    pytest.importorskip("ray.serve")
    settings = OcrSettings(
        num_cpus=0.5,
        max_ongoing_requests=4,
        autoscaling_config={"min_replicas": 1, "max_replicas": 3, "target_ongoing_requests": 2},
    )
    app = build_ocr_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == OCR_DEPLOYMENT_NAME == "ocr"
    assert deployment.ray_actor_options == {"num_cpus": 0.5, "num_gpus": 0.0}
    assert deployment.max_ongoing_requests == 4
    assert deployment._deployment_config.autoscaling_config.max_replicas == 3
    assert deployment.init_args == (settings.model_dump(mode="json"),)
    assert deployment.func_or_class.__name__ == "OcrDeployment"
