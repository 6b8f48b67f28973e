"""The Beam-native pipeline: sources as folders, globs and compressed files; an
S3-compatible store (moto's server on loopback) for inputs and outputs; worker
processes that share nothing with the driver but the network; no key bytes in the
job graph; the public transforms inside a user's own pipeline."""
from __future__ import annotations

import base64
import bz2
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import TEST_KEY_HEX, privenance, records

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
BUCKET = "privenance-test"


def split_tickets(workspace: Path, folder: Path, codecs=("gz", "zst", "")) -> None:
    """The demo's tickets.jsonl as shards in ``folder``, one per codec."""
    import zstandard
    lines = (workspace / "data/demo/raw/tickets.jsonl").read_bytes().splitlines(keepends=True)
    folder.mkdir(parents=True, exist_ok=True)
    for i, codec in enumerate(codecs):
        data = b"".join(lines[i::len(codecs)])
        name = f"tickets-{i}.jsonl" + (f".{codec}" if codec else "")
        if codec == "gz":
            data = gzip.compress(data, mtime=0)
        elif codec == "zst":
            data = zstandard.ZstdCompressor().compress(data)
        (folder / name).write_bytes(data)
    (folder / "_SUCCESS").write_bytes(b"")  # not data: skipped


def manifest_with(workspace: Path, tickets_path: str) -> Path:
    manifest = yaml.safe_load((workspace / "data/sources.yaml").read_text())
    for s in manifest["sources"]:
        if s["id"] == "support-tickets":
            s["path"] = tickets_path
            s.pop("format", None)
            if not tickets_path.endswith(".jsonl"):
                s["format"] = "jsonl"
    out = workspace / "data" / "sharded.yaml"
    out.write_text(yaml.safe_dump(manifest))
    return out


def test_a_folder_or_glob_of_compressed_shards_gives_the_records_of_one_file(
        workspace_after_demo_run):
    workspace = workspace_after_demo_run
    (workspace / "data/staged").rename(workspace / "data/one")  # the run of one file
    split_tickets(workspace, workspace / "data/shards")
    for path in ("data/shards", "data/shards/tickets-*.jsonl*"):
        manifest = manifest_with(workspace, path)
        privenance("run", "--sources", str(manifest), "--policy", "policies/demo.yaml",
                   "--as-of", "2026-11-25", "--out", "data/many", cwd=workspace)
        for output in ("dataset", "findings"):
            assert records(str(workspace / "data/many"), output) == records(
                str(workspace / "data/one"), output), (path, output)
        run = json.loads((workspace / "data/many/run.json").read_text())
        tickets = next(s for s in run["sources"] if s["id"] == "support-tickets")
        assert [f["name"] for f in tickets["files"]] == [
            "tickets-0.jsonl.gz", "tickets-1.jsonl.zst", "tickets-2.jsonl"]
        c = run["counts"]["support-tickets"]
        assert c["read"] == 42 and c["read"] == c["written"] + c["quarantined"]
        # a malformed line is pointed at by its file and line
        malformed = pq.read_table(workspace / "data/many/quarantine").to_pylist()
        bad = [q for q in malformed
               if q["reason"] == "MALFORMED" and q["_source"] == "support-tickets"]
        assert bad and all(q["_file"].startswith("tickets-") and q["_offset"] > 0 for q in bad)


# ------------------------------------------------------------------ object store (moto)

@pytest.fixture
def s3(monkeypatch):
    """An S3-compatible server on loopback (moto's server mode) with one bucket; the
    AWS environment variables point every process at it."""
    import boto3
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    yield env
    server.stop()


def upload(folder: Path, prefix: str) -> None:
    import boto3
    client = boto3.client("s3")
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder)}")


