"""privenance demo: generate the demo corpus."""
from __future__ import annotations

from pathlib import Path

import typer


def demo_command(out: Path = typer.Option(Path("data/demo/raw"), help="Where to write the files "
                                          "(data/raw is left to your own data)."),
                 seed: int = typer.Option(42, help="Random seed (same seed, same bytes)."),
                 tickets: int = typer.Option(150, min=0, help="Support tickets to generate.")):
    """Generate a small synthetic corpus with Faker: three sources, three formats.

    Example: privenance demo --out data/demo/raw --seed 42
    """
    from privenance.demo import generate
    counts = generate(out, seed=seed, tickets=tickets)
    for source, n in counts.items():
        typer.echo(f"{source}: {n} rows")
