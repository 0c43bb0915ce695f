"""The ``navigator`` command line: the same ``core`` functions as the app, for terminals and CI."""
