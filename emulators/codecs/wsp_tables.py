"""The WAP/OMA assigned numbers the WSP encoding uses: well-known media types
(WSP Table 40 and the WINA registry), charsets (IANA MIBenum), header field
names (Table 39), push application ids and typed parameters (Table 38).

Data only, kept apart from ``wsp_encoding`` so the codec reads as code.
"""

from __future__ import annotations

# --- the registries --------------------------------------------------------------------

#: Well-known media types (WSP Table 40 and the WINA content-type registry), by code.
CONTENT_TYPES: dict[int, str] = dict(
    enumerate(
        (
            "*/*",
            "text/*",
            "text/html",
            "text/plain",
            "text/x-hdml",
            "text/x-ttml",
            "text/x-vcalendar",
            "text/x-vcard",
            "text/vnd.wap.wml",
            "text/vnd.wap.wmlscript",
            "text/vnd.wap.wta-event",
            "multipart/*",
            "multipart/mixed",
            "multipart/form-data",
            "multipart/byterantes",
            "multipart/alternative",
            "application/*",
            "application/java-vm",
            "application/x-www-form-urlencoded",
            "application/x-hdmlc",
            "application/vnd.wap.wmlc",
            "application/vnd.wap.wmlscriptc",
            "application/vnd.wap.wta-eventc",
            "application/vnd.wap.uaprof",
            "application/vnd.wap.wtls-ca-certificate",
            "application/vnd.wap.wtls-user-certificate",
            "application/x-x509-ca-cert",
            "application/x-x509-user-cert",
            "image/*",
            "image/gif",
            "image/jpeg",
            "image/tiff",
            "image/png",
            "image/vnd.wap.wbmp",
            "application/vnd.wap.multipart.*",
            "application/vnd.wap.multipart.mixed",
            "application/vnd.wap.multipart.form-data",
            "application/vnd.wap.multipart.byteranges",
            "application/vnd.wap.multipart.alternative",
            "application/xml",
            "text/xml",
            "application/vnd.wap.wbxml",
            "application/x-x968-cross-cert",
            "application/x-x968-ca-cert",
            "application/x-x968-user-cert",
            "text/vnd.wap.si",
            "application/vnd.wap.sic",
            "text/vnd.wap.sl",
            "application/vnd.wap.slc",
            "text/vnd.wap.co",
            "application/vnd.wap.coc",
            "application/vnd.wap.multipart.related",
            "application/vnd.wap.sia",
            "text/vnd.wap.connectivity-xml",
            "application/vnd.wap.connectivity-wbxml",
            "application/pkcs7-mime",
            "application/vnd.wap.hashed-certificate",
            "application/vnd.wap.signed-certificate",
            "application/vnd.wap.cert-response",
            "application/xhtml+xml",
            "application/wml+xml",
            "text/css",
            "application/vnd.wap.mms-message",
            "application/vnd.wap.rollover-certificate",
            "application/vnd.wap.locc+wbxml",
            "application/vnd.wap.loc+xml",
            "application/vnd.syncml.dm+wbxml",
            "application/vnd.syncml.dm+xml",
            "application/vnd.syncml.notification",
            "application/vnd.wap.xhtml+xml",
            "application/vnd.wv.csp.cir",
            "application/vnd.oma.dd+xml",
            "application/vnd.oma.drm.message",
            "application/vnd.oma.drm.content",
            "application/vnd.oma.drm.rights+xml",
            "application/vnd.oma.drm.rights+wbxml",
            "application/vnd.wv.csp+xml",
            "application/vnd.wv.csp+wbxml",
            "application/vnd.syncml.ds.notification",
            "audio/*",
            "video/*",
            "application/vnd.oma.dd2+xml",
            "application/mikey",
        )
    )
)
CONTENT_TYPE_CODES: dict[str, int] = {name: code for code, name in CONTENT_TYPES.items()}

MMS_MESSAGE = "application/vnd.wap.mms-message"  # 0x3E, on the wire 0xBE
MULTIPART_RELATED = "application/vnd.wap.multipart.related"  # 0x33 -> 0xB3
MULTIPART_MIXED = "application/vnd.wap.multipart.mixed"  # 0x23 -> 0xA3
SIC = "application/vnd.wap.sic"  # 0x2E -> 0xAE

#: Character sets by IANA MIBenum (the Well-known-charset values).
CHARSETS: dict[int, str] = {
    3: "us-ascii",
    4: "iso-8859-1",
    5: "iso-8859-2",
    6: "iso-8859-3",
    7: "iso-8859-4",
    8: "iso-8859-5",
    9: "iso-8859-6",
    10: "iso-8859-7",
    11: "iso-8859-8",
    12: "iso-8859-9",
    17: "shift_jis",
    106: "utf-8",
    1000: "iso-10646-ucs-2",
    1015: "utf-16",
    2025: "gb2312",
    2026: "big5",
}
CHARSET_CODES: dict[str, int] = {name: code for code, name in CHARSETS.items()}
UTF8 = 106
#: The Python codec of each charset name (where it differs).
_PY_CODEC = {"iso-10646-ucs-2": "utf-16-be"}

