"""CountyLib: an offline-first library system for county branches, reading points and book vans."""


def __getattr__(name: str) -> str:
    # Looked up lazily: importlib.metadata costs ~30 ms of every cold start otherwise.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("countylib")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0.0.0+source"
    raise AttributeError(name)
