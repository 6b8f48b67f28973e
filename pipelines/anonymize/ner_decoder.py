"""spaCy's greedy NER decoding, one step for a whole batch of documents at a time.

spaCy's ``EntityRecognizer`` runs the model's network (tok2vec, then the
"lower" layer precomputed for every token) and then walks each document token by
token in compiled code, checking every one of its 74 moves for validity at every
step. In spaCy 3.8 that walk takes half the NER time, most of it in per-move calls
that take and release the GIL (measured with ``py-spy --native``: 43 % of the NER
pass in ``TransitionSystem.set_valid``, 17 % in ``pthread_mutex_lock``).

``GreedyNerDecoder`` runs the same network through the model's own layers and
makes the same greedy decisions (the same features, maxout, scores and argmax
over the valid moves, with the validity rules of ``spacy/pipeline/_parser_internals/
ner.pyx``), for all documents of a batch at once with numpy. The entities are
spaCy's: tests/integration/test_ner_decoder.py compares them on Faker texts and
checks every move's validity against spaCy's along random walks.
It applies to documents without preset entities; a batch with any falls back to
spaCy's own ``pipe``.
"""
from __future__ import annotations

import numpy

BEGIN, IN, LAST, UNIT, OUT = "BILUO"
# tokens decoded together: the precomputed hidden layer holds ~1.5 KB per token
MAX_TOKENS = 32_768


def supports(ner) -> bool:
    """Whether ``ner`` is the greedy BILUO entity recognizer this decoder reproduces:
    three state features (next token, entity start, previous token), maxout hidden
    layer and an output layer, no beam, no post-processing hooks."""
    from spacy.pipeline._parser_internals.ner import BiluoPushDown
    model = getattr(ner, "model", None)
    try:
        lower = model.get_ref("lower")
        return (isinstance(ner.moves, BiluoPushDown) and ner.cfg.get("beam_width") == 1
                and model.attrs.get("has_upper") and lower.get_dim("nF") == 3
                and lower.get_dim("nP") >= 2 and not getattr(ner, "postprocesses", None))
    except (AttributeError, KeyError, ValueError):
        return False


class GreedyNerDecoder:
    """A spaCy pipeline component standing in for the entity recognizer ``ner``."""

    def __init__(self, ner, max_tokens: int = MAX_TOKENS):
        self.ner, self.max_tokens = ner, max_tokens
        model = ner.model
        self.tok2vec, self.lower = model.get_ref("tok2vec"), model.get_ref("lower")
        upper = model.get_ref("upper")
        self.bias = self.lower.get_param("b")                 # (hidden, pieces)
        self.upper_w, self.upper_b = upper.get_param("W").T, upper.get_param("b")
        self.unseen = sorted(model.attrs.get("unseen_classes", ()))
        strings = ner.vocab.strings
        names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
        kinds = [name.partition("-")[0] for name in names]
        labels = [strings.add(name.partition("-")[2]) if "-" in name else 0 for name in names]
        self.labels = numpy.array(labels, dtype="uint64")
        has_label = self.labels != 0
        self.is_begin, self.is_in, self.is_last, self.is_unit = (
            numpy.array([k == kind for k in kinds]) & has_label for kind in (BEGIN, IN, LAST, UNIT))
        self.is_out = numpy.array([name == OUT for name in names])

    def __call__(self, doc):
        return next(iter(self.pipe([doc])))

    def pipe(self, docs, batch_size: int = 256):
        from spacy.util import minibatch
        for batch in minibatch(docs, size=batch_size):
            if any(doc.has_annotation("ENT_IOB") for doc in batch):
                yield from self.ner.pipe(batch)   # preset entities: spaCy's own rules
                continue
            for docs in _by_tokens([doc for doc in batch if len(doc)], self.max_tokens):
                self._set_entities(docs, self._decode(docs))
            yield from batch

    def _decode(self, docs) -> list[list[tuple[int, int, int]]]:
        """(start, end, label) of each document's entities."""
        from spacy.attrs import IS_SPACE, SENT_START
        lengths = numpy.array([len(doc) for doc in docs])
        offsets = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
        # every token's contribution to the hidden layer for each of the three
        # features; row 0 is the padding used when a feature has no token
        feats = self.lower.predict(self.tok2vec.predict(docs))
        flags = numpy.concatenate([doc.to_array([IS_SPACE, SENT_START]) for doc in docs])
        is_space = flags[:, 0].astype(bool)
        sent_start = numpy.append(flags[:, 1] == 1, False)   # a token past the end: none

        n = len(docs)
        is_open = numpy.zeros(n, dtype=bool)
        ent_start = numpy.zeros(n, dtype=numpy.int64)
        ent_label = numpy.zeros(n, dtype="uint64")
        found: list[list[tuple[int, int, int]]] = [[] for _ in docs]
        for step in range(int(lengths.max())):
            active = numpy.flatnonzero(lengths > step)
            token = offsets[active] + step          # B(0) of each state, batch-wide index
            opened = is_open[active]
            # features: the next token, the entity's first token and the previous
            # token (the last two only inside an entity); +1 skips the padding row
            first = numpy.where(opened, offsets[active] + ent_start[active] + 1, 0)
            previous = numpy.where(opened, token, 0)
            hidden = feats[token + 1, 0] + feats[first, 1]
            hidden += feats[previous, 2]
            hidden += self.bias
            scores = hidden.max(axis=-1) @ self.upper_w
            scores += self.upper_b
            if self.unseen:
                scores[:, self.unseen] = scores.min()
            scores[~self._valid(opened, ent_label[active], lengths[active] - step,
                                sent_start[token + 1], is_space[token])] = -numpy.inf
            moves = scores.argmax(axis=1)   # the first best, as spaCy's arg_max_if_valid
            labels = self.labels[moves]
            begin, last, unit = self.is_begin[moves], self.is_last[moves], self.is_unit[moves]
            for i in numpy.flatnonzero(last | unit):
                doc = active[i]
                start = ent_start[doc] if last[i] else step
                found[doc].append((int(start), step + 1, int(labels[i])))
            is_open[active[begin]] = True
            ent_start[active[begin]] = step
            ent_label[active[begin]] = labels[begin]
            is_open[active[last]] = False
        return found

    def _valid(self, opened, ent_label, remaining, next_sent_start, is_space):
        """(states, moves) validity, ner.pyx's ``is_valid`` of each move for documents
        without preset entities."""
        closed = ~opened
        room = remaining >= 2                   # B and I need a token after this one
        same = ent_label[:, None] == self.labels[None, :]
        return ((closed & room & ~next_sent_start & ~is_space)[:, None] & self.is_begin
                | (opened & room & ~next_sent_start)[:, None] & self.is_in & same
                | opened[:, None] & self.is_last & same
                | (closed & ~is_space)[:, None] & self.is_unit
                | closed[:, None] & self.is_out)

    @staticmethod
    def _set_entities(docs, found) -> None:
        from spacy.tokens import Span
        for doc, ents in zip(docs, found):
            doc.set_ents([Span(doc, start, end, label=label) for start, end, label in ents],
                         default="outside")


def _by_tokens(docs, limit: int):
    """Consecutive groups of docs of at most ``limit`` tokens (a longer doc alone)."""
    group, size = [], 0
    for doc in docs:
        if group and size + len(doc) > limit:
            yield group
            group, size = [], 0
        group.append(doc)
        size += len(doc)
    if group:
        yield group
