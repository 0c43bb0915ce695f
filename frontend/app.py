"""Navigator's Streamlit entry point: page router and the shared sidebar.

Run it with ``navigator ui`` (from any folder) or ``streamlit run frontend/app.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.logs import configure_logging
from core.wording import set_surface
from frontend import services, state
from frontend.components import plan_form
from frontend.components.status import connection_sidebar
from frontend.heap import settle_heap

# Page files live in views/, not pages/: a pages/ folder next to the entry point would switch
# Streamlit into its legacy file-based navigation for a session that opens a page URL first.
PAGES = Path(__file__).parent / "views"

st.set_page_config(page_title="Navigator", page_icon=":material/explore:", layout="wide")
set_surface("page")  # core's words name the app's fields, not the CLI's flags
configure_logging()  # each run: NAVIGATOR_LOG_LEVEL / NAVIGATOR_LOG_FORMAT (JSON in the hosted image)

settings, settings_error = services.settings()
if settings_error:
    st.error(f"Settings are invalid, using defaults: {settings_error}", icon=":material/error:")

pages = {
    "Navigator": [
        st.Page(PAGES / "home.py", title="Home", icon=":material/explore:", default=True),
    ],
    "Plan": [
        st.Page(PAGES / "chat.py", title="Assistant", icon=":material/forum:"),
        st.Page(PAGES / "capacity_plan.py", title="Capacity plan", icon=":material/query_stats:"),
        st.Page(PAGES / "what_if.py", title="What-if", icon=":material/tune:"),
        st.Page(PAGES / "sizing.py", title="Sizing", icon=":material/calculate:"),
        st.Page(PAGES / "accuracy.py", title="Accuracy", icon=":material/target:"),
    ],
    "Deliver": [
        st.Page(PAGES / "decision_report.py", title="Decision report", icon=":material/fact_check:"),
        st.Page(PAGES / "deploy.py", title="Deploy", icon=":material/rocket_launch:"),
        st.Page(PAGES / "qa_logs.py", title="QA logs", icon=":material/science:"),
    ],
    "Cluster": [
        st.Page(PAGES / "gpu_inventory.py", title="GPU inventory", icon=":material/memory:"),
    ],
    "Configure": [
        st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:"),
    ],
}
navigation = st.navigation(pages)
# The Capacity plan form keeps what was typed or settled while another page is open.
state.keep_widgets(plan_form.KEPT)
# Estimates and plans on every page use the calibration made of the user's own runs, if any.
services.use_your_calibration(settings)
navigation.run()
# Drawn after the page ran, so it shows what the page just connected or loaded (pages
# therefore never call st.stop()); the page menu stays on top of the sidebar regardless.
with st.sidebar:
    connection_sidebar(settings)
# Once per server process, now that a page has imported what it needs (frontend/heap.py).
settle_heap()
