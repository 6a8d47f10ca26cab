"""Entry point: the navigation over pages/ (ui.navigation), built on every run.

Page config, the connection and the sidebar filters are set up by ``ui.session.guard()``
at the top of each page, because Streamlit's legacy router may run a page file directly;
the guard then runs this same navigation around it.
"""

from ui import navigation

navigation.run()
