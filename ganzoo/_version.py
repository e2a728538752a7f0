"""The ganzoo version.

It has a module of its own so that any layer can read it without importing the package's
public façade (``ganzoo/__init__.py`` re-exports it as ``ganzoo.__version__``).
"""

__version__ = "0.1.0"
