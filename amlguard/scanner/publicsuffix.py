"""A small built-in list of multi-label public suffixes (AMLG-110's FQDN breadth).

A wildcard whose fixed part is a public suffix matches every registrant's hosts under it:
``*.co.uk`` is as broad as ``*.com``. Every top-level domain is a one-label public suffix; the
names below are the common multi-label ones where companies register (second-level domains of
country-code TLDs), taken from the ICANN section of the Public Suffix List
(https://publicsuffix.org/list/, Mozilla Public License 2.0). It is deliberately partial: a
suffix it lacks is judged by its last label only, as before. Names are lower case, no dots at
either end.
"""

from __future__ import annotations

_BY_TLD = {
    "ar": "com edu gob gov int mil net org",
    "at": "ac co gv or",
    "au": "asn com edu gov id net org",
    "bd": "ac com edu gov net org",
    "br": "art com edu gov jus leg mil net org",
    "cn": "ac com edu gov mil net org",
    "co": "com edu gov mil net nom org",
    "cy": "ac com gov net org",
    "eg": "com edu eun gov mil net org",
    "es": "com edu gob nom org",
    "gh": "com edu gov mil org",
    "gr": "com edu gov net org",
    "hk": "com edu gov idv net org",
    "id": "ac co go mil net or sch web",
    "il": "ac co gov idf k12 muni net org",
    "in": "ac co edu firm gen gov ind mil net nic org res",
    "jp": "ac ad co ed go gr lg ne or",
    "ke": "ac co go info me mobi ne or sc",
    "kr": "ac co es go hs kg mil ms ne or pe re sc",
    "lk": "ac com edu gov net org",
    "mx": "com edu gob net org",
    "my": "com edu gov mil name net org",
    "ng": "com edu gov mil net org",
    "nz": "ac co cri geek gen govt health iwi kiwi maori mil net org parliament school",
    "pe": "com edu gob mil net nom org",
    "ph": "com edu gov mil net ngo org",
    "pk": "com edu fam gob gok gon gop gos gov net org",
    "pl": "com edu gov net org",
    "pt": "com edu gov int net org",
    "qa": "com edu gov mil name net org sch",
    "ru": "ac edu gov int mil test",
    "sa": "com edu gov med net org pub sch",
    "sg": "com edu gov net org per",
    "th": "ac co go in mi net or",
    "tr": "av bbs bel biz com dr edu gen gov info k12 kep mil name net org pol tel tv web",
    "tw": "club com ebiz edu game gov idv mil net org",
    "ua": "com edu gov in net org",
    "uk": "ac co gov ltd me net nhs org plc police sch",
    "uy": "com edu gub mil net org",
    "ve": "co com edu gob info mil net org web",
    "vn": "ac biz com edu gov info int name net org pro",
    "za": "ac co edu gov law mil net nom org school web",
}

#: multi-label public suffixes ("co.uk"), lower case
MULTI_LABEL: frozenset[str] = frozenset(
    f"{second}.{tld}" for tld, seconds in _BY_TLD.items() for second in seconds.split()
)


def suffix_labels(labels: tuple[str, ...]) -> int:
    """How many trailing labels of a (lower-case) name form its public suffix: 2 for a listed
    multi-label suffix, else 1 (its top-level domain); 0 for no labels."""
    if len(labels) >= 2 and f"{labels[-2]}.{labels[-1]}" in MULTI_LABEL:
        return 2
    return 1 if labels else 0
