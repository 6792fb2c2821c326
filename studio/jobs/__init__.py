"""Render requests, newest-wins scheduling and cancel tokens, without Qt."""

from studio.jobs.cancel import CancelToken
from studio.jobs.frame_cache import FrameCache
from studio.jobs.preview_worker import FrameResult, PreviewRequest, PreviewWorker, Scene
from studio.jobs.signals import FrameSignals
from studio.jobs.tasks import Task, TaskRunner

__all__ = [
    "CancelToken", "FrameCache", "FrameResult", "FrameSignals", "PreviewRequest",
    "PreviewWorker", "Scene", "Task", "TaskRunner",
]
