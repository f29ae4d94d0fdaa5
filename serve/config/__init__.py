"""Configuration: the pydantic schema, the shipped profiles and their loader.

Import from the submodules (``serve.config.schema``, ``serve.config.loader``): this package
imports nothing eagerly, so deployment packages can import ``deployments.common.settings`` while
``serve.config.schema`` imports their settings.
"""
