"""Loaded before every other plugin (``-p tests._bytecode`` in pytest's options): the suite
keeps Python's bytecode caches even where ``PYTHONDONTWRITEBYTECODE`` is set.

Without them every process the suite starts (each xdist worker, each ``fakeiot serve`` and
pytester subprocess) parses and compiles every module again, and pytest assertion-rewrites
each pytest plugin's whole package first (hypothesis, schemathesis, anyio and the rest, about
300 modules): collecting the suite took 14.4 s of CPU per process instead of 7.7 s with warm
caches. Here the controller writes the caches of what it imports before it starts the
workers, and every later process reads them. The caches go where Python puts them anyway
(``__pycache__`` folders, ignored by git).
"""

import os
import sys

sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # for the processes the suite starts
