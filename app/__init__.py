"""The domain layer: child files, questionnaires, services and printing. No Qt widgets here."""


def app_version() -> str:
    """The installed distribution's version (pyproject.toml is the one source of it)."""
    # importlib.metadata imported here, not with the package: it pulls in email, zipfile and
    # csv (~60 ms), and every program imports ``app`` while few ask for the version
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("childdesk")
    except PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"
