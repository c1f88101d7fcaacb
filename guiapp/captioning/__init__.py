"""The pages of the Captioning tab (composed in :mod:`guiapp.tabs.captioning_tab`)
and their Qt-free jobs (:mod:`.jobs`)."""
