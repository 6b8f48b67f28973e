"""privenance verify: check a certified dataset against its certificate."""
from __future__ import annotations

from pathlib import Path

import typer


def verify_command(
    path: str = typer.Argument(..., help="Folder (or URI) holding the Parquet files and "
                               "their .certificate.json."),
    public_key: str = typer.Option(None, help="Trusted Ed25519 public key (hex, or a file of "
                                   "hex); default $PRIVENANCE_SIGNING_PUBLIC_KEY, then "
                                   "keys/signing.pub, then this machine's signing key."),
    name: str = typer.Option(None, help="The dataset the certificate must be of; default "
                             "the folder's name."),
    trust_demo_key: bool = typer.Option(False, "--trust-demo-key",
                                        help="With no other key, trust this machine's DEMO "
                                             "signing key (the demo only; warns)."),
    policy: Path = typer.Option(None, help="Also require the certificate's policy hash to match this policy."),
    approvers: Path = typer.Option(None, help="Also require every approval's key to be listed "
                                              "for its role in this approvers list (revocations "
                                              "are checked against it, default "
                                              "keys/approvers.yaml)."),
    revocations: Path = typer.Option(Path("revocations"),
                                     help="Signed revocations (revocations/<name>/<version>.json)."),
):
    """Recompute every hash, check the signature and the signed approvals (and
    optionally the policy hash), and refuse a revoked version. Prints the key it
    trusted (with its fingerprint) and who approved.

    The whole folder tree is checked: a file the certificate does not list (in a
    subfolder or hidden too), a symbolic link or anything not a regular file is
    refused, and so is a certificate of another dataset than the folder's name.

    Exit 0 when everything matches; exit 3 with what does not match otherwise; exit 2
    when there is no key to trust.

    Example: privenance verify data/certified/demo --public-key keys/signing.pub
    """
    import os

    from lineage.certificate import certificate_path
    from lineage.revocations import Revocations
    from lineage.verification import trust_line, trusted_key, verify
    from privenance import storage
    from privenance.approvers import APPROVERS_FILE, load_approvers
    from privenance.contracts import Certificate
    from privenance.errors import VerificationFailed
    from privenance.policy import load_policy
    # approvals are checked against a list only when asked: the team's signature already
    # says certify checked them, and a person who left must not void past versions
    listed = load_approvers(approvers) if approvers else None
    officers = listed or (load_approvers(APPROVERS_FILE) if APPROVERS_FILE.is_file() else None)

    def newest(dataset: str) -> str | None:  # the version certified in this workspace
        try:
            return Certificate.load(certificate_path(Path("data/certified") / dataset)).version
        except VerificationFailed:  # none, or not a certificate
            return None

    key, where = trusted_key(public_key, trust_demo_key)
    typer.echo(trust_line(key, where))
    with storage.local_folder(path) as folder:
        cert = verify(folder, key, load_policy(policy) if policy else None, approvers=listed,
                      revocations=Revocations(revocations, officers, newest),
                      name=name or storage.name_of(path if storage.is_uri(path)
                                                   else os.path.abspath(path)))
    typer.echo(f"OK: {cert.dataset} {cert.version}: {cert.output.rows} rows in "
               f"{len(cert.output.files)} files, signature and hashes match")
    required = (cert.approvals_required or {}).get("roles")
    if required == []:
        typer.echo("approvals: none required by the policy")
    for a in cert.approvals:
        checked = "signed" if "signature" in a else "unsigned (certified before signed approvals)"
        typer.echo(f"approved by {a.get('by')} ({a.get('approver', '-')}) as {a.get('role')} "
                   f"at {a.get('at')}: {checked}"
                   + ("" if listed is None or "signature" not in a else ", key listed for the role"))
    review = cert.review
    if review:
        typer.echo(f"review: {review['records_with_leaks']} of {review['sample_size']} sampled "
                   f"records with a miss, leak rate bound {review['upper_bound']:.2%} at "
                   f"{review['confidence']:.0%} confidence (policy: at most "
                   f"{review['max_leak_rate']:.2%}); reviewed by "
                   + ", ".join(f"{r['name']} ({r['id']})" for r in review["reviewers"]))
