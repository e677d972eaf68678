"""What ssh is asking, read from the prompt text it hands to askpass (Qt-free).

OpenSSH's wording (9.x; 8.4 is close): ``Enter passphrase for key '/home/a/.ssh/id_ed25519': ``,
``ada@host's password: ``, ``(ada@host) Verification code: `` (keyboard-interactive), and for an
unknown host key the whole paragraph::

    The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)' can't be established.
    ED25519 key fingerprint is SHA256:AmXEoN2ccNFe72dU23jP2dQD29oWEH/SYS92J3G0pWU.
    This key is not known by any other names.
    Are you sure you want to continue connecting (yes/no/[fingerprint])?

followed, after any other answer than yes/no/the fingerprint, by ``Please type 'yes', 'no' or the
fingerprint: `` (again and again, so Conch answers host-key questions only with yes or no).
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class PromptOutcome(enum.Enum):
    PENDING = "pending"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    """ssh stopped waiting (the connection failed or was stopped) before anyone answered."""


class PromptKind(enum.Enum):
    PASSPHRASE = "passphrase"
    """The passphrase of a private key (``key_path`` names it)."""
    PASSWORD = "password"
    """The account's password."""
    ONE_TIME_CODE = "one-time code"
    """A verification code / OTP / token from a second factor."""
    PIN = "PIN"
    """A PIN for a hardware token (PKCS#11, FIDO)."""
    HOST_KEY = "host key"
    """Trust an unknown host key? Answered ``yes`` or ``no`` (``fingerprint`` shows which key)."""
    CONFIRM = "confirmation"
    """A yes/no question (``SSH_ASKPASS_PROMPT=confirm``), e.g. ssh-agent confirming a key use."""
    NOTICE = "notice"
    """Information only (``SSH_ASKPASS_PROMPT=none``), e.g. "touch your security key"."""
    OTHER = "other"
    """Anything else: a text answer, kept hidden."""


SECRET_KINDS = frozenset(
    {PromptKind.PASSPHRASE, PromptKind.PASSWORD, PromptKind.ONE_TIME_CODE, PromptKind.PIN, PromptKind.OTHER}
)
YES_NO_KINDS = frozenset({PromptKind.HOST_KEY, PromptKind.CONFIRM})

_HOST_QUESTION = re.compile(r"Are you sure you want to continue connecting|Please type 'yes', 'no' or the fingerprint")
_AUTHENTICITY = re.compile(r"The authenticity of host '(.*?)(?: \(([^()]*)\))?'")
_FINGERPRINT = re.compile(r"(\S+) key fingerprint is ((?:SHA256|MD5):[A-Za-z0-9+/=:]+?)\.?\s*$", re.MULTILINE)
_PASSPHRASE = re.compile(r"Enter passphrase for (?:(\S+) )?key '([^']*)'", re.IGNORECASE)
_PIN = re.compile(r"\bPIN\b")
_ONE_TIME = re.compile(
    r"verification code|one[- ]time|\bOTP\b|token code|passcode|authenticator|two[- ]factor|\b2FA\b|\bDuo\b",
    re.IGNORECASE,
)
_PASSWORD = re.compile(r"password", re.IGNORECASE)


@dataclass(frozen=True)
class PromptInfo:
    """One question from ssh, classified."""

    kind: PromptKind
    text: str
    """ssh's own words, whole (shown to the person for host keys: OpenSSH's wording matters)."""
    key_path: str = ""
    """PASSPHRASE: the key file asked about."""
    key_type: str = ""
    """HOST_KEY: ``ED25519``, ``RSA``…"""
    fingerprint: str = ""
    """HOST_KEY: ``SHA256:…`` of the key the server sent."""
    host: str = ""
    """HOST_KEY: the host as ssh names it (``[127.0.0.1]:2222``, ``cluster.example.org``)."""
    address: str = ""
    """HOST_KEY: its address as ssh shows it in brackets (``192.0.2.7``), or ""."""
    retry: bool = False
    """HOST_KEY: ssh's "Please type 'yes', 'no' or the fingerprint" after an unclear answer."""

    @property
    def secret(self) -> bool:
        """Whether the answer must be typed hidden (password echo)."""
        return self.kind in SECRET_KINDS

    @property
    def yes_no(self) -> bool:
        return self.kind in YES_NO_KINDS

    @property
    def title(self) -> str:
        return {
            PromptKind.PASSPHRASE: "Key passphrase",
            PromptKind.PASSWORD: "Password",
            PromptKind.ONE_TIME_CODE: "Verification code",
            PromptKind.PIN: "PIN",
            PromptKind.HOST_KEY: "Unknown host key",
            PromptKind.CONFIRM: "Confirm",
            PromptKind.NOTICE: "SSH",
            PromptKind.OTHER: "SSH question",
        }[self.kind]


def classify(text: str, hint: str = "") -> PromptInfo:
    """What ``text`` (ssh's prompt) asks; ``hint`` is ``SSH_ASKPASS_PROMPT`` (``confirm``/``none``/``""``)."""
    if _HOST_QUESTION.search(text):
        authenticity = _AUTHENTICITY.search(text)
        fingerprint = _FINGERPRINT.search(text)
        return PromptInfo(
            PromptKind.HOST_KEY, text,
            key_type=fingerprint.group(1) if fingerprint else "",
            fingerprint=fingerprint.group(2) if fingerprint else "",
            host=authenticity.group(1) if authenticity else "",
            address=(authenticity.group(2) or "") if authenticity else "",
            retry=text.lstrip().startswith("Please type"),
        )  # fmt: skip
    if hint == "confirm":
        return PromptInfo(PromptKind.CONFIRM, text)
    if hint == "none":
        return PromptInfo(PromptKind.NOTICE, text)
    passphrase = _PASSPHRASE.search(text)
    if passphrase:
        return PromptInfo(PromptKind.PASSPHRASE, text, key_path=passphrase.group(2), key_type=passphrase.group(1) or "")
    if _PIN.search(text):
        return PromptInfo(PromptKind.PIN, text)
    if _ONE_TIME.search(text):
        return PromptInfo(PromptKind.ONE_TIME_CODE, text)
    if _PASSWORD.search(text):
        return PromptInfo(PromptKind.PASSWORD, text)
    return PromptInfo(PromptKind.OTHER, text)
