"""The peer benchmark: the SPM's shape as a django-viewflow 2.x flow, timed beside complete_step."""
