"""Bindings in the current language.

Bindings are declared with English msgids (``N_("Desk")``) because class attributes are
built once; this re-creates a node's binding map with translated descriptions whenever
the language changes.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingsMap
from textual.dom import DOMNode

from countylib.i18n import _


def translate_bindings(node: DOMNode) -> None:
    base = type(node)._merged_bindings
    if base is None:
        return
    # Textual keeps a node's bindings in ``_bindings`` (copied from the class map at init).
    node._bindings = BindingsMap.from_keys(
        {
            key: [
                replace(b, description=_(b.description) if b.description else "", tooltip=_(b.tooltip) if b.tooltip else "")
                for b in bindings
            ]
            for key, bindings in base.key_to_bindings.items()
        }
    )
