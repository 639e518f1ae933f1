"""50音順 (gojūon order) of names by their reading (読み): the key that sorts venues as Japanese lists do."""

from __future__ import annotations

import unicodedata

import jaconv

# voiced and semi-voiced kana sort with their plain kana (カ, ガ, キ, ギ...), small kana with their full size
_PLAIN = str.maketrans(
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォッャュョヮヵヶ",
    "カキクケコサシスセソタチツテトハヒフヘホハヒフヘホウアイウエオツヤユヨワカケ",
)


def reading(kana: str, name: str) -> str:
    """The reading in full-width katakana: the kana field where there is one, else the part of the name written
    in kana (イオン金沢店 reads イオン...); "" when nothing is known."""
    read = _katakana(kana)
    if read:
        return read
    return _kana_prefix(_katakana(name))


def gojuon_key(kana: str, name: str) -> tuple[int, str, str, str]:
    """Sort key in 50音 order: by reading (voiced after plain, small with full size), names without a known
    reading last, by name."""
    read = reading(kana, name)
    return (0 if read else 1, read.translate(_PLAIN), read, name)


def _katakana(text: str) -> str:
    return jaconv.hira2kata(unicodedata.normalize("NFKC", text or "")).replace(" ", "").replace("\u3000", "")


def _is_kana(ch: str) -> bool:
    return "ァ" <= ch <= "ヶ" or ch == "ー"


def _kana_prefix(text: str) -> str:
    prefix = ""
    for ch in text:
        if not _is_kana(ch):
            break
        prefix += ch
    return prefix
