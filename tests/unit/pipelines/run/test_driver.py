"""What run.json and Beam's warnings may show of the pass-through Beam arguments."""
from __future__ import annotations

import logging

from pipelines.run.options import REDACT_BEAM_ARGS, recorded_args

SECRETS = ("tok-PLANTED-1", "AKIAPLANTED2", "hunter2-PLANTED", "pw-PLANTED-4", "sek-PLANTED-5")


def test_only_known_options_keep_their_values():
    args = ["--runner=DirectRunner", "--direct_num_workers=2", f"--s3_session_token={SECRETS[0]}",
            f"--aws_access_key_id={SECRETS[1]}", "--password", SECRETS[2], "--db_pass", SECRETS[3],
            f"--s3_endpoint_url=https://user:{SECRETS[4]}@127.0.0.1:9000", "--save_main_session",
            "--direct_running_mode", "multi_processing"]
    shown = recorded_args(args)
    assert not any(s in a for a in shown for s in SECRETS)
    assert shown[:2] == ["--runner=DirectRunner", "--direct_num_workers=2"]
    assert "--s3_session_token=<redacted>" in shown and "--password" in shown
    assert shown[-3:] == ["--save_main_session", "--direct_running_mode", "multi_processing"]
    assert "<redacted>" in shown and len(shown) == len(args)


def test_beam_warnings_about_unknown_arguments_are_redacted(caplog):
    REDACT_BEAM_ARGS.install()
    from apache_beam.options.pipeline_options import PipelineOptions
    with caplog.at_level(logging.WARNING):
        PipelineOptions([f"--aws_access_key_id={SECRETS[1]}", "--password",
                         SECRETS[2]]).get_all_options()
        logging.getLogger(REDACT_BEAM_ARGS.LOGGER).warning("Discarding unparseable args: %s",
                                                            [f"--token={SECRETS[0]}"])
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "aws_access_key_id" in text and "token" in text
    assert not any(s in text for s in SECRETS)
