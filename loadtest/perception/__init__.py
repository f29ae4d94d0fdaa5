"""Benchmarks of the perception deployments (OCR, charts, speech) on generated, labelled inputs."""
