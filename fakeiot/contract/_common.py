"""Constants and exceptions shared by the contract machines."""

from __future__ import annotations

BASE_URL = "https://iot.example:8743"
ENOS_URL = "https://apim.enos.example"
CONTROL = "/_fakeiot/api"
#: an ``apim-timestamp`` window wide enough for a client that stamps with ``time.time()`` while
#: the machine's manual clock jumps (ten years).
WIDE_TIMESTAMP_WINDOW = 10 * 365 * 86400
#: what the EnOS machine compares for every device.
FIELDS = "deviceKey, secret, status, activated"


class ClientError(Exception):
    """What the default clients raise when the platform answers an error."""

    def __init__(self, status: int, code: str, text: str) -> None:
        self.status, self.code, self.text = status, code, text
        super().__init__(f"{status} {code} {text}")


class ContractViolation(AssertionError):
    """The model, the platform and the client disagree (in-process runs)."""


IOTDA_URL = "https://iotda.cn-north-4.myhuaweicloud.com"
