"""Builds the OCR deployment from :class:`OcrSettings` (builder style, no decorators)."""

from __future__ import annotations

from typing import Any

from deployments.perception.ocr.config import OcrSettings

OCR_DEPLOYMENT_NAME = "ocr"


def build_ocr_deployment(settings: OcrSettings) -> Any:
    """The bound ``ocr`` deployment (an Application the router receives as a handle)."""
    from ray import serve

    from deployments.perception.ocr.deployment import OcrDeployment

    return (
        serve.deployment(OcrDeployment, name=OCR_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
