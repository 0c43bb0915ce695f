"""The app's pages, one per file. Streamlit runs each by its path (``app.py`` lists them), never
by import; this file makes them a package so that lint-imports checks their imports too."""
