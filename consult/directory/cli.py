import click
from flask.cli import AppGroup

users_command = AppGroup("users", help="Manage user accounts.")


@users_command.command("create")
@click.option("--email", required=True)
def create_user(email):
    """Create a user."""
