"""Services: the operations the GUI and the command line perform, each given the vault (and
the clock) it works with — no globals, no god object."""
