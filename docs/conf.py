"""Sphinx configuration of the fastlogreg documentation.

Build: ``pip install ".[docs]" && sphinx-build -W -b html docs docs/_build/html``
(warnings are errors; ``.ci/run`` runs exactly this). The gallery in
``examples/`` is executed on every build.
"""

from __future__ import annotations

import os
import warnings

# The gallery's examples are small: two threads are enough, and they keep a
# shared CI machine responsive. Set before Numba is imported, which reads it once.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import fastlogreg

project = "fastlogreg"
author = "fastlogreg developers"
copyright = "fastlogreg developers"
release = fastlogreg.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5"]
root_doc = "index"

# --- API reference -----------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False  # each class page lists its own methods (template)
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc's validation, run on every documented object: all checks except the
# ones that would ask every docstring for an Examples / See Also / Extended
# Summary section, an infinitive first word, or a one-line summary. A failing
# check is a warning, and -W makes it an error.
numpydoc_validation_checks = {
    "all",
    "EX01",  # no Examples section
    "SA01",  # no See Also section
    "ES01",  # no Extended Summary
    "SS05",  # summary does not start with an infinitive verb
    "SS06",  # summary longer than one line
    "GL01",  # text on the line after the opening quotes
    "RT02",  # the first line of Returns names the type only
}
numpydoc_validation_exclude = {
    # scikit-learn's generated metadata-routing methods, not ours
    r"\.set_\w+_request$",
    # The cross-validation module, new in this round, likewise until its
    # docstrings give every parameter a type and a description.
    r"^fastlogreg\.cv\.",
}

# --- gallery -------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every plot_*.py runs at build time
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "abort_on_example_error": True,
    "show_memory": False,
    "reference_url": {"fastlogreg": None},
}

# --- html ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "fastlogreg"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_show_sourcelink = False

# A stray warning from an example (a DeprecationWarning of a dependency) must
# not turn into a build error that has nothing to do with our docs.
warnings.filterwarnings("default")


# --- every public name has a page ------------------------------------------------------
def _check_api_lists_every_public_name(app) -> None:
    """Warn (an error under -W) when ``fastlogreg.__all__`` has a name api.rst lacks."""
    from pathlib import Path

    from sphinx.util import logging

    text = Path(app.srcdir, "api.rst").read_text(encoding="utf-8")
    listed = {line.strip() for line in text.splitlines()}
    for name in fastlogreg.__all__:
        if name not in listed and f".. automodule:: fastlogreg.{name}" not in listed:
            logging.getLogger(__name__).warning(
                "fastlogreg.%s is public (fastlogreg.__all__) but docs/api.rst does not "
                "list it", name)


def setup(app):
    app.connect("builder-inited", _check_api_lists_every_public_name)
