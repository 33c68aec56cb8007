"""One module per screen: the view (layout) with its wiring beside it."""
