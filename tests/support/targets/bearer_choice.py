"""The bearer-choice codecs as fuzz targets: PAP documents, PAP multipart requests,
SIP, PIDF, the WSP push PDU and tokenised SI. Strategies and mutators:
``tests/support/strategies/bearer_choice.py``.
"""

from __future__ import annotations

from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import bearer_choice

TARGETS: list[CodecTarget] = bearer_choice.targets(CodecTarget, Wire)
