"""The ganzoo version, in a module of its own so any layer can read it without importing the
package's public façade (``ganzoo/__init__.py`` re-exports it as ``ganzoo.__version__``)."""

__version__ = "0.1.0"