def test_gzipped_shards_on_s3_with_two_workers_equal_a_local_run(workspace_after_demo_run, s3):
    workspace = workspace_after_demo_run
    (workspace / "data/staged").rename(workspace / "data/local")  # the local run
    split_tickets(workspace, workspace / "data/shards", codecs=("gz", "gz", "gz"))
    upload(workspace / "data/shards", "raw/tickets")
    manifest = manifest_with(workspace, f"s3://{BUCKET}/raw/tickets/")
    out = f"s3://{BUCKET}/staged"
    result = privenance("run", "--sources", str(manifest), "--policy", "policies/demo.yaml",
                        "--as-of", "2026-11-25", "--out", out, "--",
                        "--direct_num_workers=2", "--direct_running_mode=multi_processing",
                        cwd=workspace)
    assert "published to s3://" in result.stderr
    for output in ("dataset", "findings", "quarantine"):
        remote, local = records(out, output), records(str(workspace / "data/local"), output)
        if output == "quarantine":  # the same rows, though the remote points at shard files
            assert len(remote) == len(local)
        else:
            assert remote == local, output
    from privenance import storage
    run = storage.read_json(f"{out}/run.json")
    assert run["status"] == "succeeded"
    assert not storage.list_files(f"s3://{BUCKET}/.staged.incoming")  # nothing left behind
    # the rest of the chain on the same URIs
    privenance("validate", "--run-info", f"{out}/run.json", "--dataset", f"{out}/dataset",
               "--out", f"s3://{BUCKET}/validation", cwd=workspace)
    privenance("certify", "--name", "demo", "--staged", out, "--validation",
               f"s3://{BUCKET}/validation", "--out", f"s3://{BUCKET}/certified", cwd=workspace)
    verified = privenance("verify", f"s3://{BUCKET}/certified/demo", cwd=workspace)
    assert "signature and hashes match" in verified.stdout


# ------------------------------------------------------- workers in processes of their own

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_external_worker_processes_in_folders_of_their_own(workspace_after_demo_run, tmp_path):
    """Beam's worker pool starts each SDK worker as a process in its own folder; the
    job reaches it only through the job graph and the network, as on a cluster. (The
    embedded job server of --runner=PortableRunner runs one worker only, so the
    in-process runner drives the external environment here, with two workers.)"""
    workspace = workspace_after_demo_run
    (workspace / "data/staged").rename(workspace / "data/local")  # the in-process run
    home = tmp_path / "worker-home"
    home.mkdir()
    port = free_port()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "PRIVENANCE_PSEUDONYM_KEY": TEST_KEY_HEX}
    pool = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                             f"--service_port={port}"], cwd=home, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        privenance("run", "--policy", "policies/demo.yaml", "--as-of", "2026-11-25",
                   "--out", "data/portable", "--", "--environment_type=EXTERNAL",
                   f"--environment_config=localhost:{port}", "--direct_num_workers=2",
                   cwd=workspace)
    finally:
        pool.terminate()
        log = pool.communicate(timeout=30)[1]
    assert log.count("Starting worker with command") >= 2  # two worker processes
    for output in ("dataset", "findings", "quarantine"):
        assert records(str(workspace / "data/portable"), output) == records(
            str(workspace / "data/local"), output), output
    assert not list(home.iterdir())  # the workers wrote nothing in their own folder


# ------------------------------------------------------------------ no secrets in the job

def _payload_bytes(proto) -> list[bytes]:
    """Every FunctionSpec payload of a pipeline proto, unpacked the way Beam packs a
    pickled DoFn (base64 of zlib), and raw as well."""
    out = []
    for transform in proto.components.transforms.values():
        if transform.spec.payload:
            out.append(transform.spec.payload)
            try:
                from apache_beam.portability.api import beam_runner_api_pb2
                pardo = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
                fn = base64.b64decode(pardo.do_fn.payload)
                out += [fn, bz2.decompress(fn) if fn.startswith(b"BZh") else zlib.decompress(fn)]
            except Exception:
                pass
    return out


