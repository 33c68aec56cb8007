"""The PySide6 desktop app. The only layer that may import Qt widgets."""
