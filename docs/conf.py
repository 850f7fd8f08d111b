"""Sphinx configuration of the flask_pis_documents documentation.

The build needs no network: no intersphinx, no remote images, no renderer
service. ``make docs`` builds it with warnings treated as errors.
"""
from __future__ import annotations

import flask_pis_documents

project = "flask_pis_documents"
author = "The flask_pis_documents authors"
copyright = "2026, " + author
release = flask_pis_documents.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_title = f"flask_pis_documents {release}"
html_theme_options = {
    "description": "ESOZ's person documents upload for Flask",
    "fixed_sidebar": True,
    "page_width": "1180px",
    "sidebar_width": "280px",
}

# The code documents its parameters with reST field lists (``:param:``).
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_class_signature = "separated"
autodoc_default_options = {"show-inheritance": False}

nitpicky = False
pygments_style = "sphinx"
highlight_language = "python3"