#: Well-known header field names (WSP Table 39, encoding versions 1.1-1.4), by code.
HEADER_FIELDS: dict[int, str] = dict(
    enumerate(
        (
            "Accept",
            "Accept-Charset",
            "Accept-Encoding",
            "Accept-Language",
            "Accept-Ranges",
            "Age",
            "Allow",
            "Authorization",
            "Cache-Control",
            "Connection",
            "Content-Base",
            "Content-Encoding",
            "Content-Language",
            "Content-Length",
            "Content-Location",
            "Content-MD5",
            "Content-Range",
            "Content-Type",
            "Date",
            "Etag",
            "Expires",
            "From",
            "Host",
            "If-Modified-Since",
            "If-Match",
            "If-None-Match",
            "If-Range",
            "If-Unmodified-Since",
            "Location",
            "Last-Modified",
            "Max-Forwards",
            "Pragma",
            "Proxy-Authenticate",
            "Proxy-Authorization",
            "Public",
            "Range",
            "Referer",
            "Retry-After",
            "Server",
            "Transfer-Encoding",
            "Upgrade",
            "User-Agent",
            "Vary",
            "Via",
            "Warning",
            "WWW-Authenticate",
            "Content-Disposition",
            "X-Wap-Application-Id",
            "X-Wap-Content-URI",
            "X-Wap-Initiator-URI",
            "Accept-Application",
            "Bearer-Indication",
            "Push-Flag",
            "Profile",
            "Profile-Diff",
            "Profile-Warning",
            "Expect",
            "TE",
            "Trailer",
            "Accept-Charset",
            "Accept-Encoding",
            "Cache-Control",
            "Content-Range",
            "X-Wap-Tod",
            "Content-ID",
            "Set-Cookie",
            "Cookie",
            "Encoding-Version",
            "Profile-Warning",
            "Content-Disposition",
            "X-WAP-Security",
            "Cache-Control",
        )
    )
)
#: Field name -> the code it is written with (the first assignment: later encoding
#: versions re-assigned a few names, which are still read under the same name).
HEADER_CODES: dict[str, int] = {}
for _code, _name in HEADER_FIELDS.items():
    HEADER_CODES.setdefault(_name.lower(), _code)

#: Push application ids (the WINA registry's first assignments) by code.
APPLICATION_IDS: dict[int, str] = {
    0x00: "x-wap-application:*",
    0x01: "x-wap-application:push.sia",
    0x02: "x-wap-application:wml.ua",
    0x03: "x-wap-application:wta.ua",
    0x04: "x-wap-application:mms.ua",
    0x05: "x-wap-application:push.syncml",
    0x06: "x-wap-application:loc.ua",
    0x07: "x-wap-application:syncml.dm",
    0x08: "x-wap-application:drm.ua",
    0x09: "x-wap-application:emn.ua",
    0x0A: "x-wap-application:wv.ua",
}

# Typed parameters (WSP Table 38): code -> (name, how its value is encoded).
_PARAMS: dict[int, tuple[str, str]] = {
    0x00: ("q", "q"),
    0x01: ("charset", "charset"),
    0x02: ("level", "version"),
    0x03: ("type", "integer"),
    0x05: ("name", "text"),
    0x06: ("filename", "text"),
    0x07: ("differences", "field"),
    0x08: ("padding", "short"),
    0x09: ("type", "constrained"),
    0x0A: ("start", "text"),
    0x0B: ("start-info", "text"),
    0x0C: ("comment", "text"),
    0x0D: ("domain", "text"),
    0x0E: ("max-age", "integer"),
    0x0F: ("path", "text"),
    0x10: ("secure", "novalue"),
    0x11: ("sec", "short"),
    0x12: ("mac", "text_value"),
    0x13: ("creation-date", "integer"),
    0x14: ("modification-date", "integer"),
    0x15: ("read-date", "integer"),
    0x16: ("size", "integer"),
    0x17: ("name", "text_value"),
    0x18: ("filename", "text_value"),
    0x19: ("start", "text_value"),
    0x1A: ("start-info", "text_value"),
    0x1B: ("comment", "text_value"),
    0x1C: ("domain", "text_value"),
    0x1D: ("path", "text_value"),
}
#: The code each parameter name is written with (the WSP 1.2 forms MMS clients use).
_PARAM_CODES: dict[str, tuple[int, str]] = {
    "charset": (0x01, "charset"),
    "type": (0x09, "constrained"),
    "start": (0x0A, "text"),
    "start-info": (0x0B, "text"),
    "name": (0x05, "text"),
    "filename": (0x06, "text"),
}

#: Header fields whose value is a URI text-string.
_URI_HEADERS = ("content-location", "x-wap-content-uri", "x-wap-initiator-uri")
_TOKEN_SEPARATORS = frozenset(b'()<>@,;:\\"/[]?={} \t')
