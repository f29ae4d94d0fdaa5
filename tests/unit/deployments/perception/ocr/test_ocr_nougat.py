"""Nougat without its weights: markdown parsing, a clear start-up error, and the real loading and
generation code run on a tiny randomly initialised model built here."""

import re

import pytest
from PIL import Image

from deployments.perception.ocr.backend import BackendUnavailable
from deployments.perception.ocr.config import NougatOptions
from deployments.perception.ocr.nougat import (
    latex_table_rows,
    light_postprocess,
    markdown_table_rows,
    parse_markdown,
)

MARKDOWN = r"""# Results

We compare two models on three tasks.

\begin{table}
\begin{tabular}{l c c}
\hline
Model & \textbf{BLEU} & Acc. \\ \hline
Ours & 31.2 & 92\% \\
\multicolumn{1}{l}{Base} & 28.0 & 88\% \\ \hline
\end{tabular}
\caption{Scores on the test set.}
\end{table}

| Task | Size |
|------|------|
| QA | 10k |

The end."""


def test_latex_and_markdown_tables():
    assert latex_table_rows(r"\hline a & b \\ \cline{1-2} c \& d & $e$ \\") == [
        ["a", "b"],
        ["c & d", "e"],
    ]
    assert markdown_table_rows(["| A | B |", "|---|:--:|", "| 1 | 2 |"]) == [["A", "B"], ["1", "2"]]


def test_markdown_to_paragraphs_and_tables():
    paragraphs, tables = parse_markdown(MARKDOWN, 0.9)
    texts = [t for t, _ in paragraphs]
    assert texts[0] == "# Results" and texts[-1] == "The end."
    assert "Scores on the test set." in texts
    assert tables[0].rows == [
        ["Model", "BLEU", "Acc."],
        ["Ours", "31.2", "92%"],
        ["Base", "28.0", "88%"],
    ]
    assert tables[1].rows == [["Task", "Size"], ["QA", "10k"]]
    assert "Ours 31.2 92%" in texts[texts.index("Scores on the test set.") + 1]
    assert all(c == 0.9 for _, c in paragraphs) and all(t.method == "model" for t in tables)


def test_light_postprocess_drops_repeated_lines():
    assert light_postprocess("a\na\n\n\n\nb\n") == "a\n\nb"


@pytest.fixture(scope="module")
def tiny_nougat(tmp_path_factory):
    """A randomly initialised Nougat-shaped model (Donut-Swin encoder, MBart decoder)."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("nougat-tiny")
    words = ["<s>", "<pad>", "</s>", "<unk>", "Hello", "world", "results", "table"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.NougatTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        unk_token="<unk>",
    )  # fmt: skip
    image_processor = getattr(transformers, "NougatImageProcessorPil", None) or (
        transformers.NougatImageProcessor
    )
    processor = transformers.NougatProcessor(
        image_processor=image_processor(size={"height": 64, "width": 48}), tokenizer=tokenizer
    )
    encoder = transformers.DonutSwinConfig(
        image_size=[64, 48], patch_size=4, embed_dim=8, depths=[1, 1], num_heads=[1, 1],
        window_size=4,
    )  # fmt: skip
    decoder = transformers.MBartConfig(
        vocab_size=len(words), d_model=16, decoder_layers=1, encoder_layers=1,
        decoder_attention_heads=2, encoder_attention_heads=2, decoder_ffn_dim=32,
        encoder_ffn_dim=32, max_position_embeddings=64, is_decoder=True, add_cross_attention=True,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=0,
    )  # fmt: skip
    config = transformers.VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id, config.pad_token_id, config.eos_token_id = 0, 1, 2
    torch.manual_seed(0)
    model = transformers.VisionEncoderDecoderModel(config=config)
    generation = model.generation_config
    generation.decoder_start_token_id, generation.pad_token_id, generation.eos_token_id = 0, 1, 2
    generation.suppress_tokens = [0, 1, 3]  # make the random model emit words
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def test_missing_weights_fail_clearly_at_start(tmp_path):
    pytest.importorskip("transformers")
    from deployments.perception.ocr.nougat import NougatBackend

    missing = tmp_path / "no-such-model"
    options = NougatOptions(model=str(missing), device="cpu", local_files_only=True)
    with pytest.raises(BackendUnavailable, match=r"no-such-model.*ocr.backend_options.model"):
        NougatBackend(options)


def test_cuda_without_a_gpu_fails_clearly(tiny_nougat):
    import torch

    from deployments.perception.ocr.nougat import NougatBackend

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(BackendUnavailable, match="no GPU"):
        NougatBackend(NougatOptions(model=str(tiny_nougat), device="cuda"))


def test_tiny_model_runs_the_real_generation_path(tiny_nougat):
    from deployments.perception.ocr.nougat import NougatBackend

    backend = NougatBackend(
        NougatOptions(
            model=str(tiny_nougat), device="auto", max_new_tokens=5, local_files_only=True
        )
    )
    assert backend.device in ("cpu", "cuda")
    page = backend.recognize(Image.new("L", (120, 160), 255), 72)
    assert page.paragraphs and page.lines == []
    text, confidence = page.paragraphs[0]
    assert re.fullmatch(r"((Hello|world|results|table)\s?)+", text)  # the tiny vocabulary
    assert 0 < confidence <= 1
