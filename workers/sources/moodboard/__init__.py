"""Moodboard uploads checked by content (source ``moodboard_check``)."""
