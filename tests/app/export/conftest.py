"""Fixtures of the export tests."""
from __future__ import annotations

import pytest

from conch.app.model.transcript import Transcript
from tests.app.export.samples import scripted_transcript


@pytest.fixture
def scripted() -> Transcript:
    """A transcript of every kind of entry (see :func:`scripted_transcript`)."""
    return scripted_transcript()
