"""Where MSGID1 and MSGID2 travel in MM7: the carriers, defined once.

Standard MM7 has no field named MSGID1 or MSGID2, so how each travels is a
PIXIT choice. Each carrier says how a message id is put into an MM7 message
and how it is read back out; the SP, the gateway and the MMSC all use these
methods, and the profile's enumerations are these types.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from mmsconf.emulators.codecs import mm7


class _Carrier(StrEnum):
    @classmethod
    def named(cls, value: str, field: str) -> Self:
        """The carrier ``value`` names; ValueError naming ``field`` and the choices otherwise."""
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(c.value for c in cls)
            raise ValueError(f"{field} {value!r} is not one of {choices}") from None


class Msgid1Carrier(_Carrier):
    """Where the SP's own id, MSGID1, travels in its SubmitReq.

    Whatever the carrier, the gateway answers with MSGID1 as the MessageID
    of the SubmitRsp and of every DeliveryReportReq to the SP.
    """

    AUX_APPLIC_INFO = "AuxApplicInfo"
    APPLIC_ID = "ApplicID"
    TRANSACTION_ID = "TransactionID"

    @property
    def needs_rel6(self) -> bool:
        """REL-5 SubmitReq has no ApplicID / AuxApplicInfo."""
        return self is not Msgid1Carrier.TRANSACTION_ID

    def submit_fields(self, msgid1: str) -> dict[str, Any]:
        """The SubmitReq fields that carry ``msgid1`` (keyword arguments)."""
        return {
            "transaction_id": msgid1 if self is Msgid1Carrier.TRANSACTION_ID else f"T-{msgid1}",
            "applic_id": msgid1 if self is Msgid1Carrier.APPLIC_ID else None,
            "aux_applic_info": msgid1 if self is Msgid1Carrier.AUX_APPLIC_INFO else None,
        }

    def read(self, req: mm7.SubmitReq) -> str | None:
        """MSGID1 out of a SubmitReq; None when the carrier is empty."""
        if self is Msgid1Carrier.AUX_APPLIC_INFO:
            return req.aux_applic_info or None
        if self is Msgid1Carrier.APPLIC_ID:
            return req.applic_id or None
        return req.transaction_id or None


class Msgid2Carrier(_Carrier):
    """How the gateway's MSGID2 travels to the MMSC and back in its reports.

    ``AuxApplicInfo``: the gateway, acting as a VASP toward the MMSC, puts
    MSGID2 in SubmitReq/AuxApplicInfo and the MMSC echoes it in
    DeliveryReportReq/AuxApplicInfo (REL-6 only). ``TransactionID``: the
    gateway proposes MSGID2 as the SubmitReq's TransactionID and the MMSC
    adopts it as the MessageID of its SubmitRsp and its reports.
    """

    AUX_APPLIC_INFO = "AuxApplicInfo"
    TRANSACTION_ID = "TransactionID"

    @property
    def needs_rel6(self) -> bool:
        return self is Msgid2Carrier.AUX_APPLIC_INFO

    def forward_fields(self, msgid2: str) -> dict[str, Any]:
        """The fields of the gateway's SubmitReq to the MMSC that carry ``msgid2``."""
        if self is Msgid2Carrier.TRANSACTION_ID:
            return {"transaction_id": msgid2, "aux_applic_info": None}
        return {"transaction_id": f"T{msgid2}", "aux_applic_info": msgid2}

    def read_submit(self, req: mm7.SubmitReq) -> str:
        """MSGID2 as the MMSC reads it from the gateway's SubmitReq."""
        if self is Msgid2Carrier.TRANSACTION_ID:
            return req.transaction_id
        return req.aux_applic_info or ""

    def mmsc_message_id(self, msgid2: str, own_id: str) -> str:
        """The MessageID the MMSC answers with: its own, or the one the gateway proposed."""
        return msgid2 if self is Msgid2Carrier.TRANSACTION_ID else own_id

    def report_fields(self, msgid2: str, message_id: str) -> dict[str, Any]:
        """The DeliveryReportReq fields an MMSC sets for a message it took as ``msgid2``."""
        return {
            "message_id": message_id,
            "aux_applic_info": msgid2 if self is Msgid2Carrier.AUX_APPLIC_INFO else None,
        }

    def read_report(self, report: mm7.DeliveryReportReq) -> str:
        """MSGID2 as a gateway reads it from an MMSC's DeliveryReportReq."""
        if self is Msgid2Carrier.AUX_APPLIC_INFO:
            return report.aux_applic_info or ""
        return report.message_id
