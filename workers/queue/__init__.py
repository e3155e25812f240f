"""The job queue: ``music_video_metric_imports`` rows claimed, run by source handlers, completed."""
