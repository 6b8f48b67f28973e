"""Anonymization: the engine (engine.py: Presidio and spaCy configured from the policy),
its recognizers (recognizers/), operators (operators.py), the spaCy pipeline it runs
(nlp.py, ner_decoder.py), the trained name model (models/), and its Beam transform
(transform.py: batches, findings and a dead-letter output)."""
