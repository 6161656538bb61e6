"""SWAP Explorer: the router. Shared settings in the sidebar, one file per view under views/.

Not `pages/`: a folder of that name beside app.py switches Streamlit into its old pages-directory mode,
where a shared link to a page (/correlation?...) runs that page alone, without this router and sidebar.
"""
import streamlit as st

from ui import links, messages, state

st.set_page_config(page_title="SWAP Explorer", page_icon=":material/grid_on:", layout="wide")

PAGES = [
    st.Page("views/learn.py", title="Learn SWAP", icon=":material/school:", default=True),
    st.Page("views/class_guide.py", title="Guided class", icon=":material/co_present:"),
    st.Page("views/patterns.py", title="Activation patterns", icon=":material/grid_on:"),
    st.Page("views/compare.py", title="Compare two architectures", icon=":material/compare:"),
    st.Page("views/distribution.py", title="Score distribution", icon=":material/bar_chart:"),
    st.Page("views/correlation.py", title="Correlation with accuracy", icon=":material/scatter_plot:"),
    st.Page("views/batch_sweep.py", title="Batch-size sweep", icon=":material/stacked_line_chart:"),
    st.Page("views/search.py", title="Search", icon=":material/travel_explore:"),
    st.Page("views/lab.py", title="Proxy lab", icon=":material/science:"),
    st.Page("views/families.py", title="Across families", icon=":material/hub:"),
    st.Page("views/about.py", title="About / data", icon=":material/info:"),
]

page = st.navigation(PAGES)
links.begin(page.url_path)  # before the sidebar rewrites the URL: the page's own controls from the link
try:
    state.sidebar()
except Exception as err:  # a broken registry or device probe must read as a message, not a traceback
    messages.exception(err)
    st.stop()
page.run()
state.update_url()  # the page's own controls, now that it has declared them
state.finish_sidebar()  # the Device box, when the page never read the settings
