"""Scatterdash's data files (demo fleet, catalogue, icons), installed as ``scatterdash_resources``.

Read them through :func:`core.resource`, never by a path beside the source tree.
"""
