"""privenance training-summary: the EU AI Act public summary of training content."""
from __future__ import annotations

from pathlib import Path

import typer


def training_summary_command(
    certified: list[Path] = typer.Argument(..., help="Certified dataset folders the model "
                                                     "was trained on (each is verified)."),
    model: str = typer.Option(..., help="Versioned model name, e.g. acme-chat-1.2."),
    provider: str = typer.Option(..., help="Provider's name, as placed on the Union market."),
    contact: str = typer.Option("", help="Provider's contact (a role address, not a person)."),
    dependency: list[str] = typer.Option([], help="A model this one was fine-tuned from "
                                                  "(repeat for several)."),
    placed_on_market: str = typer.Option("", help="Date placed on the Union market (ISO)."),
    public_key: str = typer.Option(None, help="Trusted Ed25519 public key (hex, or a file of "
                                              "hex); default keys/signing.pub."),
    trust_demo_key: bool = typer.Option(False, "--trust-demo-key",
                                        help="Trust this machine's DEMO signing key (the demo "
                                             "only)."),
    out: Path = typer.Option(Path("data/reports/training-summary"),
                             help="Output path without extension: .json and .md are written."),
):
    """Write the public summary of training content (EU AI Act Article 53(1)(d), the
    Commission's template of July 2025) for a model trained on certified versions.

    Every version is verified first; one that does not verify stops the command (exit 3).

    Example: privenance training-summary data/certified/demo --model acme-chat-1.2
    --provider "Acme Ltd" --contact ai-office@acme.example
    """
    import json

    from lineage.verification import trusted_public_key, verify
    from lineage.training_summary import build, markdown
    key = trusted_public_key(public_key, trust_demo_key)
    versions = [(folder, verify(folder, key)) for folder in certified]
    summary = build(versions, {"provider": provider, "contact": contact or None, "name": model,
                               "dependencies": dependency,
                               "placed_on_market": placed_on_market or None})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(summary), encoding="utf-8")
    typer.echo(f"training summary of {model} over {len(versions)} certified version(s): "
               f"{out.with_suffix('.md')} and .json")
