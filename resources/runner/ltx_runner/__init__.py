"""LTX Batch local GPU runner: an HTTP service rendering LTX-2 shots with diffusers.

Start it with ``python -m ltx_runner serve --token-file PATH``; see README.md.
"""

__version__ = "0.1.0"
