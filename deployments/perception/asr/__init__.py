"""Speech recognition: faster-whisper locally (packaged Whisper weights), WhisperX on GPUs.

Plain classes (no Ray): ``audio`` (probe, limits, decode), ``models`` (packaged weights),
``faster_whisper_backend`` / ``whisperx_backend``, ``transcriber``, ``formats`` (OpenAI
response formats), ``normalize`` (transcript normaliser for WER). ``deployment.AsrDeployment``
is the replica class; ``builder.build_asr_deployment`` binds it from ``AsrSettings``.
"""
