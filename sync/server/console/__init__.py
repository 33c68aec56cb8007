"""The district console: a web workbench for the 区民政局, town supervisors and partners.

Served by the district server under ``/console/`` (see docs/district-server.md, "Console").
"""
