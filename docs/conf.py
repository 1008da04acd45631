"""Sphinx configuration for skbackprop's documentation."""

import importlib.util
import os
import sys

# The gallery runs in this process.  scikit-learn's array API dispatch (the
# example plot_array_api.py) requires SCIPY_ARRAY_API=1, and scipy reads it
# once, at its import (here, through skbackprop): set it before that, as a
# user exports it before Python starts.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

sys.path.insert(0, os.path.abspath(".."))

import skbackprop  # noqa: E402

project = "skbackprop"
author = "The skbackprop developers"
copyright = "2026, The skbackprop developers"
release = version = skbackprop.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []

# Gallery: the Dask example runs only when its optional extra is installed.
_ignore = []
if importlib.util.find_spec("dask_ml") is None:
    _ignore.append("plot_dask_")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": "|".join(_ignore) if _ignore else r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = "skbackprop"
html_static_path = []
html_theme_options = {"navigation_with_keys": False}
