"""The command line (``clinsearch``): one module per noun, each command parsing its options,
calling a service (``clinsearch.services``) and printing with ``render``; ``main`` is the group.

Exit codes (DESIGN.md): 0 success, 1 bad data (something quarantined or unreadable), 2 usage
error; every failure prints a one-line reason on stderr naming the file and record.
"""
