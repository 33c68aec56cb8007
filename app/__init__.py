"""The domain layer: child files, questionnaires, services and printing. No Qt widgets here."""

from importlib.metadata import PackageNotFoundError, version


def app_version() -> str:
    """The installed distribution's version (pyproject.toml is the one source of it)."""
    try:
        return version("childdesk")
    except PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"