def test_no_key_bytes_in_the_job_graph(workspace):
    import apache_beam as beam

    from pipelines.run.graph import RunGraph
    from pipelines.run.options import RunOptions, beam_options
    from privenance.keyref import KeyRef
    from privenance.keys import pseudonymization_key
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    import datetime as dt
    key = pseudonymization_key()
    policy, manifest = load_policy("policies/demo.yaml"), load_sources("data/sources.yaml")
    options = RunOptions(manifest, policy, str(workspace / "staged"), KeyRef.configured(),
                         dt.date(2026, 11, 25), rows_per_file=1000)
    _, beam_opts = beam_options([])
    p = beam.Pipeline(options=beam_opts)
    _ = p | RunGraph(options, incoming=str(workspace / "incoming"))
    serialized = p.to_runner_api().SerializeToString()
    blobs = [serialized, *_payload_bytes(p.to_runner_api())]
    assert any(b"KeyRef" in b for b in blobs)  # the unpacking works: DoFns are readable
    secrets = [key.reveal(), key.derive("record-id"), key.derive("subject-index"), key.derive("hash"), key.derive("surrogate"), key.derive("encrypt", 64)]
    forms = [f for s in secrets for f in (s, s.hex().encode(), base64.b64encode(s))]
    assert not [f for f in forms for blob in blobs if f in blob]


def test_the_run_graph_is_made_of_the_public_transforms(workspace):
    """privenance run's graph is built from the transforms privenance.beam exports."""
    import datetime as dt

    import apache_beam as beam
    from apache_beam.pipeline import PipelineVisitor

    import privenance.beam as public
    from pipelines.run.graph import RunGraph
    from pipelines.run.options import RunOptions
    from privenance.keyref import KeyRef
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    options = RunOptions(load_sources("data/sources.yaml"), load_policy("policies/demo.yaml"),
                         str(workspace / "staged"), KeyRef.configured(), dt.date(2026, 11, 25))
    p = beam.Pipeline()
    _ = p | "Run" >> RunGraph(options, incoming=str(workspace / "incoming"))
    used = {}

    class Composites(PipelineVisitor):
        def enter_composite_transform(self, node):
            used[type(node.transform)] = node.full_label

    p.visit(Composites())
    for public_transform in (public.Provenance, public.PolicyGates, public.Anonymize,
                             public.ReadSources, public.WriteParquet, public.Run):
        assert public_transform in used, public_transform


# ------------------------------------------------------------ the transforms, composable

def test_public_transforms_in_a_users_own_pipeline(workspace):
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from privenance.beam import Anonymize, PolicyGates, Provenance, load
    policy, source = load("policies/demo.yaml", "data/sources.yaml", "support-tickets")
    rows = [{"ticket_id": "T-1", "body": "Please call Chan Tai Man at 9123 4567.",
             "customer_email": "chan.taiman@example.com", "hkid": None, "product": "router",
             "amount": 10, "created": "2026-01-02", "district": "Sha Tin", "age_band": "30-39"},
            {"ticket_id": None, "body": "no id", "customer_email": None, "hkid": None}]
    with TestPipeline() as p:
        tagged = p | beam.Create(rows) | Provenance(source, policy)
        kept = tagged.records | PolicyGates(source, policy)
        clean = kept.records | Anonymize(source, policy)
        assert_that(clean.records | "Bodies" >> beam.Map(
            lambda r: ("Chan Tai Man" in r["body"], "9123 4567" in r["body"],
                       r["customer_email"] == "chan.taiman@example.com")),
            equal_to([(False, False, False)]), label="Anonymized")
        assert_that(tagged.quarantine | "Why" >> beam.Map(lambda q: q["reason"]),
                    equal_to(["MISSING_ID"]), label="DeadLetter")
        assert_that(clean.findings | "Entities" >> beam.Map(lambda f: f["entity"]),
                    found_person_and_phone, label="Findings")


def found_person_and_phone(entities):
    assert {"PERSON", "PHONE_NUMBER"} <= set(entities), entities
