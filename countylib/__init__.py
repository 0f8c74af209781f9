"""CountyLib: an offline-first library system for county branches, reading points and book vans."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("countylib")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
