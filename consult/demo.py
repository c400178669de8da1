import click


@click.command("demo")
def demo_command():
    """Load demonstration data (safe to run again)."""
